// Training throughput (samples/s) of the recurrent classifiers at fixed shapes, on every TensorFlow.js
// backend that loads here, against the same model in PyTorch on one thread, in the same run.
// Shapes: vocabulary 5,000, embedding 64, 64 units, sequence 100, batch 64, 30 classes, Adam.
// Each measurement runs in its own process, one after another (no two compete for the CPU).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import os from 'node:os';
import { BACKEND_PACKAGES } from '../../main/engine/compute/backend.ts';

const require = createRequire(import.meta.url);
const WORKER = fileURLToPath(new URL('./train-throughput-worker.ts', import.meta.url));
const TORCH = fileURLToPath(new URL('./torch_rnn.py', import.meta.url));
const TSX = pathToFileURL(require.resolve('tsx')).href;
const PYTHON = '/usr/bin/python3';

interface Measured {
  msPerStep: number;
  samplesPerSec: number;
  /** Samples per second of this process's CPU time: what the wall-clock rate would be on an idle machine. */
  samplesPerCpuSec: number;
}
interface Row {
  backend: string;
  model: string;
  result?: Measured;
  note?: string;
}

function installed(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false; // MODULE_NOT_FOUND: the optional package is absent
  }
}

function lastJson<T>(stdout: string): T | undefined {
  const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  return line ? (JSON.parse(line) as T) : undefined;
}

function tfjs(backend: string, cell: string, kernels: 'fast' | 'stock' | 'fused', steps: number): Row {
  process.stderr.write(`  measuring ${backend} ${cell} (${kernels})…\n`);
  const label = kernels === 'fast' ? backend : `${backend} (${kernels === 'stock' ? 'stock kernels' : 'fused layer'})`;
  const r = spawnSync(process.execPath, ['--import', TSX, WORKER, backend, cell, kernels, String(steps)], { encoding: 'utf8', timeout: 600_000 });
  const result = lastJson<Measured>(r.stdout ?? '');
  if (!result) return { backend: label, model: cell, note: `failed: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop()}` };
  return { backend: label, model: cell, result };
}

function torch(): { rows: Row[]; about: string } {
  const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__, torch.__config__.show().count("BLAS_INFO=generic"))'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const why = probe.error ? `${PYTHON} not found` : 'python3-torch is not installed (apt-get install python3-torch)';
    return { rows: ['lstm', 'gru'].map((m) => ({ backend: 'pytorch', model: m, note: `skipped: ${why}` })), about: `PyTorch: skipped (${why})` };
  }
  // One thread everywhere: torch's own pool, OpenMP and whichever BLAS the system links.
  const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const r = spawnSync(PYTHON, [TORCH, '--models', 'lstm,gru', '--steps', '20'], { encoding: 'utf8', env, timeout: 600_000 });
  const lines = (r.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Measured & { model: string });
  const blas = spawnSync('sh', ['-c', 'readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true'], { encoding: 'utf8' }).stdout.trim();
  return {
    rows: ['lstm', 'gru'].map((m) => {
      const got = lines.find((l) => l.model === m);
      return got ? { backend: 'pytorch (1 thread)', model: m, result: got } : { backend: 'pytorch (1 thread)', model: m, note: `failed: ${r.stderr.trim().split('\n').pop()}` };
    }),
    about: `PyTorch ${probe.stdout.trim().split(' ')[0]}, BLAS ${blas || 'unknown'}`,
  };
}

export async function run(): Promise<void> {
  console.log(`Embedding(5000,64) -> LSTM/GRU(64) -> Dense(30), sequence 100, batch 64, Adam; ${os.cpus().length} CPU cores, Node ${process.version}`);
  const rows: Row[] = [];
  for (const cell of ['lstm', 'gru']) {
    for (const [backend, pkg] of [['tensorflow-gpu', BACKEND_PACKAGES['tensorflow-gpu'].pkg], ['tensorflow', BACKEND_PACKAGES.tensorflow.pkg]] as const) {
      rows.push(installed(pkg) ? tfjs(backend, cell, 'fast', 20) : { backend, model: cell, note: `skipped: ${pkg} is not installed` });
    }
    rows.push(tfjs('wasm', cell, 'fused', 10));
    rows.push(tfjs('wasm', cell, 'fast', 10));
    rows.push(tfjs('wasm', cell, 'stock', 4));
    rows.push(tfjs('cpu', cell, 'fused', 2));
    rows.push(tfjs('cpu', cell, 'fast', 2));
  }
  const t = torch();
  rows.push(...t.rows);

  const ref = (model: string): Measured | undefined => t.rows.find((r) => r.model === model)?.result;
  const header = ['backend', 'model', 'samples/s', 'samples/CPU-s', 'TF.js/PyTorch'];
  const body = rows.map((r) => {
    const pt = ref(r.model);
    if (!r.result) return [r.backend, r.model, '-', '-', r.note ?? ''];
    const ratio = pt && !r.backend.startsWith('pytorch') ? `${(r.result.samplesPerCpuSec / pt.samplesPerCpuSec).toFixed(2)}x` : '';
    return [r.backend, r.model, r.result.samplesPerSec.toFixed(1), r.result.samplesPerCpuSec.toFixed(1), ratio];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (i === 4 && b[2] === '-' ? 0 : b[i]!.length))));
  const fmt = (cells: string[]): string => cells.map((c, i) => (i === 4 ? c : i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  console.log(fmt(header));
  for (const b of body) console.log(fmt(b));
  console.log('samples/s is wall-clock; samples/CPU-s divides by the process\'s CPU time, which does not count other processes\' turns');
  console.log('on a busy machine (on an idle one the two agree). The ratio uses samples/CPU-s.');
  console.log(t.about);
  console.log('(stock kernels) = stock TF.js plus only the UnsortedSegmentSum wasm lacks; plain backend name = with the project kernels');
  console.log('(main/engine/compute/kernels.ts) and tf.layers.lstm/gru; (fused layer) = FusedLSTM/FusedGRU (main/engine/compute/fused-rnn.ts).');
  console.log('TF.js layers use hardSigmoid gates (their default), PyTorch sigmoid; the arithmetic is otherwise the same.');
}
