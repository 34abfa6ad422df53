// Training throughput of the recurrent classifiers at fixed shapes: the fused layers on the WebAssembly SIMD kernels
// with one thread and with every core, next to the same model in PyTorch with one thread and with every thread
// count up to the core count (its best is the comparison), in the same run. Shapes: vocabulary 5,000, embedding 64,
// 64 units, sequence 100, batch 64, 30 classes, Adam; LSTM, GRU, and both bidirectional.
// Every measurement runs in its own process, one after another. The machine may be shared: the TF.js and PyTorch
// measurements of a model alternate, the whole set repeats BENCH_ROUNDS times (default 3), and the tables show
// medians. Samples per CPU-second (all threads of the process) are what an idle machine would give per core;
// samples per wall-second are what a person waits for.
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
const MODELS = ['lstm', 'gru', 'bilstm', 'bigru'] as const;

interface Measured {
  msPerStep: number;
  samplesPerSec: number;
  samplesPerCpuSec: number;
}

function lastJson<T>(stdout: string): T | undefined {
  const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  return line ? (JSON.parse(line) as T) : undefined;
}

function failure(r: ReturnType<typeof spawnSync>): string {
  const err = String(r.stderr ?? '').trim().split('\n').filter(Boolean).pop();
  return `failed: ${err ?? r.error?.message ?? `exit ${r.status}`}`.slice(0, 200);
}

function tfjs(backend: string, model: string, kernels: 'simd' | 'simd-plain' | 'js' | 'stock', threads: number, steps: number): Measured | string {
  process.stderr.write(`  TF.js ${backend} ${model} (${kernels}, ${threads} thread${threads === 1 ? '' : 's'})…\n`);
  const r = spawnSync(process.execPath, ['--import', TSX, WORKER, backend, model, kernels, String(threads), String(steps)], { encoding: 'utf8', timeout: 900_000 });
  return lastJson<Measured>(r.stdout ?? '') ?? failure(r);
}

function torchAvailable(): { ok: true; about: string } | { ok: false; why: string } {
  const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.status !== 0) return { ok: false, why: probe.error ? `${PYTHON} not found` : 'python3-torch is not installed (apt-get install python3-torch)' };
  const blas = spawnSync('sh', ['-c', 'readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true'], { encoding: 'utf8' }).stdout.trim();
  return { ok: true, about: `PyTorch ${probe.stdout.trim()}, BLAS ${blas || 'unknown'}` };
}

function torch(model: string, threads: number, steps: number): Measured | string {
  process.stderr.write(`  PyTorch ${model} (${threads} thread${threads === 1 ? '' : 's'})…\n`);
  const n = String(threads);
  // Its own pool, OpenMP and whichever BLAS the system links: all at `threads`.
  const env = { ...process.env, OMP_NUM_THREADS: n, OPENBLAS_NUM_THREADS: n, MKL_NUM_THREADS: n };
  const r = spawnSync(PYTHON, [TORCH, '--models', model, '--steps', String(steps), '--threads', n], { encoding: 'utf8', env, timeout: 900_000 });
  return lastJson<Measured>(r.stdout ?? '') ?? failure(r);
}

/** Median of the successful measurements; the first failure message when none succeeded. */
function median(results: Array<Measured | string>): Measured | string {
  const ok = results.filter((r): r is Measured => typeof r !== 'string');
  if (!ok.length) return results[0] ?? 'not measured';
  const mid = (f: (m: Measured) => number): number => {
    const v = ok.map(f).sort((a, b) => a - b);
    return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
  };
  return { msPerStep: mid((m) => m.msPerStep), samplesPerSec: mid((m) => m.samplesPerSec), samplesPerCpuSec: mid((m) => m.samplesPerCpuSec) };
}

/** PyTorch thread counts worth trying: 1, powers of two, and every core. */
function torchThreadCounts(cores: number): number[] {
  const counts = new Set([1, cores]);
  for (let t = 2; t < cores; t *= 2) counts.add(t);
  return [...counts].sort((a, b) => a - b);
}

const n0 = (v: number): string => Math.round(v).toLocaleString('en-US');
const x2 = (v: number): string => `${v.toFixed(2)}x`;

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [fmt(header), ...rows.map(fmt)];
}

