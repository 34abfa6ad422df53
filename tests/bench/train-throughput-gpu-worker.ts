// One measurement for train-throughput-gpu.bench.ts, in its own process (each backend starts clean):
//   node --import tsx train-throughput-gpu-worker.ts BACKEND SHAPES lstm|gru STEPS
// SHAPES: 'bench' = the models of train-throughput.bench.ts (Embedding(5000,64) -> LSTM/GRU(64) -> Dense(30),
// sequence 100, batch 64; 'baseline' there = Embedding(5000,64) -> global max pool -> Dense(30)); '1024' = the chars-lstm-full recipe (one-hot characters -> LSTM/GRU(1024) -> Dense(30),
// 400 characters, batch 64). Models come from the product's own builders, so each backend trains with the
// recurrent layers it gets in a real run (the fused kernels where it has them). The loss is read back
// asynchronously every step, as the training loop does (webgpu cannot read synchronously in Node).
// Prints one JSON line.
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { MODEL_BUILDERS } from '../../main/engine/train/models.ts';
import { CHARS_LSTM_FULL_UNITS, RECIPES } from '../../main/engine/train/recipes.ts';
import { recurrentLayer } from '../../main/engine/compute/fused-rnn.ts';

export const SHAPE_SETS = {
  bench: { vocab: 5000, units: 64, sequence: 100, batch: 64, classes: 30 },
  '1024': { vocab: 100, units: CHARS_LSTM_FULL_UNITS, sequence: 400, batch: 64, classes: 30 },
} as const;

const [backend = 'wasm', shapes = 'bench', cell = 'lstm', stepsArg = '3'] = process.argv.slice(2) as [string, keyof typeof SHAPE_SETS, 'lstm' | 'gru' | 'baseline', string];
const info = await initBackend(backend);
const { vocab, units, sequence, batch, classes } = SHAPE_SETS[shapes];
const dims = { inputDim: vocab, sequenceLength: sequence, classes, trainExamples: 10_000 };

let model: tf.LayersModel;
if (shapes === 'bench') {
  model = MODEL_BUILDERS[cell]({ embeddingDim: 64, units, dropout: 0 })(dims, 1);
} else if (cell === 'baseline') {
  throw new Error('The baseline is measured at the bench shapes only.');
} else if (cell === 'lstm') {
  model = RECIPES['chars-lstm-full']!.build(dims, 1);
} else {
  // The GRU twin of chars-lstm-full: one-hot characters into a 1024-unit GRU.
  model = tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: vocab, outputDim: vocab, inputLength: sequence, embeddingsInitializer: tf.initializers.identity({ gain: 1 }), trainable: false }),
      recurrentLayer('gru', { units }),
      tf.layers.dense({ units: classes, activation: 'softmax' }),
    ],
  });
}

// Deterministic inputs without depending on Math.random.
let s = 12345;
const rand = (n: number): number => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) % n;
const x = tf.tensor2d(Array.from({ length: batch * sequence }, () => 1 + rand(vocab - 1)), [batch, sequence], 'int32');
const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, () => rand(classes)), 'int32'), classes).toFloat();
const optimizer = tf.train.adam(1e-3);
const step = async (): Promise<number> => {
  const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)!;
  const value = (await loss.data())[0]!;
  loss.dispose();
  return value;
};

const t00 = performance.now();
await step(); // first step: shader compilation, kernel setup, weight creation, optimizer slots
const firstStepMs = performance.now() - t00;
const steps = Math.max(1, Number(stepsArg));
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let loss = 0;
for (let i = 0; i < steps; i++) loss = await step();
const msPerStep = (performance.now() - t0) / steps;
const cpu = process.cpuUsage(cpu0);
const cpuMsPerStep = (cpu.user + cpu.system) / 1000 / steps;
const layers = model.layers.map((l) => l.getClassName()).join(' > ');
process.stdout.write(
  JSON.stringify({
    backend: info.name,
    device: info.device.label,
    shapes,
    cell,
    steps,
    firstStepMs,
    msPerStep,
    cpuMsPerStep,
    samplesPerSec: (batch * 1000) / msPerStep,
    loss,
    layers,
  }) + '\n',
);
