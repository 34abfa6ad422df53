// Model selection inside the product: stratified k-fold cross-validation on the train split over a small grid
// of C, the loss (SVM, logistic regression) and the feature set (words, words+chars), scored by macro-F1 as
// the mean over folds (what scikit-learn's GridSearchCV reports).
//
// The grid is searched in two stages, both on the principle that a setting is scored on more data only while
// it can still win:
//  - Round 1, on the first fold: each (feature set, loss) walks C upwards and stops after PATIENCE values that
//    do not beat its best (the score rises then falls with C, and large C is what costs: the dual solvers'
//    passes grow about linearly with C; on O*NET task sentences the C >= 30 fits were 3/4 of the search time).
//  - Then successive halving over folds (Jamieson & Talwalkar, AISTATS 2016; scikit-learn's HalvingGridSearchCV
//    does the same with samples as the resource): the best third of what round 1 scored goes on to three
//    folds, the best third of those to all k. The winner is always scored on every fold, so its mean is a full
//    k-fold estimate and its out-of-fold decision values cover all of train (the probability calibration is
//    fitted on them). With 28 settings and 5 folds this is at most 56 fits instead of 140.
// Settings a walk never reached are not in the CV table.
//
// Warm starts: a setting's later folds start from its dual solution on the first fold (the rows the two
// training sets share keep their dual variables, the others start at liblinear's cold values): their training
// sets overlap by three quarters, and the fits converge to the same tolerance with fewer passes (O*NET task
// sentences, words+chars: SVM C=3 -17% passes, logistic regression C=30 -22%; the final fit starts from it
// too). The first fold's fits always run before the later ones, so the result does not depend on which
// finishes first, and folds of a round are independent: they run in parallel (fit-runner.ts, fit-pool.ts).
// Measured and left out: starting each C from the previous C's rescaled dual solution (liblinear warm-starts
// its primal solvers along C) saves no passes with the dual solvers (one fold of O*NET job descriptions, words,
// C from 0.1 to 100: SVM 1,184 passes warm against 1,118 cold, logistic regression 905 against 885), so the
// first fold's fits start cold and a walk's fits are independent.
import type { CsrMatrix } from '../../text/tfidf-matrix.ts';
import { macroF1 } from './metrics.ts';
import { problemCount, type LinearLoss } from './ovr.ts';
import type { SolverOptions } from './solver.ts';
import type { LinearCvRow, LinearFeatureSet } from '../../../../shared/linear.ts';

export type FeatureSet = LinearFeatureSet;
export type CvRow = LinearCvRow;

export interface SearchSpace {
  C: number[];
  losses: LinearLoss[];
  featureSets: FeatureSet[];
}

export interface Setting {
  featureSet: FeatureSet;
  loss: LinearLoss;
  C: number;
}

export interface CvCost {
  fits: number;
  /** Passes over the data summed over all binary problems and fits. */
  passes: number;
  /** Binary problems that stopped at the iteration limit. */
  unconverged: number;
}

export interface CvResult {
  folds: number;
  /** Every setting, in grid order, with the folds it was scored on. */
  rows: CvRow[];
  best: CvRow;
  /** Out-of-fold decision values of the best setting, row-major (rows of the train matrix × classes). */
  oof: Float64Array;
  /** The best setting's dual solution on the first fold (a start for the final fit), when kept. */
  dual?: Float32Array;
  cost: CvCost;
}

export interface CvProgress {
  done: number;
  /** Fits planned so far (grows as halving rounds are decided). */
  total: number;
  setting: Setting;
  fold: number;
}

/** One fit of the search: a setting trained on all folds but one, scored on that one. */
export interface FitJob {
  setting: Setting;
  /** Rows of the matrix to train on and to score. */
  train: Int32Array;
  test: Int32Array;
  /** A warm start: the setting's dual solution on another fold (FitOutcome.dual). */
  start?: Float32Array;
  /** Return the dual solution (FitOutcome.dual), to start the setting's later folds from. */
  keepDual?: boolean;
  /** The final fit's parts: only these one-vs-rest problems, with this tolerance, returning their weights (FitOutcome.W). */
  problems?: [number, number];
  solver?: SolverOptions;
}

export interface FitOutcome {
  /** Decision values of the test rows, row-major (test rows × classes). */
  decisions: Float64Array;
  /** With keepDual: the dual solution, dual[r * m + c] for matrix row r and problem c (NaN off the train rows). */
  dual?: Float32Array;
  /** With problems: their weights, feature-major (OvrSolution.W). */
  W?: Float64Array;
  passes: number;
  unconverged: number;
}

