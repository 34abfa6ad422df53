// Padding is invisible to the sequence models: the same text gives the same probabilities however much padding
// surrounds it, in every recurrent layer (fused or standard, one or two directions, stacked) and in every pooling.
// That is what lets the loop trim each length bucket's batch to its longest text.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { MODEL_BUILDERS } from '../../main/engine/train/models.ts';
import { POOLINGS, maskedMax, maskedMean, attentionPool, paddingBias } from '../../main/engine/train/pooling.ts';
import type { ModelName } from '../../shared/training.ts';

beforeAll(async () => {
  await initBackend();
});

const dims = { inputDim: 30, sequenceLength: 12, classes: 3 };
/** Row-major probabilities of `rows` (each a list of token ids, left-padded to `width`). */
function predict(model: tf.LayersModel, rows: number[][], width: number, training = false): number[][] {
  const data = rows.flatMap((r) => [...new Array<number>(width - r.length).fill(0), ...r]);
  const x = tf.tensor2d(data, [rows.length, width], 'int32');
  const y = (training ? model.apply(x, { training: false }) : model.predict(x)) as tf.Tensor;
  const out = y.arraySync() as number[][];
  tf.dispose([x, y]);
  return out;
}

function maxDiff(a: number[], b: number[]): number {
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
}

describe('masking in sequence models', () => {
  const texts = [
    [3, 4, 5, 6],
    [7, 8, 9, 10, 11, 12, 13, 14],
    [2],
  ];
  const cases: Array<[ModelName, string]> = [
    ['baseline', 'max'],
    ...(['gru', 'lstm', 'bigru', 'bilstm'] as const).flatMap((m) => POOLINGS.map((p) => [m, p] as [ModelName, string])),
  ];
  for (const [name, pooling] of cases) {
    it(`${name} (${pooling} pooling, 2 layers) gives the same output with and without padding`, () => {
      const model = MODEL_BUILDERS[name]({ embeddingDim: 6, units: 5, layers: 2, pooling: pooling as never, embeddingDropout: 0.3, dropout: 0.3 })(dims, 3);
      // Alone at its own length, then in one batch padded to 12 (predict), then through apply() as the loop calls it.
      const alone = texts.map((t) => predict(model, [t], t.length)[0]!);
      const padded = predict(model, texts, 12);
      const applied = predict(model, texts, 12, true);
      for (let i = 0; i < texts.length; i++) {
        expect(maxDiff(alone[i]!, padded[i]!)).toBeLessThan(1e-5);
        expect(maxDiff(alone[i]!, applied[i]!)).toBeLessThan(1e-5);
        expect(padded[i]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      }
      // A different text does give a different output: the check above can fail.
      expect(maxDiff(padded[0]!, padded[1]!)).toBeGreaterThan(1e-4);
      model.dispose();
    });
  }

  it('takes any sequence length', () => {
    const model = MODEL_BUILDERS.gru({ embeddingDim: 4, units: 4 })(dims, 1);
    expect(model.inputs[0]!.shape).toEqual([null, null]);
    expect(predict(model, [[1, 2, 3]], 40)[0]!.length).toBe(3);
    model.dispose();
  });
});

describe('masked pooling', () => {
  // Word vectors fixed to known values: token id t has vector [t, -t, t % 3].
  const V = 6;
  const table = Float32Array.from({ length: V * 3 }, (_, i) => {
    const t = Math.floor(i / 3);
    return [t, -t, t % 3][i % 3]!;
  });
  function pooled(kind: 'max' | 'mean' | 'attention', rows: number[][]): number[][] {
    const tokens = tf.input({ shape: [null], dtype: 'int32' });
    const x = tf.layers.embedding({ inputDim: V, outputDim: 3, weights: [tf.tensor2d(table, [V, 3])], maskZero: true }).apply(tokens) as tf.SymbolicTensor;
    const bias = paddingBias(tokens, V);
    const out = kind === 'max' ? maskedMax(x, bias, 'p') : kind === 'mean' ? maskedMean(x, bias, 'p') : attentionPool(x, bias, 'p', 1);
    const model = tf.model({ inputs: tokens, outputs: out });
    // An attention score of 0 everywhere makes attention pooling a plain mean over the real tokens.
    if (kind === 'attention') model.getLayer('p_score').setWeights(model.getLayer('p_score').getWeights().map((w) => tf.zerosLike(w)));
    const r = predict(model, rows, 5);
    model.dispose();
    return r;
  }

  it('max pooling ignores padding even where every real value is below zero', () => {
    expect(pooled('max', [[2, 4], [5]])).toEqual([
      [4, -2, 2],
      [5, -5, 2],
    ]);
  });
  it('mean pooling averages the real tokens only', () => {
    const r = pooled('mean', [[2, 4], [5], [1, 2, 3, 4, 5]]);
    expect(r[0]![0]).toBeCloseTo(3, 5);
    expect(r[0]![1]).toBeCloseTo(-3, 5);
    expect(r[0]![2]).toBeCloseTo(1.5, 5);
    expect(r[1]!.map((v) => Math.round(v * 1e5) / 1e5)).toEqual([5, -5, 2]);
    expect(r[2]![0]).toBeCloseTo(3, 5);
  });
  it('attention pooling spreads its weights over the real tokens only', () => {
    const r = pooled('attention', [[2, 4], [5]]);
    expect(r[0]![0]).toBeCloseTo(3, 5);
    expect(r[1]![0]).toBeCloseTo(5, 5);
  });
});
