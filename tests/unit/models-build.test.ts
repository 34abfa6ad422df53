import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { MODEL_BUILDERS, MODEL_INPUT } from '../../main/engine/train/models.ts';
import { trainLoop } from '../../main/engine/train/loop.ts';
import { modelFromArtifacts, modelToArtifacts } from '../../main/engine/train/artifacts.ts';
import { MODEL_NAMES } from '../../shared/training.ts';
import { LABELS, SETTINGS, uciSlice } from './loop-fixtures.ts';

beforeAll(async () => {
  await initBackend();
});

describe('model zoo', () => {
  for (const name of MODEL_NAMES.filter((n) => n !== 'ensemble')) {
    it(`${name} builds, trains a few steps, and round-trips through the layers format`, async () => {
      const slice = uciSlice(64, 32, MODEL_INPUT[name] === 'ngrams' ? { tokens: 'ngrams', sequenceLength: null } : {});
      const build = MODEL_BUILDERS[name]({ embeddingDim: 8, units: 8, layers: name === 'gru' ? 2 : 1 });
      const model = build({ inputDim: slice.pipeline.inputDim, sequenceLength: slice.pipeline.sequenceLength, classes: 2 }, 1);
      expect(model.inputs.map((i) => i.name.split('_')[0])).toEqual(slice.train.inputs.map((i) => i.name));
      const before = model.getWeights().map((w) => w.dataSync().slice());
      const r = await trainLoop(model, slice.train, slice.validation, LABELS, { ...SETTINGS, epochs: 1 });
      expect(r.epochs).toBe(1);
      expect(Number.isFinite(r.state.history[0]!.trainLoss)).toBe(true);
      const after = model.getWeights().map((w) => w.dataSync());
      expect(after.some((w, i) => w.some((v, j) => v !== before[i]![j]))).toBe(true);
      const copy = await modelFromArtifacts(await modelToArtifacts(model));
      const x = slice.validation.inputs.map((inp) => tf.tensor(inp.data, inp.shape, inp.dtype));
      const a = model.predict(x.length === 1 ? x[0]! : x) as tf.Tensor;
      const b = copy.predict(x.length === 1 ? x[0]! : x) as tf.Tensor;
      expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-6);
      tf.dispose([...x, a, b]);
      model.dispose();
      copy.dispose();
    });
  }

  it('is a pure function of its config and seed', () => {
    const dims = { inputDim: 50, sequenceLength: 10, classes: 3 };
    const a = MODEL_BUILDERS.gru({ units: 4, embeddingDim: 4 })(dims, 5);
    const b = MODEL_BUILDERS.gru({ units: 4, embeddingDim: 4 })(dims, 5);
    const c = MODEL_BUILDERS.gru({ units: 4, embeddingDim: 4 })(dims, 6);
    const flat = (m: tf.LayersModel) => m.getWeights().flatMap((w) => Array.from(w.dataSync()));
    expect(flat(a)).toEqual(flat(b));
    expect(flat(a)).not.toEqual(flat(c));
    for (const m of [a, b, c]) m.dispose();
  });

  it('starts from pretrained vectors and keeps them frozen when asked', async () => {
    const slice = uciSlice(64, 16);
    const dim = 4;
    const matrix = Float32Array.from({ length: slice.pipeline.inputDim * dim }, (_, i) => (i % 7) / 10);
    const model = MODEL_BUILDERS.baseline({ embeddingDim: dim })(
      { inputDim: slice.pipeline.inputDim, sequenceLength: slice.pipeline.sequenceLength, classes: 2, embeddings: { matrix, dim, trainable: false } },
      1,
    );
    expect(Array.from(model.getLayer('embedding').getWeights()[0]!.dataSync())).toEqual(Array.from(matrix));
    await trainLoop(model, slice.train, slice.validation, LABELS, { ...SETTINGS, epochs: 1 });
    expect(Array.from(model.getLayer('embedding').getWeights()[0]!.dataSync())).toEqual(Array.from(matrix));
    model.dispose();
  });
});
