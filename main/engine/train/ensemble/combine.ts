// The ensemble's arithmetic: each member's probabilities calibrated by one temperature, then a weighted average
// (a linear opinion pool) with weights on the simplex, all fitted on the validation split by maximum likelihood.
// Pure functions over row-major [n × classes] probability arrays; no TensorFlow.js, no I/O.
//
// Why a linear pool of calibrated members: each member's probabilities stay meaningful on their own (the pool of
// calibrated distributions is a distribution, and a member with weight 1 is that member), the weights have one
// optimum (the log-likelihood of a mixture is concave in its weights) that EM reaches monotonically, and a
// member that adds nothing gets a weight near 0 instead of hurting.

/** Probabilities are floored here before a log, so a member that was sure and wrong costs a finite amount. */
const FLOOR = 1e-12;

/** softmax(log(p) / T) per row: T > 1 softens, T < 1 sharpens, T = 1 leaves p unchanged. */
export function applyTemperature(probs: ArrayLike<number>, classes: number, temperature: number): Float64Array {
  const n = probs.length / classes;
  const out = new Float64Array(probs.length);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      const v = Math.log(Math.max(probs[i * classes + c]!, FLOOR)) / temperature;
      out[i * classes + c] = v;
      if (v > max) max = v;
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += out[i * classes + c] = Math.exp(out[i * classes + c]! - max);
    for (let c = 0; c < classes; c++) out[i * classes + c]! /= sum;
  }
  return out;
}

/** Mean negative log-likelihood of the true classes. */
export function logLoss(probs: ArrayLike<number>, yTrue: ArrayLike<number>, classes: number): number {
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s -= Math.log(Math.max(probs[i * classes + yTrue[i]!]!, FLOOR));
  return yTrue.length ? s / yTrue.length : 0;
}

/**
 * The temperature that minimises the validation log-loss (Guo et al. 2017, "On calibration of modern neural
 * networks"): golden-section search over log T in [log 0.05, log 20], where the loss is unimodal in practice.
 */
export function fitTemperature(probs: ArrayLike<number>, yTrue: ArrayLike<number>, classes: number): number {
  if (!yTrue.length) return 1;
  const f = (logT: number) => logLoss(applyTemperature(probs, classes, Math.exp(logT)), yTrue, classes);
  let a = Math.log(0.05);
  let b = Math.log(20);
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let it = 0; it < 40; it++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  const t = Math.exp((a + b) / 2);
  // Never worse than leaving the member alone.
  return f(Math.log(t)) <= f(0) ? t : 1;
}

/** Σ_k weights[k] · members[k], row-major; weights on the simplex give rows that sum to 1. */
export function pool(members: readonly ArrayLike<number>[], weights: readonly number[]): Float64Array {
  const out = new Float64Array(members[0]?.length ?? 0);
  members.forEach((m, k) => {
    const w = weights[k]!;
    if (w === 0) return;
    for (let i = 0; i < out.length; i++) out[i]! += w * m[i]!;
  });
  return out;
}

/**
 * Mixture weights maximising the validation likelihood of the pool, by EM (Dempster, Laird & Rubin 1977):
 * w_k ← mean over examples of w_k·p_k(y) / Σ_j w_j·p_j(y). Starts from equal weights; stops when no weight moves
 * by more than `tol`.
 */
export function fitWeights(members: readonly ArrayLike<number>[], yTrue: ArrayLike<number>, classes: number, tol = 1e-6, maxIter = 1000): number[] {
  const K = members.length;
  if (K === 0) return [];
  let w = new Array<number>(K).fill(1 / K);
  const n = yTrue.length;
  if (!n || K === 1) return K === 1 ? [1] : w;
  const p = members.map((m) => Float64Array.from({ length: n }, (_, i) => Math.max(m[i * classes + yTrue[i]!]!, FLOOR)));
  for (let it = 0; it < maxIter; it++) {
    const next = new Array<number>(K).fill(0);
    for (let i = 0; i < n; i++) {
      let total = 0;
      for (let k = 0; k < K; k++) total += w[k]! * p[k]![i]!;
      for (let k = 0; k < K; k++) next[k]! += (w[k]! * p[k]![i]!) / total / n;
    }
    const moved = Math.max(...next.map((v, k) => Math.abs(v - w[k]!)));
    w = next;
    if (moved < tol) break;
  }
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / sum);
}

export interface FittedEnsemble {
  temperatures: number[];
  weights: number[];
  /** Validation log-loss of each calibrated member and of the pool. */
  memberLoss: number[];
  loss: number;
}

/** Calibrates every member and fits the pool's weights, all on validation probabilities. */
export function fitEnsemble(validation: readonly ArrayLike<number>[], yTrue: ArrayLike<number>, classes: number): FittedEnsemble {
  const temperatures = validation.map((p) => fitTemperature(p, yTrue, classes));
  const calibrated = validation.map((p, k) => applyTemperature(p, classes, temperatures[k]!));
  const weights = fitWeights(calibrated, yTrue, classes);
  return {
    temperatures,
    weights,
    memberLoss: calibrated.map((p) => logLoss(p, yTrue, classes)),
    loss: logLoss(pool(calibrated, weights), yTrue, classes),
  };
}

/** The ensemble's probabilities for new rows, from its members' raw probabilities. */
export function ensembleProbabilities(members: readonly ArrayLike<number>[], fitted: Pick<FittedEnsemble, 'temperatures' | 'weights'>, classes: number): Float64Array {
  return pool(
    members.map((p, k) => applyTemperature(p, classes, fitted.temperatures[k]!)),
    fitted.weights,
  );
}

/**
 * Out-of-fold probabilities of the fitted pool: the validation rows are dealt into `folds` folds per class
 * (stratified, in order), and each fold gets the pool whose temperatures and weights were fitted on the other
 * folds. Scoring these judges a choice of members on rows none of its fitted numbers saw, so choosing among a
 * few candidate member sets by this score does not reward the set that merely fits validation best.
 */
export function crossFittedProbabilities(validation: readonly ArrayLike<number>[], yTrue: ArrayLike<number>, classes: number, folds = 5): Float64Array {
  const n = yTrue.length;
  const fold = new Int32Array(n);
  const seen = new Int32Array(classes);
  for (let i = 0; i < n; i++) fold[i] = seen[yTrue[i]!]!++ % folds;
  const out = new Float64Array(n * classes);
  for (let f = 0; f < folds; f++) {
    const fit: number[] = [];
    const held: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? held : fit).push(i);
    if (!held.length) continue;
    const rows = (p: ArrayLike<number>, idx: readonly number[]) => {
      const r = new Float64Array(idx.length * classes);
      idx.forEach((i, j) => {
        for (let c = 0; c < classes; c++) r[j * classes + c] = p[i * classes + c]!;
      });
      return r;
    };
    const fitted = fitEnsemble(
      validation.map((p) => rows(p, fit)),
      fit.map((i) => yTrue[i]!),
      classes,
    );
    const probs = ensembleProbabilities(
      validation.map((p) => rows(p, held)),
      fitted,
      classes,
    );
    held.forEach((i, j) => {
      for (let c = 0; c < classes; c++) out[i * classes + c] = probs[j * classes + c]!;
    });
  }
  return out;
}
