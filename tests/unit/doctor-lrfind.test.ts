// The learning-rate finder's curve handling: smoothing and the suggested rate on known curves.
import { describe, expect, it } from 'vitest';
import { smooth, suggestLearningRate } from '../../main/engine/train/lrfind.ts';

function sweep(n: number, f: (log10lr: number) => number): Array<[number, number]> {
  return Array.from({ length: n }, (_, i) => {
    const lg = -7 + (8 * i) / (n - 1);
    return [10 ** lg, f(lg)];
  });
}

describe('learning-rate finder', () => {
  it('suggests the steepest descent, well before the minimum', () => {
    // Flat until 1e-4, falls fastest around 1e-3, lowest near 1e-1, then explodes.
    const curve = sweep(100, (lg) => (lg < -1 ? 2 - 1.5 / (1 + Math.exp(-(lg + 3) * 3)) : 0.5 + (lg + 1) ** 2 * 3));
    const s = suggestLearningRate(curve);
    expect(s.method).toBe('steepest');
    expect(Math.log10(s.suggested)).toBeGreaterThan(-3.5);
    expect(Math.log10(s.suggested)).toBeLessThan(-2.5);
    expect(s.minLoss.lr).toBeGreaterThan(0.05);
  });

  it('never suggests more than a tenth of the minimum rate', () => {
    // The loss falls fastest right before its minimum at 1e-2.
    const curve = sweep(100, (lg) => (lg < -2 ? 2 - 0.1 * (lg + 7) ** 2 / 25 : 1.9 + (lg + 2) * 2));
    const s = suggestLearningRate(curve);
    expect(s.suggested).toBeLessThanOrEqual(s.minLoss.lr / 10 + 1e-12);
  });

  it('falls back to min/10 on a flat, noisy curve', () => {
    let seed = 5;
    const curve = sweep(80, () => 1 + ((seed = (seed * 16807) % 2147483647) / 2147483647) * 0.005);
    const s = suggestLearningRate(curve);
    expect(s.method).toBe('min-over-10');
    expect(s.suggested).toBeCloseTo(s.minLoss.lr / 10, 12);
  });

  it('smooths with bias correction (a constant stays constant)', () => {
    expect(smooth([2, 2, 2, 2]).map((x) => Number(x.toFixed(9)))).toEqual([2, 2, 2, 2]);
    const s = smooth([1, 0, 1, 0, 1, 0]);
    expect(Math.max(...s.slice(2)) - Math.min(...s.slice(2))).toBeLessThan(0.6);
  });
});
