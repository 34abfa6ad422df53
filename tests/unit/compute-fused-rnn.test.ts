// The fused LSTM and GRU must compute exactly what tf.layers.lstm/gru compute, values and gradients,
// on every backend they are registered for, and a model built with them must train like one built
// with the standard layer from the same weights.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../main/engine/compute/backend.ts';
import {
  FusedGRU,
  FusedLSTM,
  fusedGru,
  fusedLstm,
  gruWithOps,
  hasFusedGru,
  hasFusedLstm,
  lstmWithOps,
  recurrentLayer,
  withStandardRecurrentLayers,
  type GateActivation,
} from '../../main/engine/compute/fused-rnn.ts';

beforeAll(async () => {
  await initBackend('cpu');
  await initBackend('wasm');
});

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

const B = 3;
const T = 7;
const E = 4;
const U = 5;

type Cell = 'lstm' | 'gru';
const IMPL = {
  lstm: { fused: fusedLstm, withOps: lstmWithOps, layer: () => new FusedLSTM({ units: U }) },
  gru: { fused: fusedGru, withOps: gruWithOps, layer: () => new FusedGRU({ units: U }) },
};

function referenceLayer(cell: Cell, gate: GateActivation): tf.layers.Layer {
  return tf.layers[cell]({
    units: U,
    recurrentActivation: gate,
    kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
    recurrentInitializer: tf.initializers.glorotUniform({ seed: 3 }),
    // A wide bias range puts some hardSigmoid gates in their clipped region, where the gradient is 0.
    biasInitializer: tf.initializers.randomUniform({ minval: -3, maxval: 3, seed: 4 }),
  });
}

describe.each([
  ['lstm', 'wasm'],
  ['lstm', 'cpu'],
  ['gru', 'wasm'],
  ['gru', 'cpu'],
] as const)('fused %s on %s', (cell, backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  it('is registered there by initBackend', () => {
    expect(cell === 'lstm' ? hasFusedLstm(backend) : hasFusedGru(backend)).toBe(true);
  });

  it.each(['hardSigmoid', 'sigmoid'] as const)('matches the tf.layers one in value and in every gradient (%s gates)', (gate) => {
    const before = tf.memory().numTensors;
    const layer = referenceLayer(cell, gate);
    const { fused: fusedFn, withOps } = IMPL[cell];
    tf.tidy(() => {
      const x = tf.randomNormal([B, T, E], 0, 1.5, 'float32', 1) as tf.Tensor3D;
      const w = tf.randomNormal([B, U], 0, 1, 'float32', 5);
      const ref = layer.apply(x) as tf.Tensor;
      const [k, rk, b] = layer.getWeights() as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
      expect(maxAbsDiff(fusedFn(x, k, rk, b, gate), ref)).toBeLessThan(1e-5);
      expect(maxAbsDiff(withOps(x, k, rk, b, gate), ref)).toBeLessThan(1e-5);

      // Reference gradients: through the layer's variables, and with respect to its input.
      const vars = layer.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, w)) as tf.Scalar, vars);
      const dxRef = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(layer.apply(xx) as tf.Tensor, w)))(x);
      const fused = tf.grads((xx: tf.Tensor, kk: tf.Tensor, rr: tf.Tensor, bb: tf.Tensor) =>
        tf.sum(tf.mul(fusedFn(xx as tf.Tensor3D, kk as tf.Tensor2D, rr as tf.Tensor2D, bb as tf.Tensor1D, gate), w)),
      )([x, k, rk, b]);
      expect(maxAbsDiff(fused[0]!, dxRef)).toBeLessThan(1e-5);
      vars.forEach((v, i) => {
        const ref = grads[v.name]!;
        expect(tf.max(tf.abs(ref)).dataSync()[0]).toBeGreaterThan(1e-3); // a real gradient, not zeros
        expect(maxAbsDiff(fused[i + 1]!, ref)).toBeLessThan(1e-5);
      });
    });
    layer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the Fused layer trains like the tf.layers one from the same weights, and leaks no tensors', () => {
    const build = (rnn: tf.layers.Layer): tf.Sequential =>
      tf.sequential({
        layers: [
          tf.layers.embedding({ inputDim: 30, outputDim: E, inputLength: T, embeddingsInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: 7 }) }),
          rnn,
          tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 8 }) }),
        ],
      });
    const standard = build(referenceLayer(cell, 'hardSigmoid'));
    const fused = build(IMPL[cell].layer());
    expect(fused.getWeights().map((w) => w.shape)).toEqual(standard.getWeights().map((w) => w.shape));
    fused.setWeights(standard.getWeights());
    const x = tf.tensor2d([[1, 2, 3, 4, 5, 6, 0], [7, 7, 7, 1, 1, 0, 0], [29, 3, 1, 4, 1, 5, 9]], [3, T], 'int32');
    const y = tf.oneHot(tf.tensor1d([0, 2, 1], 'int32'), 3).toFloat();
    const train = (model: tf.Sequential): number[] => {
      const opt = tf.train.adam(0.05);
      const losses: number[] = [];
      for (let s = 0; s < 4; s++) {
        const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)!;
        losses.push(loss.dataSync()[0]!);
        loss.dispose();
      }
      opt.dispose();
      return losses;
    };
    const want = train(standard);
    const before = tf.memory().numTensors;
    const got = train(fused);
    expect(want[3]!).toBeLessThan(want[0]!);
    got.forEach((l, i) => expect(Math.abs(l - want[i]!)).toBeLessThan(1e-4));
    // train() disposes its optimizer (and so Adam's slots): nothing else may stay behind.
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    standard.dispose();
    fused.dispose();
  });
});