export async function run(): Promise<void> {
  const cores = os.availableParallelism();
  const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
  const torchInfo = torchAvailable();
  const torchThreads = torchThreadCounts(cores);
  console.log(`Embedding(5000,64) -> LSTM/GRU(64) [bidirectional: 2 x 64] -> Dense(30), sequence 100, batch 64, Adam`);
  console.log(`${cores} CPU cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, Node ${process.version}; ${rounds} rounds, medians`);

  const ours: Record<string, Array<Measured | string>> = {};
  const theirs: Record<string, Array<Measured | string>> = {};
  const add = (store: Record<string, Array<Measured | string>>, key: string, m: Measured | string): void => void (store[key] ??= []).push(m);
  for (let round = 1; round <= rounds; round++) {
    process.stderr.write(`round ${round} of ${rounds}\n`);
    for (const model of MODELS) {
      add(ours, `${model}/1`, tfjs('wasm', model, 'simd', 1, 15));
      if (torchInfo.ok) add(theirs, `${model}/1`, torch(model, 1, 20));
      if (cores > 1) add(ours, `${model}/${cores}`, tfjs('wasm', model, 'simd', cores, 15));
      if (torchInfo.ok) for (const t of torchThreads.filter((t) => t > 1)) add(theirs, `${model}/${t}`, torch(model, t, 20));
    }
  }

  const rows: string[][] = [];
  const bestRows: string[][] = [];
  for (const model of MODELS) {
    const one = median(ours[`${model}/1`] ?? []);
    const all = cores > 1 ? median(ours[`${model}/${cores}`] ?? []) : one;
    const pt1 = torchInfo.ok ? median(theirs[`${model}/1`] ?? []) : torchInfo.why;
    // PyTorch's best thread count, by samples per wall-second.
    let ptBest: { threads: number; m: Measured } | undefined;
    for (const t of torchInfo.ok ? torchThreads : []) {
      const m = median(theirs[`${model}/${t}`] ?? []);
      if (typeof m !== 'string' && (!ptBest || m.samplesPerSec > ptBest.m.samplesPerSec)) ptBest = { threads: t, m };
    }
    const cell = (m: Measured | string, f: (m: Measured) => number): string => (typeof m === 'string' ? '-' : n0(f(m)));
    const ratio = (a: Measured | string, b: Measured | string | undefined, f: (m: Measured) => number): string =>
      typeof a === 'string' || !b || typeof b === 'string' ? '-' : x2(f(a) / f(b));
    rows.push([
      model,
      cell(one, (m) => m.samplesPerCpuSec),
      cell(one, (m) => m.samplesPerSec),
      cell(pt1, (m) => m.samplesPerCpuSec),
      cell(pt1, (m) => m.samplesPerSec),
      ratio(one, pt1, (m) => m.samplesPerCpuSec),
    ]);
    bestRows.push([
      model,
      cell(all, (m) => m.samplesPerSec),
      cell(all, (m) => m.samplesPerCpuSec),
      ptBest ? `${n0(ptBest.m.samplesPerSec)} (${ptBest.threads}t)` : '-',
      ptBest ? n0(ptBest.m.samplesPerCpuSec) : '-',
      ratio(all, ptBest?.m, (m) => m.samplesPerSec),
    ]);
    for (const m of [one, all, pt1]) if (typeof m === 'string') console.log(`${model}: ${m}`);
  }
  console.log('\nOne thread (ratio: samples per CPU-second, TF.js / PyTorch):');
  for (const l of table(['model', 'TF.js /CPU-s', 'TF.js /s', 'PyTorch /CPU-s', 'PyTorch /s', 'ratio'], rows)) console.log(l);
  console.log(`\nAll ${cores} cores (ratio: samples per wall-second, TF.js on ${cores} threads / PyTorch at its best thread count):`);
  for (const l of table(['model', `TF.js ${cores}t /s`, 'TF.js /CPU-s', 'PyTorch best /s', 'PyTorch /CPU-s', 'ratio'], bestRows)) console.log(l);

  // References from one round: the same fused layers on the JavaScript kernels, the stock TF.js layers, and the
  // native TensorFlow backend where it is installed.
  console.log('\nReferences (one round, samples per CPU-second):');
  const refs: string[][] = [];
  for (const model of ['lstm', 'gru'] as const) {
    const simd = median(ours[`${model}/1`] ?? []);
    for (const [label, m] of [
      ['fused layers, WebAssembly SIMD without FMA', tfjs('wasm', model, 'simd-plain', 1, 15)],
      ['fused layers, JavaScript kernels', tfjs('wasm', model, 'js', 1, 3)],
      ['tf.layers, stock TF.js kernels', tfjs('wasm', model, 'stock', 1, 2)],
      ...(installedNative() ? ([['native TensorFlow (tfjs-node)', tfjs('tensorflow', model, 'stock', 1, 10)]] as const) : []),
    ] as const) {
      refs.push([`${model}: ${label}`, typeof m === 'string' ? m : n0(m.samplesPerCpuSec), typeof m === 'string' || typeof simd === 'string' ? '-' : x2(simd.samplesPerCpuSec / m.samplesPerCpuSec)]);
    }
  }
  for (const l of table(['configuration', '/CPU-s', 'SIMD kernels are'], refs)) console.log(l);
  console.log(`\n${torchInfo.ok ? torchInfo.about : `PyTorch: skipped (${torchInfo.why})`}`);
  console.log('TF.js: @tensorflow/tfjs-backend-wasm with the project kernels; fused layers on compute/wasm/rnn.c (128-bit SIMD; fused multiply-adds through relaxed SIMD where the engine has it).');
  console.log('TF.js layers use hardSigmoid gates (their default), PyTorch sigmoid; the arithmetic is otherwise the same.');
}

function installedNative(): boolean {
  try {
    require.resolve(BACKEND_PACKAGES.tensorflow.pkg);
    return true;
  } catch {
    return false; // MODULE_NOT_FOUND: the optional package is absent
  }
}
