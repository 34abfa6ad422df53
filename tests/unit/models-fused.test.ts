// The model zoo's LSTM/GRU (single, stacked, bidirectional, with recurrent dropout) run on the fused kernels
// (compute/fused-rnn.ts) where the backend has them, and are the same models as with the standard
// tf.layers.lstm/gru: same layer and weight names, shapes, seeded initial weights and predictions. The standard
// twin to compare against is the same model converted by withStandardRecurrentLayers.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { FusedGRU, FusedLSTM, withStandardRecurrentLayers } from '../../main/engine/compute/fused-rnn.ts';
import { MODEL_BUILDERS } from '../../main/engine/train/models.ts';
import { modelFromArtifacts, modelToArtifacts } from '../../main/engine/train/artifacts.ts';
import { trainLoop } from '../../main/engine/train/loop.ts';
import { LABELS, SETTINGS, uciSlice } from './loop-fixtures.ts';

const dims = { inputDim: 60, sequenceLength: 12, classes: 3 };

beforeAll(async () => {
  await initBackend('wasm');
});

function weightsOf(m: tf.LayersModel): Array<{ name: string; shape: tf.Shape; values: number[] }> {
  // Variable names get a _N suffix when the same name was made before in this process; strip it to compare.
  return m.weights.map((w, i) => ({ name: w.originalName, shape: w.shape, values: Array.from(m.getWeights()[i]!.dataSync()) }));
}

function predict(m: tf.LayersModel, ids: tf.Tensor): Float32Array {
  return tf.tidy(() => (m.predict(ids) as tf.Tensor).dataSync() as Float32Array);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  a.forEach((v, i) => (d = Math.max(d, Math.abs(v - b[i]!))));
  return d;
}

describe('model zoo on the fused recurrent layers', () => {
  for (const [kind, Fused, standardClass] of [
    ['lstm', FusedLSTM, 'LSTM'],
    ['gru', FusedGRU, 'GRU'],
  ] as const) {
    it(`${kind}: the fused model is the standard one (names, shapes, seeded weights, predictions)`, async () => {
      const fused = MODEL_BUILDERS[kind]({ embeddingDim: 8, units: 8 })(dims, 3);
      const standard = await withStandardRecurrentLayers(fused);
      expect(fused.getLayer(`${kind}_1`)).toBeInstanceOf(Fused);
      expect(standard.getLayer(`${kind}_1`).getClassName()).toBe(standardClass);
      expect(fused.layers.map((l) => l.name)).toEqual(standard.layers.map((l) => l.name));
      // padding_bias: the non-trainable padding mask of the masked pooling (train/pooling.ts).
      expect(weightsOf(fused).map((w) => w.name)).toEqual([
        'embedding/embeddings',
        `${kind}_1/kernel`,
        `${kind}_1/recurrent_kernel`,
        `${kind}_1/bias`,
        'output/kernel',
        'output/bias',
        'padding_bias/embeddings',
      ]);
      expect(weightsOf(fused)).toEqual(weightsOf(standard));
      // The seeded initial weights are those the standard layer draws from the same initializers.
      const fresh = tf.layers[kind]({ units: 8, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 * 7919 + 10 * 104729 }) });
      fresh.apply(tf.input({ shape: [dims.sequenceLength, 8] }));
      expect(Array.from(fresh.getWeights()[0]!.dataSync())).toEqual(weightsOf(fused)[1]!.values);
      fresh.dispose();
      const ids = tf.randomUniform([16, dims.sequenceLength], 0, dims.inputDim, 'int32', 5);
      // Non-trivial weights (zero biases and tiny embeddings would hide a gate mix-up).
      const random = fused.getWeights().map((w, i) => tf.randomUniform(w.shape, -0.5, 0.5, 'float32', 100 + i));
      fused.setWeights(random);
      standard.setWeights(random);
      expect(maxAbsDiff(predict(fused, ids), predict(standard, ids))).toBeLessThan(1e-5);
      tf.dispose([ids, ...random]);
      fused.dispose();
      standard.dispose();
    });
  }

  it('every recurrent layer is fused: stacked, bidirectional (both directions) and with recurrent dropout', () => {
    const stacked = MODEL_BUILDERS.gru({ embeddingDim: 8, units: 8, layers: 2 })(dims, 1);
    expect(stacked.getLayer('gru_1')).toBeInstanceOf(FusedGRU);
    expect(stacked.getLayer('gru_2')).toBeInstanceOf(FusedGRU);
    const bi = MODEL_BUILDERS.bilstm({ embeddingDim: 8, units: 8 })(dims, 1);
    const wrapper = bi.getLayer('bilstm_1') as unknown as { forwardLayer: tf.layers.Layer; backwardLayer: tf.layers.Layer; getClassName(): string };
    expect(wrapper.getClassName()).toBe('Bidirectional');
    expect(wrapper.forwardLayer).toBeInstanceOf(FusedLSTM);
    expect(wrapper.backwardLayer).toBeInstanceOf(FusedLSTM);
    const rd = MODEL_BUILDERS.lstm({ embeddingDim: 8, units: 8, recurrentDropout: 0.2 })(dims, 1);
    expect(rd.getLayer('lstm_1')).toBeInstanceOf(FusedLSTM);
    for (const m of [stacked, bi, rd]) m.dispose();
  });

  it('a trained fused model round-trips through checkpoint artifacts and converts to standard layers with the same predictions', async () => {
    const slice = uciSlice(64, 32);
    const model = MODEL_BUILDERS.lstm({ embeddingDim: 8, units: 8 })({ inputDim: slice.pipeline.inputDim, sequenceLength: slice.pipeline.sequenceLength, classes: 2 }, 2);
    expect(model.getLayer('lstm_1')).toBeInstanceOf(FusedLSTM);
    await trainLoop(model, slice.train, slice.validation, LABELS, { ...SETTINGS, epochs: 1 });
    const copy = await modelFromArtifacts(await modelToArtifacts(model));
    expect(copy.getLayer('lstm_1')).toBeInstanceOf(FusedLSTM);
    const standard = await withStandardRecurrentLayers(copy);
    expect(standard.getLayer('lstm_1').getClassName()).toBe('LSTM');
    const input = slice.validation.inputs[0]!;
    const ids = tf.tensor(input.data, input.shape, input.dtype);
    const a = predict(model, ids);
    expect(maxAbsDiff(a, predict(copy, ids))).toBe(0);
    expect(maxAbsDiff(a, predict(standard, ids))).toBeLessThan(1e-5);
    tf.dispose(ids);
    for (const m of [model, copy, standard]) m.dispose();
  });
});
