// The ensemble's arithmetic: temperature calibration, mixture weights by EM, and pooled probabilities.
import { describe, expect, it } from 'vitest';
import { applyTemperature, crossFittedProbabilities, ensembleProbabilities, fitEnsemble, fitTemperature, fitWeights, logLoss, pool } from '../../main/engine/train/ensemble/combine.ts';
import { chooseMembers } from '../../main/engine/train/ensemble/job.ts';
import { mulberry32 } from '../../main/engine/random.ts';

const C = 4;
/** n examples with true classes, and a member whose logits are `skill` on the true class plus noise. */
function member(y: Int32Array, skill: number, seed: number, temperature = 1): Float64Array {
  const rand = mulberry32(seed);
  const p = new Float64Array(y.length * C);
  y.forEach((t, i) => {
    const logits = Array.from({ length: C }, (_, c) => (c === t ? skill : 0) + 2 * (rand() - 0.5) * 2);
    const max = Math.max(...logits);
    const e = logits.map((l) => Math.exp((l - max) / temperature));
    const s = e.reduce((a, b) => a + b, 0);
    e.forEach((v, c) => (p[i * C + c] = v / s));
  });
  return p;
}

const rand = mulberry32(11);
const y = Int32Array.from({ length: 600 }, () => Math.floor(rand() * C));

describe('ensemble arithmetic', () => {
  it('a temperature of 1 changes nothing, and calibrated rows still sum to 1', () => {
    const p = member(y, 2, 1);
    const same = applyTemperature(p, C, 1);
    expect(Math.max(...Array.from(same, (v, i) => Math.abs(v - p[i]!)))).toBeLessThan(1e-12);
    const soft = applyTemperature(p, C, 3);
    for (let i = 0; i < 10; i++) expect(soft.slice(i * C, i * C + C).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('recovers the temperature that made a member overconfident', () => {
    // The same member with its logits tripled: its fitted temperature is three times the original's.
    const base = member(y, 2, 2);
    const sharp = member(y, 2, 2, 1 / 3);
    const t = fitTemperature(sharp, y, C);
    expect(t / fitTemperature(base, y, C)).toBeCloseTo(3, 1);
    expect(logLoss(applyTemperature(sharp, C, t), y, C)).toBeLessThan(logLoss(sharp, y, C));
  });

  it('weighs the stronger member more and never does worse than the better member alone', () => {
    const strong = member(y, 3, 3);
    const weak = member(y, 1, 4);
    const w = fitWeights([strong, weak], y, C);
    expect(w[0]).toBeGreaterThan(w[1]!);
    expect(w[0]! + w[1]!).toBeCloseTo(1, 12);
    expect(logLoss(pool([strong, weak], w), y, C)).toBeLessThanOrEqual(logLoss(strong, y, C) + 1e-6);
    // A useless member (uniform) gets a weight near 0.
    const uniform = new Float64Array(y.length * C).fill(1 / C);
    expect(fitWeights([strong, uniform], y, C)[1]).toBeLessThan(0.05);
  });

  it('two complementary members pool to a lower loss than either, with rows summing to 1', () => {
    const a = member(y, 2, 5);
    const b = member(y, 2, 6);
    const fitted = fitEnsemble([a, b], y, C);
    expect(fitted.loss).toBeLessThan(Math.min(...fitted.memberLoss));
    const p = ensembleProbabilities([a, b], fitted, C);
    for (let i = 0; i < y.length; i++) expect(p.slice(i * C, i * C + C).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 10);
  });

  it('cross-fitted probabilities are distributions scored on rows their fit never saw', () => {
    const a = member(y, 2, 7);
    const b = member(y, 1.5, 8);
    const oof = crossFittedProbabilities([a, b], y, C);
    for (let i = 0; i < y.length; i++) expect(oof.slice(i * C, i * C + C).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 10);
    // Held out, the pool does a little worse than the pool fitted and scored on the same rows, but it is close.
    const inSample = fitEnsemble([a, b], y, C).loss;
    const held = logLoss(oof, y, C);
    expect(held).toBeGreaterThanOrEqual(inSample - 1e-9);
    expect(held).toBeLessThan(inSample + 0.05);
    // Fold 0 (every 5th row of each class) gets the pool fitted on the other rows only.
    const seen = new Int32Array(C);
    const inFold = Array.from(y, (t) => seen[t]!++ % 5 === 0);
    const rows = (p: Float64Array, keep: boolean) => Float64Array.from(Array.from(p).filter((_, j) => inFold[Math.floor(j / C)] === keep));
    const fitted = fitEnsemble([rows(a, false), rows(b, false)], y.filter((_, i) => !inFold[i]), C);
    const expected = ensembleProbabilities([rows(a, true), rows(b, true)], fitted, C);
    const got = rows(oof, true);
    expect(got.length).toBe(expected.length);
    for (let j = 0; j < got.length; j++) expect(got[j]).toBeCloseTo(expected[j]!, 12);
  });
});

describe('choosing the ensemble members', () => {
  const runsOf = (...models: string[]) => models.map((model) => ({ name: model, model }));
  const quiet = () => {};

  it('takes the run that adds most to the linear model, not the best run alone', () => {
    // The linear model and a near copy of it (the best run alone), and a weaker run whose errors are its own.
    const linear = member(y, 2.5, 21);
    const copy = applyTemperature(linear, C, 0.9);
    const own = member(y, 2, 22);
    expect(logLoss(copy, y, C)).toBeLessThan(logLoss(own, y, C));
    const choice = chooseMembers(runsOf('lstm', 'gru'), [copy, own, linear], y, C, true, quiet);
    expect(choice).toEqual({ members: [{ name: 'gru', model: 'gru' }], linearAlone: false });
  });

  it('falls back to the linear model alone when no run helps it on held-out validation rows', () => {
    const linear = member(y, 2.5, 23);
    const noise = member(y, 0, 24);
    const lines: string[] = [];
    const choice = chooseMembers(runsOf('gru'), [noise, linear], y, C, true, (l) => lines.push(l));
    expect(choice.linearAlone).toBe(true);
    expect(lines.join('\n')).toMatch(/the linear model alone scores best/);
  });

  it('keeps named runs together, judging only the fall-back', () => {
    const linear = member(y, 2, 25);
    const a = member(y, 2, 26);
    const b = member(y, 2, 27);
    const choice = chooseMembers(runsOf('gru', 'lstm'), [a, b, linear], y, C, false, quiet);
    expect(choice).toEqual({ members: runsOf('gru', 'lstm'), linearAlone: false });
  });
});
