// The training doctor runs after every training step: its cost per step, against the cost of a step itself
// (a small GRU step on the current backend), so that diagnostics stay far below 1% of training time.
import * as tf from '@tensorflow/tfjs';
import { createDoctor } from '../../main/engine/train/doctor/index.ts';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { MODEL_BUILDERS } from '../../main/engine/train/models.ts';

export async function run(): Promise<void> {
  const classes = 22;
  const doctor = createDoctor({ repair: true });
  doctor.beforeTraining({
    labels: Array.from({ length: classes }, (_, i) => `c${i}`),
    counts: { train: Array.from({ length: classes }, (_, i) => 100 + i * 20), validation: Array(classes).fill(20), test: Array(classes).fill(20) },
    emptyTexts: 0,
    nanLikeTexts: 0,
    duplicatesAcrossSplits: 0,
  });
  const steps = 200_000;
  const counts = Array.from({ length: classes }, () => 3);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    doctor.onStep({ epoch: 1 + Math.floor(i / 400), step: (i % 400) + 1, loss: 2 - i / steps + (i % 7) * 0.01, gradNorm: 1 + (i % 5) * 0.1, finite: true, learningRate: 1e-3, classCounts: counts });
  }
  const perStepUs = ((performance.now() - t0) * 1000) / steps;

  const backend = await initBackend();
  const model = MODEL_BUILDERS.gru({ embeddingDim: 32, units: 32 })({ inputDim: 5000, sequenceLength: 40, classes }, 1);
  const opt = tf.train.adam(1e-3);
  const x = tf.randomUniform([64, 40], 0, 5000, 'int32');
  const y = tf.oneHot(tf.randomUniform([64], 0, classes, 'int32'), classes);
  const step = () => {
    const l = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor), true)!;
    l.dataSync();
    l.dispose();
  };
  step();
  const n = 10;
  const t1 = performance.now();
  for (let i = 0; i < n; i++) step();
  const stepUs = ((performance.now() - t1) * 1000) / n;
  console.log(`doctor.onStep: ${perStepUs.toFixed(2)} µs per step (${steps} steps, 22 classes)`);
  console.log(`GRU(32) training step, batch 64, sequence 40, on ${backend.name}: ${(stepUs / 1000).toFixed(1)} ms`);
  console.log(`doctor overhead: ${((100 * perStepUs) / stepUs).toFixed(4)}% of a training step`);
  tf.dispose([x, y]);
  model.dispose();
}
