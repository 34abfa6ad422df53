// Model selection inside the product: stratified k-fold cross-validation on the train split over a small grid
// of C, the loss (SVM, logistic regression) and the feature set (words, words+chars), scored by macro-F1 as
// the mean over folds (what scikit-learn's GridSearchCV reports). Work is shared wherever the answer stays
// exact: the feature matrices are computed once, each fold walks the C grid upwards starting every C from the
// previous C's rescaled dual solution, and the out-of-fold decision values of the winner are kept so the
// probability calibration needs no extra fits.
import type { CsrMatrix } from '../../text/tfidf-matrix.ts';
import { nnz } from '../../text/tfidf-matrix.ts';
import { balancedWeights, decisionValues, fitOneVsRest, rescaleDuals, type LinearLoss } from './ovr.ts';
import { MatrixSolver, SOLVER_DEFAULTS, type SolverOptions } from './solver.ts';
import { macroF1 } from './metrics.ts';

export type FeatureSet = 'words' | 'words+chars';

export interface SearchSpace {
  /** Ascending. */
  C: number[];
  losses: LinearLoss[];
  featureSets: FeatureSet[];
}

export interface CvRow {
  featureSet: FeatureSet;
  loss: LinearLoss;
  C: number;
  /** Mean macro-F1 over the folds. */
  macroF1: number;
  /** Standard deviation of the fold scores. */
  std: number;
  /** Pooled out-of-fold accuracy. */
  accuracy: number;
  folds: number[];
}

export interface CvCost {
  fits: number;
  /** Passes over the data summed over all binary problems and fits. */
  passes: number;
  /** CPU milliseconds of the whole search. */
  cpuMs: number;
  /** Fits that stopped at the iteration limit. */
  unconverged: number;
}

export interface CvResult {
  folds: number;
  rows: CvRow[];
  best: CvRow;
  /** Out-of-fold decision values of the best setting, row-major (rows of the train matrix × classes). */
  oof: Float64Array;
  cost: CvCost;
}

export interface CvProgress {
  done: number;
  total: number;
  featureSet: FeatureSet;
  loss: LinearLoss;
  fold: number;
}

export interface CvOptions {
  folds: number;
  classWeights: 'none' | 'balanced';
  bias: number;
  solver?: SolverOptions;
  onProgress?: (p: CvProgress) => void;
  /** Checked between fits; true stops the search (it then throws the error the callback's caller expects). */
  shouldStop?: () => boolean;
}

/** Fixed: folds must not depend on the user's seed any more than the solver does. */
const FOLD_SEED = 0x5bd1e995;

/**
 * Fold id of each row, stratified: each class's rows are shuffled (fixed seed) and dealt round-robin, the
 * dealing continuing from class to class so fold sizes differ by at most one.
 */
export function stratifiedFolds(labels: Int32Array, classes: number, k: number): Int32Array {
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  labels.forEach((c, i) => byClass[c]!.push(i));
  const fold = new Int32Array(labels.length);
  let next = 0;
  let s = FOLD_SEED;
  const rand = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  for (const rows of byClass) {
    for (let i = rows.length - 1; i > 0; i--) {
      const j = rand() % (i + 1);
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
    for (const r of rows) {
      fold[r] = next;
      next = (next + 1) % k;
    }
  }
  return fold;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function meanStd(v: number[]): { mean: number; std: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { mean, std };
}

export class SearchStopped extends Error {
  constructor() {
    super('The cross-validation search was stopped.');
  }
}

/**
 * Cross-validates every (feature set, loss, C) of `space` on the rows of the matrices (all with the same rows).
 * Ties keep the earlier setting in grid order (words before words+chars, the order of losses, smaller C), the
 * simpler and cheaper model.
 */
export function crossValidate(matrices: Partial<Record<FeatureSet, CsrMatrix>>, labels: Int32Array, classes: number, space: SearchSpace, options: CvOptions): CvResult {
  const start = cpuMs();
  const k = options.folds;
  const fold = stratifiedFolds(labels, classes, k);
  const trainRows: Int32Array[] = [];
  const testRows: Int32Array[] = [];
  for (let f = 0; f < k; f++) {
    const tr: number[] = [];
    const te: number[] = [];
    fold.forEach((g, i) => (g === f ? te : tr).push(i));
    trainRows.push(Int32Array.from(tr));
    testRows.push(Int32Array.from(te));
  }
  const n = labels.length;
  const cost: CvCost = { fits: 0, passes: 0, cpuMs: 0, unconverged: 0 };
  const rows: CvRow[] = [];
  let best: CvRow | null = null;
  let bestOof = new Float64Array(0);
  const total = space.featureSets.length * space.losses.length * k * space.C.length;
  let done = 0;
  for (const featureSet of space.featureSets) {
    const x = matrices[featureSet];
    if (!x) throw new Error(`crossValidate: no matrix for the feature set ${featureSet}.`);
    const solver = new MatrixSolver(x);
    for (const loss of space.losses) {
      const oof = space.C.map(() => new Float64Array(n * classes));
      const scores = space.C.map(() => [] as number[]);
      for (let f = 0; f < k; f++) {
        const tr = trainRows[f]!;
        const te = testRows[f]!;
        const classWeights = options.classWeights === 'balanced' ? balancedWeights(labels, tr, classes) : null;
        let warm: Float64Array[] | undefined;
        space.C.forEach((C, ci) => {
          if (options.shouldStop?.()) throw new SearchStopped();
          const sol = fitOneVsRest(solver, tr, labels, classes, { loss, C, classWeights, bias: options.bias, solver: options.solver ?? SOLVER_DEFAULTS }, warm);
          cost.fits++;
          cost.unconverged += sol.unconverged;
          for (const it of sol.iterations) cost.passes += it;
          const next = space.C[ci + 1];
          warm = next === undefined ? undefined : rescaleDuals(sol.alpha, next / C);
          const dec = decisionValues(x, te, sol.W, classes, options.bias);
          const target = oof[ci]!;
          for (let i = 0; i < te.length; i++) target.set(dec.subarray(i * classes, (i + 1) * classes), te[i]! * classes);
          const yTrue = Int32Array.from(te, (r) => labels[r]!);
          scores[ci]!.push(macroF1(yTrue, argmax(dec, te.length, classes), classes));
          done++;
          options.onProgress?.({ done, total, featureSet, loss, fold: f });
        });
      }
      space.C.forEach((C, ci) => {
        const { mean, std } = meanStd(scores[ci]!);
        const pred = argmax(oof[ci]!, n, classes);
        let correct = 0;
        for (let i = 0; i < n; i++) if (pred[i] === labels[i]) correct++;
        const row: CvRow = { featureSet, loss, C, macroF1: mean, std, accuracy: correct / n, folds: scores[ci]! };
        rows.push(row);
        if (!best || row.macroF1 > best.macroF1) {
          best = row;
          bestOof = oof[ci]!;
        }
      });
    }
  }
  cost.cpuMs = cpuMs() - start;
  return { folds: k, rows, best: best!, oof: bestOof, cost };
}

export function argmax(values: Float64Array, n: number, classes: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let b = 0;
    for (let c = 1; c < classes; c++) if (values[i * classes + c]! > values[i * classes + b]!) b = c;
    out[i] = b;
  }
  return out;
}

/** Stored entries per feature set, for cost reports. */
export function matrixSizes(matrices: Partial<Record<FeatureSet, CsrMatrix>>): Partial<Record<FeatureSet, number>> {
  const out: Partial<Record<FeatureSet, number>> = {};
  for (const [k, m] of Object.entries(matrices)) if (m) out[k as FeatureSet] = nnz(m);
  return out;
}
