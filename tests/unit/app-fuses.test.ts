// Issue 12: the shipped app's Electron fuses (electron-builder.yml), and what turning RunAsNode off asks of the
// engine: its helper processes (backend probe, adapter survey) run through a spawner that the app replaces with
// Electron's utilityProcess. The utilityProcess spawner is tested against a stand-in with the same surface, the
// plain spawner against real processes.
import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createRequire } from 'node:module';
import { utilitySpawner, type UtilityLike } from '../../main/app/utility-child.ts';
import { spawnNodeScript, spawnWithExecPath, setNodeSpawner, type NodeChild } from '../../main/engine/node-child.ts';
import { repoRoot, tempDir } from '../fixtures/data.ts';

const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(text: string): unknown };

function collect(child: NodeChild): Promise<{ out: string; err: string; code: number | null; signal: string | null }> {
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.onError(reject);
    child.onClose((code, signal) => resolve({ out, err, code, signal }));
  });
}

describe('electron-builder fuses', () => {
  const config = yaml.load(fs.readFileSync(path.join(repoRoot, 'electron-builder.yml'), 'utf8')) as { electronFuses?: Record<string, boolean>; asar?: boolean };

  it('turn off running as Node, NODE_OPTIONS and the inspector; turn on cookie encryption and ASAR integrity', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
    // ASAR integrity and only-load-from-ASAR need the app packed as an archive.
    expect(config.asar).toBe(true);
  });

  it('nothing in the engine or the app starts Electron as Node any more except the plain spawner', () => {
    const hits: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(ts|mjs|js)$/.test(e.name) && /ELECTRON_RUN_AS_NODE['"]?\s*[:=]/.test(fs.readFileSync(p, 'utf8'))) hits.push(path.relative(repoRoot, p));
      }
    };
    walk(path.join(repoRoot, 'main/engine'));
    walk(path.join(repoRoot, 'main/app'));
    // start.mjs is `npm start` in a checkout (never shipped: the installers carry dist/ only, and the fuse is off
    // there): it runs Electron as Node once to build the app's own SQLite module (dist/sqlite-electron.js).
    expect(hits.sort()).toEqual(['main/app/start.mjs', 'main/engine/node-child.ts']);
  });
});

describe('helper processes', () => {
  it('the plain spawner runs a script with its flags and reports a timeout as SIGTERM', async () => {
    const dir = tempDir('tb-child-');
    const ok = path.join(dir, 'ok.mjs');
    fs.writeFileSync(ok, 'console.log(JSON.stringify(process.argv.slice(2))); console.error("note");');
    const r = await collect(spawnWithExecPath(ok, ['a', 'b c'], { timeoutMs: 30_000 }));
    expect(r).toMatchObject({ out: '["a","b c"]\n', err: 'note\n', code: 0 });
    const slow = path.join(dir, 'slow.mjs');
    fs.writeFileSync(slow, 'setTimeout(() => {}, 60000);');
    expect((await collect(spawnWithExecPath(slow, [], { timeoutMs: 300 }))).signal).toBe('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('spawnNodeScript goes through the spawner the app installs', async () => {
    const seen: string[] = [];
    setNodeSpawner((script, args, options) => {
      seen.push(script, ...args);
      return spawnWithExecPath(script, args, options);
    });
    try {
      const dir = tempDir('tb-child-');
      const s = path.join(dir, 's.mjs');
      fs.writeFileSync(s, 'console.log("hi")');
      expect((await collect(spawnNodeScript(s, ['x'], { timeoutMs: 30_000 }))).out).toBe('hi\n');
      expect(seen).toEqual([s, 'x']);
      fs.rmSync(dir, { recursive: true, force: true });
    } finally {
      setNodeSpawner(spawnWithExecPath);
    }
  });

  /** A stand-in for Electron's UtilityProcess: piped stdout/stderr, 'exit' with a code, 'error' for fatal errors. */
  function fakeUtility(): UtilityLike & { emitter: EventEmitter; out: PassThrough; err: PassThrough; killed: boolean } {
    const emitter = new EventEmitter();
    const out = new PassThrough();
    const err = new PassThrough();
    const u = {
      emitter,
      out,
      err,
      killed: false,
      stdout: out,
      stderr: err,
      kill() {
        u.killed = true;
        setTimeout(() => emitter.emit('exit', 15), 5);
        return true;
      },
      on(event: string, listener: (...a: never[]) => void) {
        emitter.on(event, listener as (...a: unknown[]) => void);
        return u;
      },
    };
    return u as never;
  }

  it('the utilityProcess spawner passes flags and environment, delivers all output before close, and kills on timeout', async () => {
    const u = fakeUtility();
    let forked: unknown[] = [];
    const spawner = utilitySpawner((m, a, o) => {
      forked = [m, a, o];
      return u;
    });
    const child = spawner('/x/probe-child.ts', ['wasm'], { execArgv: ['--import', 'tsx'], env: { A: '1' }, timeoutMs: 10_000 });
    const done = collect(child);
    u.out.write('{"name":"wasm"');
    u.out.write(',"loads":true}\n');
    u.err.write('warn\n');
    u.emitter.emit('exit', 0);
    expect(await done).toEqual({ out: '{"name":"wasm","loads":true}\n', err: 'warn\n', code: 0, signal: null });
    expect(forked).toEqual(['/x/probe-child.ts', ['wasm'], { execArgv: ['--import', 'tsx'], env: { A: '1' }, stdio: 'pipe', serviceName: 'Textbench helper' }]);

    const hung = fakeUtility();
    const r = await collect(utilitySpawner(() => hung)('/x/survey.mjs', [], { timeoutMs: 50 }));
    expect(hung.killed).toBe(true);
    expect(r.signal).toBe('SIGTERM');

    const crashed = fakeUtility();
    const c = collect(utilitySpawner(() => crashed)('/x/survey.mjs', [], { timeoutMs: 10_000 }));
    crashed.emitter.emit('error', 'FatalError', 'dawn_native.cc:12');
    expect(await c).toMatchObject({ code: null, signal: 'SIGABRT', err: 'FatalError at dawn_native.cc:12\n' });

    const refused = utilitySpawner(() => {
      throw new Error('utilityProcess.fork before ready');
    })('/x/s.mjs', [], { timeoutMs: 1000 });
    await expect(collect(refused)).rejects.toThrow('before ready');
  });
});
