// The GPU section of `npm run bench train-throughput`: training throughput (samples/s) of the webgpu backend
// against wasm, side by side in one run, at the shapes of train-throughput.bench.ts and at the 1024-unit shapes
// of chars-lstm-full (one-hot characters -> 1024 units, 400 characters, batch 64).
//
// The GPU is the machine's best hardware adapter; without one, SwiftShader (the software Vulkan driver of Debian's
// chromium, as in the tests), which shows the path works but measures a CPU pretending to be a GPU: it is labelled
// so, and skips the 1024-unit shapes: on this 2-core machine two LSTM(1024) steps at 20 characters (a twentieth of
// the recipe's 400) did not finish in 15 minutes on SwiftShader. Each measurement runs in its own process, one after another.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runSurvey, type AdapterSurvey } from '../../main/engine/compute/webgpu/adapters.ts';
import { softwareGpuEnv } from '../fixtures/software-gpu.ts';

const require = createRequire(import.meta.url);
const WORKER = fileURLToPath(new URL('./train-throughput-gpu-worker.ts', import.meta.url));
const TSX = pathToFileURL(require.resolve('tsx')).href;

interface Measured {
  device: string;
  firstStepMs: number;
  msPerStep: number;
  samplesPerSec: number;
  layers: string;
}
interface Row {
  shapes: string;
  cell: string;
  backend: string;
  result?: Measured;
  note?: string;
}

function measure(env: NodeJS.ProcessEnv, backend: string, shapes: string, cell: string, steps: number): Row {
  process.stderr.write(`  measuring ${backend} ${shapes} ${cell}…\n`);
  const r = spawnSync(process.execPath, ['--import', TSX, WORKER, backend, shapes, cell, String(steps)], { encoding: 'utf8', env, timeout: 1_800_000 });
  const line = (r.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) return { shapes, cell, backend, note: `failed: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop()}` };
  return { shapes, cell, backend, result: JSON.parse(line) as Measured };
}

/** The environment to measure the GPU in: as is when it has a hardware adapter, else pointed at SwiftShader. */
async function gpuEnvironment(): Promise<{ env: NodeJS.ProcessEnv; software: boolean; about: string } | { skip: string }> {
  const here: AdapterSurvey = await runSurvey();
  const hardware = here.adapters.find((a) => !a.software);
  if (hardware) return { env: process.env, software: false, about: `hardware adapter: ${hardware.vendor} ${hardware.description || hardware.architecture}` };
  const gpu = softwareGpuEnv();
  if (!gpu.ok) return { skip: `no hardware adapter (${here.problem ?? 'only software ones'}) and no SwiftShader: ${gpu.reason}` };
  return { env: gpu.env, software: true, about: `no hardware adapter here (${here.problem ?? 'only software ones'}); measured on SwiftShader, a CPU` };
}

export async function run(): Promise<void> {
  console.log(`webgpu vs wasm, training steps of the product's models; ${os.cpus().length} CPU cores, Node ${process.version}`);
  const gpu = await gpuEnvironment();
  if ('skip' in gpu) {
    console.log(`webgpu: skipped, ${gpu.skip}`);
    return;
  }
  console.log(gpu.about);
  const rows: Row[] = [];
  // The baseline too: whether the GPU pays for a model without a recurrence is a measurement, not a guess.
  for (const cell of ['lstm', 'gru', 'baseline']) {
    rows.push(measure(gpu.env, 'webgpu', 'bench', cell, gpu.software ? 2 : 10));
    rows.push(measure(process.env, 'wasm', 'bench', cell, 3));
  }
  for (const cell of ['lstm', 'gru']) {
    rows.push(
      gpu.software
        ? { shapes: '1024', cell, backend: 'webgpu', note: 'skipped: software adapter (a 1024-unit step is ~10^11 multiply-adds on the CPU through SwiftShader)' }
        : measure(gpu.env, 'webgpu', '1024', cell, 3),
    );
    rows.push(measure(process.env, 'wasm', '1024', cell, 1));
  }
  const header = ['shapes', 'model', 'backend', 'device', 'first step ms', 'ms/step', 'samples/s', 'webgpu/wasm'];
  const wasmRate = (shapes: string, cell: string) => rows.find((r) => r.backend === 'wasm' && r.shapes === shapes && r.cell === cell)?.result?.samplesPerSec;
  const body = rows.map((r) => {
    if (!r.result) return [r.shapes, r.cell, r.backend, '-', '-', '-', '-', r.note ?? ''];
    const base = wasmRate(r.shapes, r.cell);
    const ratio = r.backend === 'webgpu' && base ? `${(r.result.samplesPerSec / base).toFixed(2)}x` : '';
    return [r.shapes, r.cell, r.backend, r.result.device, r.result.firstStepMs.toFixed(0), r.result.msPerStep.toFixed(1), r.result.samplesPerSec.toFixed(1), ratio];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (i === 7 ? 0 : b[i]!.length))));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 7 ? c : i >= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  console.log(fmt(header));
  for (const b of body) console.log(fmt(b));
  console.log('bench = Embedding(5000,64) -> LSTM/GRU(64) -> Dense(30), sequence 100, batch 64; 1024 = one-hot characters (100) ->');
  console.log('LSTM/GRU(1024) -> Dense(30), 400 characters, batch 64 (chars-lstm-full). Adam; the loss is read back every step.');
  for (const r of rows.filter((x) => x.result)) console.log(`  ${r.backend} ${r.shapes} ${r.cell}: ${r.result!.layers}`);
}
