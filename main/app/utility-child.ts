// The engine's helper processes (backend probe, WebGPU adapter survey) inside the desktop app. The shipped app
// has the RunAsNode fuse off (electron-builder.yml), so Electron can no longer be started as Node with
// ELECTRON_RUN_AS_NODE; Electron's utilityProcess is the supported way to run a Node script in a child process.
import type { Readable } from 'node:stream';
import { PassThrough } from 'node:stream';
import type { NodeChild, NodeSpawner } from '../engine/node-child.ts';

/** What this file uses of Electron's UtilityProcess (so that it can be tested without the Electron binary). */
export interface UtilityLike {
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  kill(): boolean;
  on(event: 'exit', listener: (code: number) => void): unknown;
  on(event: 'error', listener: (type: string, location: string) => void): unknown;
}

export type UtilityFork = (modulePath: string, args: string[], options: { execArgv?: string[]; env?: NodeJS.ProcessEnv; stdio: 'pipe'; serviceName: string }) => UtilityLike;

/** A NodeSpawner on utilityProcess.fork: same pipes, a timeout that kills, close after the output has ended. */
export function utilitySpawner(fork: UtilityFork): NodeSpawner {
  return (script, args, options): NodeChild => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const closeListeners: Array<(code: number | null, signal: NodeJS.Signals | null) => void> = [];
    const errorListeners: Array<(err: Error) => void> = [];
    let ended = false;
    let timedOut = false;
    const close = (code: number | null, signal: NodeJS.Signals | null) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      // Output first, as child_process's 'close' does: listeners read what the script printed.
      let open = 2;
      const done = () => {
        if (--open === 0) for (const l of closeListeners) l(code, signal);
      };
      stdout.once('end', done).resume();
      stderr.once('end', done).resume();
      stdout.end();
      stderr.end();
    };
    let child: UtilityLike;
    try {
      child = fork(script, [...args], { execArgv: options.execArgv, env: options.env, stdio: 'pipe', serviceName: 'Textbench helper' });
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      queueMicrotask(() => errorListeners.forEach((l) => l(e)));
      return { stdout, stderr, onClose: (l) => void closeListeners.push(l), onError: (l) => void errorListeners.push(l) };
    }
    (child.stdout as Readable | null)?.on('data', (d: Buffer) => stdout.write(d));
    (child.stderr as Readable | null)?.on('data', (d: Buffer) => stderr.write(d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill();
    }, options.timeoutMs);
    child.on('exit', (code) => close(timedOut ? null : code, timedOut ? 'SIGTERM' : null));
    // A fatal error in the helper (V8 OOM, a crash in a native module): the process is gone.
    child.on('error', (type, location) => {
      stderr.write(`${type}${location ? ` at ${location}` : ''}\n`);
      close(null, 'SIGABRT');
    });
    return { stdout, stderr, onClose: (l) => void closeListeners.push(l), onError: (l) => void errorListeners.push(l) };
  };
}
