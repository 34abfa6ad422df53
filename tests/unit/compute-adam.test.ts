// The fused Adam update (compute/adam.ts) gives tf.train.adam's numbers bit for bit: same weights and losses over
// 20 steps of an Embedding → GRU → Dense model from the same start, on wasm and cpu; and it falls back to tfjs's
// own update where the kernel is not registered.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { FUSED_ADAM, FusedAdamOptimizer, adam } from '../../main/engine/compute/adam.ts';
import { recurrentLayer } from '../../main/engine/compute/fused-rnn.ts';

beforeAll(async () => {
  await initBackend('cpu');
  await initBackend('wasm');
});

function build(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: 30, outputDim: 6, inputLength: 7, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 1 }) }),
      recurrentLayer('gru', { units: 5, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
    ],
  });
}

function train(model: tf.LayersModel, opt: tf.Optimizer): { losses: number[]; weights: number[][]; grew: number } {
  const x = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7], [8, 8, 9, 1, 0, 0, 0], [29, 3, 1, 4, 1, 5, 9], [2, 7, 1, 8, 2, 8, 1]], [4, 7], 'int32');
  const y = tf.oneHot(tf.tensor1d([0, 2, 1, 1], 'int32'), 3).toFloat();
  const losses: number[] = [];
  let afterFirst = 0;
  for (let s = 0; s < 20; s++) {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)!;
    losses.push(loss.dataSync()[0]!);
    loss.dispose();
    if (s === 0) afterFirst = tf.memory().numTensors; // the optimizer's slots exist from the first step on
  }
  const grew = tf.memory().numTensors - afterFirst;
  tf.dispose([x, y]);
  return { losses, weights: model.getWeights().map((w) => Array.from(w.dataSync())), grew };
}

describe.each(['wasm', 'cpu'] as const)('fused Adam on %s', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  it('is registered there and gives tf.train.adam the same weights and losses, bit for bit, over 20 steps', () => {
    expect(tf.getKernel(FUSED_ADAM, backend)).toBeDefined();
    const reference = build();
    const fused = build();
    fused.setWeights(reference.getWeights());
    const plainOpt = tf.train.adam(0.05);
    const want = train(reference, plainOpt);
    const fusedOpt = adam(0.05);
    expect(fusedOpt).toBeInstanceOf(FusedAdamOptimizer);
    const got = train(fused, fusedOpt);
    expect(want.losses[19]!).toBeLessThan(want.losses[0]! * 0.7);
    expect(got.losses).toEqual(want.losses);
    expect(got.weights).toEqual(want.weights);
    expect(got.grew).toBe(0); // no tensor left behind by a step
    fusedOpt.dispose();
    plainOpt.dispose();
    reference.dispose();
    fused.dispose();
  });

  it('keeps reading its learning rate field, as the loop sets it between steps', () => {
    const model = build();
    const opt = adam(0.05) as unknown as { learningRate: number } & tf.Optimizer;
    opt.learningRate = 0; // no step at all
    const before = model.getWeights().map((w) => Array.from(w.dataSync()));
    train(model, opt);
    expect(model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(before);
    opt.dispose();
    model.dispose();
  });
});
