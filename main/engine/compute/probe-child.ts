// Run by probeBackends() in a child process: `node --import tsx probe-child.ts BACKEND`.
// Loads one backend, trains one step of a tiny Embedding model on it (which exercises the kernels
// the project registers), and prints one JSON line: a BackendProbe.
import * as tf from '@tensorflow/tfjs';
import { backendVersion, initBackend, isBackendName, type BackendInfo } from './backend.ts';
import { recurrentLayer } from './fused-rnn.ts';
import { FUSED_LSTM_FORWARD } from './rnn-op.ts';
import type { BackendProbe } from './probe.ts';
import { surveyAdapters } from './webgpu/adapters.ts';

/** Which fused recurrent kernels the backend got (WebAssembly SIMD and on how many threads, or JavaScript). */
function recurrentNote(info: BackendInfo): string[] {
  const rnn = info.kernels?.find((k) => k.kernel === FUSED_LSTM_FORWARD);
  return rnn?.detail ? [`recurrent layers: ${rnn.detail}`] : [];
}

/** How the pooling's ops (batched products, comparisons, Max over time) run on wasm: ops.c, or why not. */
function poolingNote(info: BackendInfo): string[] {
  const max = info.kernels?.find((k) => k.kernel === 'Max');
  return max?.detail ? [`pooling ops: ${max.detail}`] : [];
}

async function notes(name: string, info: BackendInfo): Promise<string[]> {
  if (name !== 'wasm') return recurrentNote(info);
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  return [
    simd ? 'SIMD on' : 'SIMD off (this Node/V8 lacks WebAssembly SIMD: slower)',
    // tfjs-backend-wasm's threaded build starts its workers from blob: URLs, which Node's
    // worker_threads refuse (ERR_WORKER_PATH), so in Node it always runs on one thread.
    `${wasm.getThreadsCount()} thread (the multi-threaded wasm build needs a browser)`,
    ...recurrentNote(info),
    ...poolingNote(info),
  ];
}

/** One SGD step of Embedding → GRU (the fused kernels where registered) → softmax. Read asynchronously: the webgpu
 * backend cannot read GPU memory synchronously in Node. */
async function smokeStep(): Promise<number> {
  const model = tf.sequential({
    layers: [tf.layers.embedding({ inputDim: 50, outputDim: 8, inputLength: 6, maskZero: true }), recurrentLayer('gru', { units: 4 }), tf.layers.dense({ units: 3, activation: 'softmax' })],
  });
  const x = tf.tensor2d([[1, 2, 3, 4, 5, 1], [7, 7, 8, 9, 0, 0]], [2, 6], 'int32');
  const y = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3).toFloat();
  const opt = tf.train.sgd(0.1);
  const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar, true)!;
  const value = (await loss.data())[0]!;
  tf.dispose([x, y, loss]);
  model.dispose();
  return value;
}

const name = process.argv[2] ?? '';
let probe: BackendProbe;
if (!isBackendName(name)) {
  probe = { name: 'cpu', loads: false, reason: `unknown backend "${name}"` };
} else {
  try {
    const info = await initBackend(name);
    const t0 = performance.now();
    const loss = await smokeStep();
    if (!Number.isFinite(loss)) throw new Error(`it loads, but a training step on it gave a loss of ${loss}`);
    probe = {
      name,
      loads: true,
      version: info.version,
      kernels: (info.kernels ?? []).map((k) => `${k.kernel} (${k.action})`),
      smokeMs: Math.round(performance.now() - t0),
      notes: await notes(name, info),
      device: info.device.label,
      // A software WebGPU adapter loads when asked for by name, but automatic choice passes it over.
      ...(info.device.adapter?.software
        ? { automatic: false, notAutomatic: `a software adapter (${info.device.adapter.softwareReason}): used only with --backend webgpu` }
        : {}),
    };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    // initBackend's message for a requested backend wraps the reason; keep just the reason.
    const m = /does not load here: (.*?)\. Run `textbench backends`/.exec(msg);
    probe = { name, loads: false, reason: m ? m[1]! : msg.split('\n')[0]!, version: backendVersion(name) };
  }
  if (name === 'webgpu') probe.adapters = (await surveyAdapters()).adapters;
}
process.stdout.write(JSON.stringify(probe) + '\n');
