// One measurement for train-throughput.bench.ts, in its own process so that each configuration starts clean:
//   node --import tsx train-throughput-worker.ts BACKEND MODEL KERNELS THREADS STEPS
// MODEL: lstm, gru, bilstm, bigru. KERNELS: simd (the fused layers on the WebAssembly SIMD kernels, the default:
// the build with fused multiply-adds where the engine has relaxed SIMD), simd-plain (the plain SIMD build), js (the
// fused layers on the JavaScript kernels), stock (tf.layers.lstm/gru on stock TF.js kernels plus only the
// UnsortedSegmentSum wasm lacks, and tf.train.adam). Trains Embedding(5000,64) -> LSTM/GRU(64) -> Dense(30, softmax)
// with Adam on one fixed batch (64 x 100 token ids) the way the training loop does (optimizer.minimize on a
// cross-entropy, the loop's fused Adam) and prints one JSON line.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { bidirectionalLayer, recurrentLayer } from '../../main/engine/compute/fused-rnn.ts';
import { adam } from '../../main/engine/compute/adam.ts';

export const SHAPES = { vocab: 5000, embedding: 64, units: 64, sequence: 100, batch: 64, classes: 30 } as const;

const [backend = 'wasm', modelName = 'lstm', kernels = 'simd', threadsArg = '1', stepsArg = '5'] = process.argv.slice(2);
const info = await initBackend(backend, { kernels: { fast: kernels !== 'stock', rnn: kernels === 'js' ? 'js' : 'wasm-simd', threads: Number(threadsArg), fma: kernels !== 'simd-plain' } });
const { vocab, embedding, units, sequence, batch, classes } = SHAPES;
const cell = modelName.endsWith('lstm') ? 'lstm' : 'gru';
const bidirectional = modelName.startsWith('bi');

// Deterministic inputs without depending on Math.random.
let s = 12345;
const rand = (n: number): number => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) % n;
const x = tf.tensor2d(Array.from({ length: batch * sequence }, () => 1 + rand(vocab - 1)), [batch, sequence], 'int32');
const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, () => rand(classes)), 'int32'), classes).toFloat();

const args = { units, recurrentInitializer: tf.initializers.glorotUniform({}) };
const rnn =
  kernels === 'stock'
    ? bidirectional
      ? tf.layers.bidirectional({ layer: tf.layers[cell](args) as tf.RNN })
      : tf.layers[cell](args)
    : bidirectional
      ? bidirectionalLayer(cell, args)
      : recurrentLayer(cell, args);
const model = tf.sequential({
  layers: [tf.layers.embedding({ inputDim: vocab, outputDim: embedding, inputLength: sequence }), rnn, tf.layers.dense({ units: classes, activation: 'softmax' })],
});
// The training loop's optimizer (train/loop.ts: tf.train.adam's numbers, one fused pass per variable); stock: tfjs's own.
const optimizer = kernels === 'stock' ? tf.train.adam(1e-3) : adam(1e-3);
const step = (): number => {
  const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)!;
  const value = loss.dataSync()[0]!;
  loss.dispose();
  return value;
};

// First steps: kernel setup, weight creation, optimizer slots.
for (let i = 0; i < 2; i++) step();
const steps = Math.max(1, Number(stepsArg));
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let loss = 0;
for (let i = 0; i < steps; i++) loss = step();
const msPerStep = (performance.now() - t0) / steps;
// CPU time of the whole process (every thread), as well as wall time: on a shared machine wall time also counts
// other processes' turns.
const cpu = process.cpuUsage(cpu0);
const cpuMsPerStep = (cpu.user + cpu.system) / 1000 / steps;
process.stdout.write(
  JSON.stringify({
    backend: info.name,
    model: modelName,
    kernels,
    threads: info.threads ?? 1,
    steps,
    msPerStep,
    cpuMsPerStep,
    samplesPerSec: (batch * 1000) / msPerStep,
    samplesPerCpuSec: (batch * 1000) / cpuMsPerStep,
    loss,
    version: info.version,
  }) + '\n',
);
process.exit(0);
