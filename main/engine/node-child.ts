// Node scripts the engine runs in a process of their own (the backend probe, the WebGPU adapter survey), so that
// a native crash there cannot take Textbench down. In the CLI, the server and the tests that process is plain
// Node. Inside the desktop app process.execPath is Electron, and the shipped app has the RunAsNode fuse off
// (electron-builder.yml): ELECTRON_RUN_AS_NODE is ignored there, and the app registers a spawner built on
// Electron's utilityProcess instead (main/app/utility-child.ts).
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

/** The part of a child process the engine uses. */
export interface NodeChild {
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Once, when the process has ended and its output is read; `signal` is 'SIGTERM' after a timeout. */
  onClose(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  /** The process could not be started. */
  onError(listener: (err: Error) => void): void;
}

export interface NodeScriptOptions {
  /** Node flags before the script (e.g. --import tsx). */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  /** Killed (SIGTERM) after this long. */
  timeoutMs: number;
}

export type NodeSpawner = (script: string, args: readonly string[], options: NodeScriptOptions) => NodeChild;

/** process.execPath as Node (ELECTRON_RUN_AS_NODE makes an unfused Electron, as in development, act as Node). */
export const spawnWithExecPath: NodeSpawner = (script, args, options) => {
  const child = spawn(process.execPath, [...(options.execArgv ?? []), script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: options.timeoutMs,
    env: { ...(options.env ?? process.env), ELECTRON_RUN_AS_NODE: '1' },
  });
  return {
    stdout: child.stdout,
    stderr: child.stderr,
    onClose: (listener) => void child.on('close', listener),
    onError: (listener) => void child.on('error', listener),
  };
};

let spawner: NodeSpawner = spawnWithExecPath;

/** The desktop app installs its utilityProcess spawner here at start-up. */
export function setNodeSpawner(next: NodeSpawner): void {
  spawner = next;
}

/** Runs `script` with `args` in a process of its own; stdout and stderr are piped. */
export function spawnNodeScript(script: string, args: readonly string[], options: NodeScriptOptions): NodeChild {
  return spawner(script, args, options);
}
