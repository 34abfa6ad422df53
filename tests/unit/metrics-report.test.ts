import { describe, expect, it } from 'vitest';
import { classificationReport, listMistakes, predictionEntropy } from '../../main/engine/evaluate/metrics.ts';

describe('classification metrics', () => {
  // true: a a a b b c ; predicted: a a b b c c
  const labels = ['a', 'b', 'c'];
  const yTrue = [0, 0, 0, 1, 1, 2];
  const pred = [0, 0, 1, 1, 2, 2];
  const probs = pred.flatMap((p) => [0, 1, 2].map((c) => (c === p ? 0.8 : 0.1)));

  it('computes accuracy, per-class P/R/F1/support, macro and weighted F1, confusion matrix', () => {
    const r = classificationReport(labels, yTrue, probs);
    expect(r.accuracy).toBeCloseTo(4 / 6, 10);
    expect(r.confusion.matrix).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    const [a, b, c] = r.perClass;
    expect(a).toMatchObject({ label: 'a', precision: 1, recall: 2 / 3, support: 3 });
    expect(a!.f1).toBeCloseTo(0.8, 10);
    expect(b).toMatchObject({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(c!.precision).toBeCloseTo(0.5, 10);
    expect(c!.f1).toBeCloseTo(2 / 3, 10);
    expect(r.macroF1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 10);
    expect(r.weightedF1).toBeCloseTo((0.8 * 3 + 0.5 * 2 + (2 / 3) * 1) / 6, 10);
    expect(r.loss).toBeCloseTo((4 * -Math.log(0.8) + 2 * -Math.log(0.1)) / 6, 6);
  });

  it('leaves out of macro-F1 a class that is neither true nor predicted (as scikit-learn does)', () => {
    const r = classificationReport(['a', 'b', 'z'], [0, 1], [0.9, 0.1, 0, 0.2, 0.8, 0]);
    expect(r.macroF1).toBe(1);
    expect(r.perClass[2]!.support).toBe(0);
  });

  it('lists mistakes most confident first, with probabilities per label', () => {
    const p = [0.3, 0.7, 0.05, 0.95, 0.9, 0.1];
    const m = listMistakes(['neg', 'pos'], [{ id: 10, text: 'x' }, { id: 11, text: 'y' }, { id: 12, text: 'z' }], [0, 0, 0], p);
    expect(m.map((x) => x.exampleId)).toEqual([11, 10]);
    expect(m[0]).toMatchObject({ label: 'neg', predicted: 'pos', probability: 0.95, probabilities: { neg: 0.05, pos: 0.95 } });
    expect(listMistakes(['neg', 'pos'], [{ id: 1, text: 'a' }, { id: 2, text: 'b' }], [0, 0], [0.4, 0.6, 0.3, 0.7], 1)).toHaveLength(1);
  });

  it('prediction entropy is 0 for a constant output and ln(C) for a uniform one', () => {
    expect(predictionEntropy([10, 0, 0])).toBe(0);
    expect(predictionEntropy([5, 5, 5, 5])).toBeCloseTo(Math.log(4), 10);
  });
});
