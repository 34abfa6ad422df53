// `textbench backends`: which backends load on this machine and why the others do not. Each backend
// is tried in its own child process, because a native TensorFlow library that fails to load can
// abort the whole process, and because a process can only make one wasm/native backend current
// reliably (the wasm binary is set up once per process).
import { spawnNodeScript } from '../node-child.ts';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BACKEND_ORDER, BACKEND_PACKAGES, resolvable, type BackendName } from './backend.ts';
import type { BackendProbe, ProbeReport } from '../../../shared/compute.ts';

export type { BackendProbe, ProbeReport } from '../../../shared/compute.ts';

export interface ProbeOptions {
  /** Per-backend limit in milliseconds (default 60 s; twice that for webgpu). */
  timeoutMs?: number;
}

// TypeScript in the source tree; the shipped build (tools/build.mjs) points this at the bundled dist/probe-child.js.
const CHILD = fileURLToPath(new URL('./probe-child.ts', import.meta.url));
const require = createRequire(import.meta.url);

/** Node flags for the child: tsx's loader (an absolute URL, found whatever the current directory) for a .ts child. */
function childExecArgv(): string[] {
  return CHILD.endsWith('.ts') ? ['--import', pathToFileURL(require.resolve('tsx')).href] : [];
}

// A package that cannot even be resolved needs no child process to say so.
export { resolvable } from './backend.ts';

function probeOne(name: BackendName, timeoutMs: number): Promise<BackendProbe> {
  if (!resolvable(BACKEND_PACKAGES[name].pkg)) return Promise.resolve({ name, loads: false, reason: BACKEND_PACKAGES[name].missing });
  return new Promise((resolve) => {
    // A process of its own (plain Node; inside the desktop app, a utility process: ../node-child.ts).
    const child = spawnNodeScript(CHILD, [name], { execArgv: childExecArgv(), timeoutMs });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.onError((e) => resolve({ name, loads: false, reason: `the probe process could not start: ${e.message}` }));
    child.onClose((code, signal) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (line.startsWith('{')) {
        resolve(JSON.parse(line) as BackendProbe);
        return;
      }
      const why = signal === 'SIGTERM' ? `it did not finish loading within ${timeoutMs / 1000} s` : signal ? `the process was killed by ${signal}` : `the process exited with code ${code}`;
      const detail = err.trim().split('\n').filter(Boolean).slice(-1)[0];
      resolve({ name, loads: false, reason: `${why}${detail ? `: ${detail}` : ''}` });
    });
  });
}

/** Tries every backend in a separate process (in parallel) and reports what loads here and why not. */
export async function probeBackends(options: ProbeOptions = {}): Promise<ProbeReport> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  // webgpu compiles a dozen shaders for its smoke step: 5 s on SwiftShader (which compiles them on the CPU) on an
  // idle 2-core machine, and several times that when the machine is busy.
  const backends = await Promise.all(BACKEND_ORDER.map((n) => probeOne(n, n === 'webgpu' ? 2 * timeoutMs : timeoutMs)));
  const chosen = backends.find((b) => b.loads && b.automatic !== false);
  return {
    backends,
    chosen: chosen?.name ?? null,
    device: chosen?.device ?? null,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

let probed: Promise<ProbeReport> | undefined;

/**
 * The probe, once per process (it starts a process per backend and takes seconds; backends and adapters do not
 * change while Textbench runs). `refresh` probes again, e.g. after installing a package or a driver.
 */
export function probeBackendsOnce(refresh = false): Promise<ProbeReport> {
  if (refresh || !probed) {
    probed = probeBackends();
    // A failed probe is not kept: the next call tries again.
    probed.catch(() => (probed = undefined));
  }
  return probed;
}
