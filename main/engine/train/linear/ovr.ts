// One-vs-rest over the dual solvers, as liblinear (and scikit-learn's LinearSVC / LogisticRegression with
// solver='liblinear') do it: two classes give one problem (class 1 positive), K > 2 classes give K problems.
// Class weights multiply C of the positive examples; in a K-class problem the negatives keep plain C, exactly
// as liblinear's train() does, so the same data and weights give scikit-learn's model.
import type { CsrMatrix } from '../../text/tfidf-matrix.ts';
import { SOLVER_DEFAULTS, type MatrixSolver, type SolverOptions } from './solver.ts';

export type LinearLoss = 'svm' | 'lr';

export interface OvrParams {
  loss: LinearLoss;
  C: number;
  /** Per-class multiplier of C (balanced: n / (K · n_c)); null = all 1. */
  classWeights: Float64Array | null;
  /** Constant feature value for the intercept (liblinear -B); 0 = none. */
  bias: number;
  solver?: SolverOptions;
  /**
   * A warm start: a dual solution of the same problems (same loss and C) on other, overlapping rows,
   * start[r * m + c] for matrix row r and problem c, NaN where that solution had no row r (OvrSolution.dual).
   */
  start?: Float32Array;
  /** Return the dual solution (OvrSolution.dual). */
  keepDual?: boolean;
  /**
   * Fit only problems [from, to) of the m (default: all). Each problem's solution is the same whichever others
   * are fitted with it, so ranges fitted apart (in parallel) and put side by side give the whole model.
   */
  problems?: [number, number];
  /** The SVM's problems side by side (true) or one at a time (false); default: svmSideBySide. For tests and benchmarks. */
  sideBySide?: boolean;
}

/**
 * Whether the SVM solves a model's one-vs-rest problems side by side (wasm/solver.c, svm_dual_ovr) rather than one
 * at a time (svm_dual). Side by side, one sweep of a row's entries serves every problem that has the row active,
 * but the weights of all problems are read and written together: a wider array, less of it in cache. Since the
 * solver reads each row's weights at rising addresses, most used columns first (solver.ts, MatrixSolver), the
 * wide array costs little and side by side wins wherever there are enough problems. Measured (CPU time of the 22
 * problems on four fifths of the train split, one process, medians of 3; one at a time over side by side at
 * C = 0.3 / 1 / 3 / 10; in brackets the weights of all problems, (cols + 1) m, over the rows' stored entries):
 *   O*NET task sentences, words+chars (0.93): 3.1x / 2.7x / 2.2x / 1.6x;
 *   O*NET job descriptions, words+chars (2.1): 1.7x / 1.5x / 1.6x / 1.5x;
 *   task sentences, words (7): 1.3x / 1.2x / 1.2x / 1.0x;
 *   job descriptions, words (10): 1.3x / 1.1x / 0.9x / 1.1x.
 * (Before that layout, the last three were 1.0x, 0.6-2.2x and 0.6-0.7x, and only the first took this path.)
 * Few problems share little: on task sentences, words+chars, 4 problems 0.9x at C = 10, 3 about 0.85x, 2 about
 * 0.85x, 1 about 0.6x. So: at least 6 problems.
 * Decided over the whole model (all m problems), never over a worker's range of problems (OvrParams.problems), so
 * every problem of a model takes the same path: the paths visit rows and sum in different orders, and the final
 * fit split between workers must give the one-thread model bit for bit.
 */
export function svmSideBySide(m: number): boolean {
  return m >= 6;
}

/** Number of binary problems (weight vectors) for K classes: one for two classes, K otherwise. */
export function problemCount(classes: number): number {
  return classes === 2 ? 1 : classes;
}

/** n / (K · n_c) per class (scikit-learn's class_weight='balanced'), counted over the given rows. */
export function balancedWeights(labels: Int32Array, rows: Int32Array, classes: number): Float64Array {
  const counts = new Float64Array(classes);
  for (let i = 0; i < rows.length; i++) counts[labels[rows[i]!]!]!++;
  const out = new Float64Array(classes);
  for (let c = 0; c < classes; c++) out[c] = counts[c]! > 0 ? rows.length / (classes * counts[c]!) : 1;
  return out;
}

export interface OvrSolution {
  /**
   * Feature-major weights W[j · m + c] of the m problems (of the range's problems only, W[j · (to - from) + c -
   * from], with OvrParams.problems); row x.cols holds the bias weights.
   */
  W: Float64Array;
  /** Passes each problem made. */
  iterations: number[];
  /** Problems stopped by the iteration limit before reaching the tolerance. */
  unconverged: number;
  /**
   * With keepDual: the dual variables, dual[r * m + c] for matrix row r and problem c, NaN for rows not trained
   * on. Float32: it only serves as a start point (OvrParams.start), at half the memory.
   */
  dual?: Float32Array;
}