/** Runs fits, in this thread or in a pool of workers; outcomes in job order. */
export interface FitRunner {
  /** Throws SearchStopped when shouldStop turns true before every job has run. */
  run(jobs: readonly FitJob[], onDone: (index: number) => void, shouldStop?: () => boolean): Promise<FitOutcome[]>;
  /** Releases what the runner holds (worker threads). */
  close?(): Promise<void>;
  /** Fits it runs at once (1 when absent). */
  readonly parallel?: number;
}

export interface CvOptions {
  folds: number;
  classWeights: 'none' | 'balanced';
  bias: number;
  solver: SolverOptions;
  onProgress?: (p: CvProgress) => void;
  /** Checked between rounds and by the runner between fits; true ends the search with SearchStopped. */
  shouldStop?: () => boolean;
}

/** Successive halving keeps the best 1/ETA of the settings each round and gives them ETA times the folds. */
const ETA = 3;

/**
 * A walk along C stops after this many values in a row that score no better than its best so far. The
 * cross-validated score of a regularised model rises and then falls with C (under- then over-fitting), and a
 * fit's cost grows with C (the dual solvers' passes grow about linearly in C), so the walk spends its time where
 * the optimum can still be. Two steps of a factor √10 is a factor of 10 in C past the best value.
 */
const PATIENCE = 2;

/**
 * Warm starts keep each first-fold dual solution (rows × problems, float32) until its setting drops out; above
 * this many bytes for all settings together the folds start cold instead.
 */
const WARM_START_BYTES = 256 * 1024 ** 2;

/** Fixed: folds must not depend on the user's seed any more than the solver does. */
const FOLD_SEED = 0x5bd1e995;

export class SearchStopped extends Error {
  constructor() {
    super('The cross-validation search was stopped.');
  }
}

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

/** Every (feature set, loss, C) of the space, feature sets outermost, C innermost. */
export function settingsOf(space: SearchSpace): Setting[] {
  const out: Setting[] = [];
  for (const featureSet of space.featureSets) for (const loss of space.losses) for (const C of space.C) out.push({ featureSet, loss, C });
  return out;
}

