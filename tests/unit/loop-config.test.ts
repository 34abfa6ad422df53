import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../main/engine/train/config.ts';
import { holdOut } from '../../main/engine/train/data.ts';
import { autoL2, autoMinDf } from '../../main/engine/train/prepare.ts';
import { TextbenchError } from '../../main/engine/errors.ts';

describe('training configuration', () => {
  it('defaults to linear on hashed n-grams, with L2 chosen from the data', () => {
    const c = resolveConfig({});
    expect(c).toMatchObject({ model: 'linear', tokens: 'ngrams', l2: null, optimizer: 'adam', earlyStop: 'val-loss', repair: true, seed: 42 });
    expect(autoL2(2000)).toBeCloseTo(0.5 / 2000, 12);
    expect(autoL2(20000)).toBe(0);
    expect(autoMinDf(2000)).toBe(1);
    expect(autoMinDf(20000)).toBe(2);
  });

  it("fills each model's defaults and lets explicit options win", () => {
    const g = resolveConfig({ model: 'gru', learningRate: 0.01, units: 32, tokens: 'chars' });
    expect(g).toMatchObject({ model: 'gru', learningRate: 0.01, units: 32, tokens: 'chars', dropout: 0.3, embeddingDim: 64 });
    expect(resolveConfig({ model: 'baseline', clipNorm: 0 }).clipNorm).toBeNull();
  });

  it('names the field and the allowed range when a value is out of range', () => {
    const bad = (o: Parameters<typeof resolveConfig>[0], field: string) => {
      try {
        resolveConfig(o);
        expect.fail('expected an error');
      } catch (err) {
        expect(err).toBeInstanceOf(TextbenchError);
        expect((err as TextbenchError).details.field).toBe(field);
        expect((err as Error).message).toContain(field);
      }
    };
    bad({ model: 'gru', epochs: 0 }, 'epochs');
    bad({ model: 'gru', dropout: 1.5 }, 'dropout');
    bad({ model: 'gru', learningRate: -1 }, 'learningRate');
    bad({ model: 'nope' as 'gru' }, 'model');
    bad({ tokens: 'chars' }, 'tokens');
    bad({ recipe: 'no-such-recipe' }, 'recipe');
  });
});

describe('validation hold-out', () => {
  const train = Array.from({ length: 100 }, (_, i) => ({ id: i, text: `t${i}`, label: i < 80 ? 'a' : i < 98 ? 'b' : 'c' }));
  it('is stratified, seeded and disjoint from train', () => {
    const h = holdOut(train, 0.1, 42);
    expect(h.validation.filter((e) => e.label === 'a')).toHaveLength(8);
    expect(h.validation.filter((e) => e.label === 'b')).toHaveLength(2);
    expect(h.validation.filter((e) => e.label === 'c')).toHaveLength(1);
    expect(h.train.length + h.validation.length).toBe(100);
    const ids = new Set(h.train.map((e) => e.id));
    expect(h.validation.every((e) => !ids.has(e.id))).toBe(true);
    expect(holdOut(train, 0.1, 42).validation.map((e) => e.id)).toEqual(h.validation.map((e) => e.id));
    expect(holdOut(train, 0.1, 7).validation.map((e) => e.id)).not.toEqual(h.validation.map((e) => e.id));
  });
});