/** Trains the one-vs-rest problems on `rows` of the solver's matrix, where labels[r] is the class of row r. */
export function fitOneVsRest(solver: MatrixSolver, rows: Int32Array, labels: Int32Array, classes: number, params: OvrParams): OvrSolution {
  const m = problemCount(classes);
  const [from, to] = params.problems ?? [0, m];
  if (!(from >= 0 && from < to && to <= m)) throw new Error(`fitOneVsRest: no problems in [${from}, ${to}) of ${m}.`);
  if (params.keepDual && (from > 0 || to < m)) throw new Error('fitOneVsRest: keepDual needs every problem.');
  const mr = to - from;
  const cols = solver.x.cols;
  const cw = params.classWeights;
  const W = new Float64Array((cols + 1) * mr);
  const out: OvrSolution = { W, iterations: [], unconverged: 0 };
  const start = params.start;
  const dual = params.keepDual ? new Float32Array(solver.x.rows * m).fill(Number.NaN) : null;
  if (dual) out.dual = dual;
  const costs = (c: number) => {
    const positive = classes === 2 ? 1 : c;
    return { positive, cp: params.C * (cw ? cw[positive]! : 1), cn: params.C * (classes === 2 && cw ? cw[0]! : 1) };
  };
  if (params.loss === 'lr' || (params.sideBySide ?? svmSideBySide(m))) {
    // All the problems at once: they share the rows and the order they are visited in (solver.ts, solveLrOvr and
    // solveSvmOvr), and each problem's solution is the same whichever problems are solved beside it.
    const y = new Int8Array(rows.length * mr);
    const cp = new Float64Array(mr);
    const cn = new Float64Array(mr);
    for (let c = 0; c < mr; c++) {
      const k = costs(from + c);
      cp[c] = k.cp;
      cn[c] = k.cn;
      for (let i = 0; i < rows.length; i++) y[i * mr + c] = labels[rows[i]!] === k.positive ? 1 : -1;
    }
    let alpha0: Float64Array | undefined;
    if (start) {
      alpha0 = new Float64Array(rows.length * mr);
      for (let i = 0; i < rows.length; i++) for (let c = 0; c < mr; c++) alpha0[i * mr + c] = start[rows[i]! * m + from + c]!;
    }
    const problems = { rows, m: mr, y, cp, cn, bias: params.bias, alpha0 };
    const sol = params.loss === 'lr' ? solver.solveLrOvr(problems, params.solver ?? SOLVER_DEFAULTS) : solver.solveSvmOvr(problems, params.solver ?? SOLVER_DEFAULTS);
    W.set(sol.W);
    if (dual) for (let i = 0; i < rows.length; i++) for (let c = 0; c < m; c++) dual[rows[i]! * m + c] = sol.alpha[i * m + c]!;
    out.iterations = sol.iterations;
    out.unconverged = sol.converged.filter((c) => !c).length;
    return out;
  }
  const y = new Int8Array(rows.length);
  for (let c = from; c < to; c++) {
    const k = costs(c);
    for (let i = 0; i < rows.length; i++) y[i] = labels[rows[i]!] === k.positive ? 1 : -1;
    let alpha0: Float64Array | undefined;
    if (start) {
      alpha0 = new Float64Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const a = start[rows[i]! * m + c]!;
        alpha0[i] = a > 0 ? a : 0;  // NaN (no start for this row) and 0 alike
      }
    }
    const sol = solver.solveSvm({ rows, y, cp: k.cp, cn: k.cn, bias: params.bias, alpha0 }, params.solver ?? SOLVER_DEFAULTS);
    for (let j = 0; j <= cols; j++) W[j * mr + c - from] = sol.w[j]!;
    if (dual) for (let i = 0; i < rows.length; i++) dual[rows[i]! * m + c] = sol.alpha[i]!;
    out.iterations.push(sol.iterations);
    if (!sol.converged) out.unconverged++;
  }
  return out;
}

/**
 * Decision values of `rows` of x, row-major (rows × classes), from feature-major weights W (m problems).
 * With two classes the one problem's value f becomes (−f, f): the larger value is always the predicted class,
 * and a softmax over the values treats two classes and many alike.
 */
export function decisionValues(x: CsrMatrix, rows: ArrayLike<number>, W: Float64Array | Float32Array, classes: number, bias: number): Float64Array {
  const m = problemCount(classes);
  const out = new Float64Array(rows.length * classes);
  const ind = x.indices;
  const dat = x.data;
  const s = new Float64Array(m);
  const b = x.cols * m;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    for (let c = 0; c < m; c++) s[c] = W[b + c]! * bias;
    for (let k = x.indptr[r]!, end = x.indptr[r + 1]!; k < end; k++) {
      const base = ind[k]! * m;
      const v = dat[k]!;
      for (let c = 0; c < m; c++) s[c]! += W[base + c]! * v;
    }
    if (classes === 2) {
      out[i * 2] = -s[0]!;
      out[i * 2 + 1] = s[0]!;
    } else out.set(s, i * classes);
  }
  return out;
}