function meanStd(v: readonly number[]): { mean: number; std: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { mean, std };
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

/**
 * Cross-validates the settings of `space`: round 1 walks each (feature set, loss) along C on the first fold and
 * stops the walk early (PATIENCE); then successive halving over folds. Ties keep the earlier setting in grid
 * order (words before words+chars, the order of losses, smaller C): the simpler, cheaper model.
 * `cost` estimates a fit's work (e.g. stored entries of its feature set); jobs start most expensive first.
 */
export async function crossValidate(
  labels: Int32Array,
  classes: number,
  space: SearchSpace,
  runner: FitRunner,
  options: CvOptions,
  cost: (s: Setting) => number = () => 1,
): Promise<CvResult> {
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
  const settings = settingsOf(space);
  const scores = settings.map(() => [] as number[]);
  /** Passes of each setting's first-fold fit: with its feature set's size, what its later folds will cost. */
  const firstPasses = new Float64Array(settings.length);
  const oof = new Map<number, Float64Array>();
  /** First-fold dual solutions of the settings still in the search, to start their later folds from. */
  const duals = new Map<number, Float32Array>();
  const warm = n * problemCount(classes) * 4 * settings.length <= WARM_START_BYTES;
  const totals: CvCost = { fits: 0, passes: 0, unconverged: 0 };
  let planned = plannedFits(settings.length, k);
  let done = 0;

  const fit = async (jobs: Array<{ index: number; fold: number }>): Promise<void> => {
    if (options.shouldStop?.()) throw new SearchStopped();
    const fitJobs: FitJob[] = jobs.map(({ index, fold: f }) => {
      const job: FitJob = { setting: settings[index]!, train: trainRows[f]!, test: testRows[f]! };
      if (warm && f === 0) job.keepDual = true;
      const start = f > 0 ? duals.get(index) : undefined;
      if (start) job.start = start;
      return job;
    });
    const outcomes = await runner.run(
      fitJobs,
      (j) => {
        done++;
        options.onProgress?.({ done, total: planned, setting: fitJobs[j]!.setting, fold: jobs[j]!.fold });
      },
      options.shouldStop,
    );
    outcomes.forEach((o, j) => {
      const { index, fold: f } = jobs[j]!;
      const test = testRows[f]!;
      totals.fits++;
      totals.passes += o.passes;
      totals.unconverged += o.unconverged;
      if (f === 0) firstPasses[index] = o.passes;
      if (f === 0 && o.dual) duals.set(index, o.dual);
      const yTrue = Int32Array.from(test, (r) => labels[r]!);
      scores[index]![f] = macroF1(yTrue, argmax(o.decisions, test.length, classes), classes);
      let target = oof.get(index);
      if (!target) oof.set(index, (target = new Float64Array(n * classes)));
      for (let i = 0; i < test.length; i++) target.set(o.decisions.subarray(i * classes, (i + 1) * classes), test[i]! * classes);
    });
  };

  // Round 1, fold 1: each (feature set, loss) is a walk from the smallest C up, all walks at once (the runner
  // shares them out), the walks over the larger feature set first.
  const walks = new Map<string, number[]>();
  settings.forEach((s, i) => {
    const key = `${s.featureSet}\u0000${s.loss}`;
    walks.set(key, [...(walks.get(key) ?? []), i]);
  });
  const ordered = [...walks.values()].map((w) => w.sort((a, b) => settings[a]!.C - settings[b]!.C || a - b));
  ordered.sort((a, b) => cost(settings[b[0]!]!) - cost(settings[a[0]!]!) || a[0]! - b[0]!);
  const walk = async (indices: number[]): Promise<void> => {
    let best = -Infinity;
    let misses = 0;
    for (let w = 0; w < indices.length; w++) {
      const index = indices[w]!;
      await fit([{ index, fold: 0 }]);
      const score = scores[index]![0]!;
      if (score > best) {
        best = score;
        misses = 0;
      } else if (++misses >= PATIENCE) {
        planned -= indices.length - w - 1;
        return;
      }
    }
  };
  await Promise.all(ordered.map(walk));
  let survivors = settings.map((_, i) => i).filter((i) => scores[i]!.length > 0);
  planned = plannedFits(survivors.length, k);

  // Successive halving over folds: the best third goes on to three folds, the best third of those to all k.
  let foldsDone = 1;
  while (foldsDone < k) {
    if (survivors.length > 1) {
      const keep = Math.max(1, Math.ceil(survivors.length / ETA));
      const ranked = [...survivors].sort((a, b) => meanStd(scores[b]!).mean - meanStd(scores[a]!).mean || a - b);
      survivors = ranked.slice(0, keep).sort((a, b) => a - b);
      for (const i of ranked.slice(keep)) {
        oof.delete(i);
        duals.delete(i);
      }
    }
    const target = Math.min(k, foldsDone * ETA);
    const jobs: Array<{ index: number; fold: number }> = [];
    for (let f = foldsDone; f < target; f++) for (const index of survivors) jobs.push({ index, fold: f });
    // Longest first, so no worker is left with one long fit at the end (the fold-1 fit's passes predict the rest).
    const work = (index: number) => cost(settings[index]!) * Math.max(1, firstPasses[index]!);
    jobs.sort((a, b) => work(b.index) - work(a.index) || a.index - b.index || a.fold - b.fold);
    await fit(jobs);
    foldsDone = target;
  }
  const rows: CvRow[] = [];
  settings.forEach((s, i) => {
    const folds = scores[i]!.filter((v) => v !== undefined);
    if (!folds.length) return;
    const { mean, std } = meanStd(folds);
    rows.push({ ...s, macroF1: mean, std, folds });
  });
  let best = survivors[0]!;
  for (const i of survivors) if (meanStd(scores[i]!).mean > meanStd(scores[best]!).mean) best = i;
  const bestRow = rows.find((r) => r.featureSet === settings[best]!.featureSet && r.loss === settings[best]!.loss && r.C === settings[best]!.C)!;
  const dual = duals.get(best);
  return { folds: k, rows, best: bestRow, oof: oof.get(best)!, ...(dual ? { dual } : {}), cost: totals };
}

/** The most fits the search makes for `settings` settings and k folds (fewer when walks along C stop early). */
export function plannedFits(settings: number, k: number): number {
  let total = 0;
  let survivors = settings;
  let foldsDone = 0;
  let target = 1;
  for (;;) {
    total += survivors * (target - foldsDone);
    foldsDone = target;
    if (foldsDone >= k) return total;
    if (survivors > 1) survivors = Math.max(1, Math.ceil(survivors / ETA));
    target = Math.min(k, foldsDone * ETA);
  }
}

/** The feature matrices of the train split, by feature set. */
export type Matrices = Partial<Record<FeatureSet, CsrMatrix>>;