describe('FusedLSTM/FusedGRU input dropout and recurrentLayer()', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });

  it('drops inputs only when training, with one mask per example for all time steps', () => {
    const layer = new FusedLSTM({ units: U, dropout: 0.5, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) });
    const standard = tf.layers.lstm({ units: U, dropout: 0.5 });
    tf.tidy(() => {
      const x = tf.randomNormal([B, T, E], 0, 1, 'float32', 3);
      const inference = layer.apply(x) as tf.Tensor;
      standard.apply(x); // builds it
      standard.setWeights(layer.getWeights());
      expect(maxAbsDiff(inference, standard.apply(x) as tf.Tensor)).toBeLessThan(1e-5);
      expect(maxAbsDiff(layer.apply(x, { training: true }) as tf.Tensor, inference)).toBeGreaterThan(1e-3);
      // A feature dropped for an example is dropped at every step: with inputs that are constant over
      // time, the dropped-out run equals the clean run on one masked input repeated over time.
      const step = tf.randomNormal([B, 1, E], 0, 1, 'float32', 4);
      const constant = tf.tile(step, [1, T, 1]);
      const trained = layer.apply(constant, { training: true }) as tf.Tensor;
      const [k, rk, b] = layer.getWeights() as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
      // The mask is not observable directly, but any per-step mask would break this equality:
      // search the 2^E masks of example 0 for one that reproduces its output.
      const masks = Array.from({ length: 2 ** E }, (_, m) => Array.from({ length: E }, (_, e) => ((m >> e) & 1) * 2));
      const row0 = tf.slice(constant, [0, 0, 0], [1, T, E]);
      const want = tf.slice(trained, [0, 0], [1, U]);
      const found = masks.some((mask) => maxAbsDiff(lstmWithOps(tf.mul(row0, tf.tensor1d(mask)) as tf.Tensor3D, k, rk, b), want) < 1e-5);
      expect(found).toBe(true);
    });
    layer.dispose();
    standard.dispose();
  });

  it('recurrentLayer() gives the fused layer where it can and the standard one where it cannot', () => {
    expect(recurrentLayer('lstm', { units: 4, dropout: 0.2 })).toBeInstanceOf(FusedLSTM);
    expect(recurrentLayer('gru', { units: 4 })).toBeInstanceOf(FusedGRU);
    expect(recurrentLayer('lstm', { units: 4, returnSequences: true }).getClassName()).toBe('LSTM');
    expect(recurrentLayer('gru', { units: 4, recurrentDropout: 0.1 }).getClassName()).toBe('GRU');
  });
});

describe('saving models with fused layers', () => {
  it('a fused model saves and loads as itself (checkpoints), with the same predictions', async () => {
    await tf.setBackend('wasm');
    const model = tf.sequential({
      layers: [tf.layers.embedding({ inputDim: 20, outputDim: E, inputLength: T }), new FusedGRU({ units: U, dropout: 0.1 }), tf.layers.dense({ units: 2 })],
    });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    expect(loaded.layers[1]).toBeInstanceOf(FusedGRU);
    expect((loaded.layers[1] as FusedGRU).dropout).toBe(0.1);
    const x = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7]], [1, T], 'int32');
    expect(maxAbsDiff(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor)).toBeLessThan(1e-6);
    tf.dispose(x);
    model.dispose();
    loaded.dispose();
  });

  it('turns a fused model into one plain TensorFlow.js can load, with the same predictions', async () => {
    await tf.setBackend('wasm');
    const tokens = tf.input({ shape: [T], dtype: 'int32' });
    const emb = tf.layers.embedding({ inputDim: 20, outputDim: E }).apply(tokens) as tf.SymbolicTensor;
    const a = new FusedLSTM({ units: U, dropout: 0.3, name: 'lstm_a' }).apply(emb) as tf.SymbolicTensor;
    const b = new FusedGRU({ units: U, recurrentActivation: 'sigmoid', name: 'gru_b' }).apply(emb) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 2, activation: 'softmax' }).apply(tf.layers.concatenate().apply([a, b]) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const fused = tf.model({ inputs: tokens, outputs: out });
    const standard = await withStandardRecurrentLayers(fused);
    const topology = JSON.stringify(standard.toJSON(null, false));
    expect(topology).not.toContain('Textbench');
    expect(topology).toContain('"class_name":"LSTM"');
    expect(topology).toContain('"recurrent_activation":"sigmoid"');
    const x = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7], [19, 0, 0, 3, 3, 3, 1]], [2, T], 'int32');
    expect(maxAbsDiff(standard.predict(x) as tf.Tensor, fused.predict(x) as tf.Tensor)).toBeLessThan(1e-5);
    // And it survives a save/load round trip through plain tfjs serialization.
    let artifacts: tf.io.ModelArtifacts | undefined;
    await standard.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    expect(maxAbsDiff(loaded.predict(x) as tf.Tensor, fused.predict(x) as tf.Tensor)).toBeLessThan(1e-5);
    tf.dispose(x);
    for (const m of [fused, standard, loaded]) m.dispose();
  });
});
