// How far predicted probabilities are from the frequencies they claim, and a one-parameter repair.
// - Expected calibration error (Guo, Pleiss, Sun & Weinberger, ICML 2017): the examples are binned by the
//   probability of their predicted class (10 equal-width bins, as the Evaluate view's reliability diagram,
//   store/runPredictions.ts, bins them) and ECE is the example-weighted mean gap between each bin's accuracy
//   and its mean confidence. 0 is perfect.
// - Temperature scaling (same paper): probabilities softmax(a · s) from scores s with one factor a fitted by
//   minimising the negative log-likelihood of held-out predictions. It never changes the predicted class.

export interface CalibrationBin {
  /** Confidence range [lo, hi) of the bin (the last bin includes 1). */
  lo: number;
  hi: number;
  count: number;
  /** Share of the bin's examples whose predicted class is right. */
  accuracy: number;
  /** Mean probability of the predicted class in the bin. */
  confidence: number;
}

export interface CalibrationSummary {
  /** Expected calibration error, 0 (perfect) to 1. */
  ece: number;
  /** Largest gap over non-empty bins. */
  maxGap: number;
  bins: CalibrationBin[];
}

export const CALIBRATION_BINS = 10;

/** ECE and the reliability diagram's bins from true class ids and row-major probabilities (n × classes). */
export function calibrationReport(yTrue: ArrayLike<number>, probs: ArrayLike<number>, classes: number, binCount = CALIBRATION_BINS): CalibrationSummary {
  const n = yTrue.length;
  const count = new Float64Array(binCount);
  const correct = new Float64Array(binCount);
  const conf = new Float64Array(binCount);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[i * classes + c]! > probs[i * classes + best]!) best = c;
    const p = probs[i * classes + best]!;
    const b = Math.min(binCount - 1, Math.max(0, Math.floor(p * binCount)));
    count[b]!++;
    conf[b]! += p;
    if (best === yTrue[i]) correct[b]!++;
  }
  let ece = 0;
  let maxGap = 0;
  const bins: CalibrationBin[] = [];
  for (let b = 0; b < binCount; b++) {
    const k = count[b]!;
    const accuracy = k ? correct[b]! / k : 0;
    const confidence = k ? conf[b]! / k : 0;
    if (k) {
      const gap = Math.abs(accuracy - confidence);
      ece += (k / n) * gap;
      maxGap = Math.max(maxGap, gap);
    }
    bins.push({ lo: b / binCount, hi: (b + 1) / binCount, count: k, accuracy, confidence });
  }
  return { ece: n ? ece : 0, maxGap, bins };
}

/** softmax(a · s) of each row of scores (n × classes), into a new array. */
export function softmaxRows(scores: ArrayLike<number>, n: number, classes: number, a = 1): Float64Array {
  const out = new Float64Array(n * classes);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, a * scores[i * classes + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(a * scores[i * classes + c]! - max);
      out[i * classes + c] = e;
      sum += e;
    }
    for (let c = 0; c < classes; c++) out[i * classes + c]! /= sum;
  }
  return out;
}

/** Mean negative log-likelihood of softmax(a · s) and its first two derivatives in a. */
function nll(scores: ArrayLike<number>, y: ArrayLike<number>, classes: number, a: number): { f: number; g: number; h: number } {
  const n = y.length;
  let f = 0;
  let g = 0;
  let h = 0;
  for (let i = 0; i < n; i++) {
    const o = i * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, a * scores[o + c]!);
    let z = 0;
    let m1 = 0;
    let m2 = 0;
    for (let c = 0; c < classes; c++) {
      const s = scores[o + c]!;
      const e = Math.exp(a * s - max);
      z += e;
      m1 += e * s;
      m2 += e * s * s;
    }
    m1 /= z;
    m2 /= z;
    const sy = scores[o + y[i]!]!;
    f += -(a * sy - max) + Math.log(z);
    g += m1 - sy;
    h += m2 - m1 * m1;
  }
  return { f: f / n, g: g / n, h: h / n };
}

/**
 * The factor a > 0 minimising the held-out negative log-likelihood of softmax(a · s). The objective is convex
 * in a: safeguarded Newton steps, bracketed so a stays positive. Returns 1 when there is nothing to fit.
 */
export function fitTemperature(scores: ArrayLike<number>, y: ArrayLike<number>, classes: number): number {
  if (!y.length) return 1;
  let lo = 0;
  let hi = Infinity;
  let a = 1;
  for (let it = 0; it < 100; it++) {
    const { g, h } = nll(scores, y, classes, a);
    if (Math.abs(g) < 1e-10) break;
    if (g > 0) hi = a;
    else lo = a;
    let next = h > 1e-300 ? a - g / h : NaN;
    if (!(next > lo && next < hi)) next = Number.isFinite(hi) ? (lo + hi) / 2 : a * 2;
    if (Math.abs(next - a) <= 1e-9 * a) {
      a = next;
      break;
    }
    a = next;
    // Perfectly separated held-out scores push a towards infinity: stop at a factor that already gives
    // probabilities of 1 - 1e-12 rather than run off.
    if (a > 1e6) return 1e6;
  }
  return a;
}
