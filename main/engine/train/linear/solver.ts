// Runs liblinear's dual coordinate descent solvers (wasm/solver.c, compiled to WebAssembly) on the rows of a
// CSR matrix: one binary problem, or the problems of one-vs-rest side by side. The matrix is copied into the
// module's memory once; every fit on it (cross-validation folds, grid points, the final model) then only writes
// its row list and labels.
// The algorithms, their stopping rules and the bias handling are described in wasm/solver.c.
import type { CsrMatrix } from '../../text/tfidf-matrix.ts';
import { SOLVER_WASM_BASE64 } from './solver-wasm.ts';

export interface SolverOptions {
  /** Stopping tolerance (liblinear's -e; its default for both dual solvers is 0.1). */
  eps: number;
  /** Passes over the data before a problem gives up. */
  maxIter: number;
}

export const SOLVER_DEFAULTS: SolverOptions = { eps: 0.1, maxIter: 1000 };

export type DualLoss = 'svm' | 'lr';

/** One binary problem over `rows` of the loaded matrix. */
export interface BinaryProblem {
  rows: Int32Array;
  /** +1 or -1 per entry of rows. */
  y: Int8Array;
  /** Cost of errors on positive and on negative examples (C times a class weight). */
  cp: number;
  cn: number;
  /** Value of the constant feature appended to each row; 0 = no bias. */
  bias: number;
  /** Dual variables to start from, one per entry of rows (a warm start); absent = all 0. */
  alpha0?: Float64Array;
}

/** The m binary problems of one-vs-rest over the same rows: problem c separates its positives from the rest. */
export interface OvrProblems {
  rows: Int32Array;
  /** m problems; y[i * m + c] is +1 or -1, the label of rows[i] in problem c. */
  m: number;
  y: Int8Array;
  /** Costs of each problem's positive and negative examples. */
  cp: Float64Array;
  cn: Float64Array;
  bias: number;
  /**
   * Dual variables to start from (a warm start), alpha0[i * m + c] for rows[i] in problem c; NaN where a row has
   * none. Absent = liblinear's cold start.
   */
  alpha0?: Float64Array;
}

export interface OvrDualSolution {
  /** Feature-major weights W[j · m + c]; row cols holds the bias weights. */
  W: Float64Array;
  /** The dual solution, alpha[i * m + c] for rows[i] in problem c. */
  alpha: Float64Array;
  /** Passes each problem made, and whether it reached the tolerance. */
  iterations: number[];
  converged: boolean[];
}

export interface BinarySolution {
  /** Weights of the matrix columns followed by the bias weight (cols + 1 values). */
  w: Float64Array;
  /** Dual variables, one per row. */
  alpha: Float64Array;
  iterations: number;
  converged: boolean;
}

interface SolverExports {
  svm_dual(l: number, rows: number, indptr: number, ind: number, dat: number, cols: number, y: number, cp: number, cn: number, bias: number, eps: number, maxIter: number, w: number, alpha: number, qd: number, index: number, start: number, passes: number, st: number): number;
  svm_dual_ovr(l: number, rows: number, indptr: number, ind: number, dat: number, cols: number, m: number, y: number, cp: number, cn: number, bias: number, eps: number, maxIter: number, W: number, Wout: number, alpha: number, a0: number, aout: number, act: number, xtx: number, index: number, work: number, lanes: number, iters: number, converged: number, start: number, passes: number, st: number): number;
  lr_dual_ovr(l: number, rows: number, indptr: number, ind: number, dat: number, cols: number, m: number, y: number, cp: number, cn: number, bias: number, eps: number, maxIter: number, W: number, Wout: number, alpha: number, a0: number, aout: number, xtx: number, index: number, work: number, lanes: number, iters: number, converged: number, start: number, passes: number, st: number): number;
  __heap_base: WebAssembly.Global;
}

let compiled: WebAssembly.Module | null = null;

function solverModule(): WebAssembly.Module {
  if (!compiled) {
    const bin = atob(SOLVER_WASM_BASE64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    compiled = new WebAssembly.Module(bytes);
  }
  return compiled;
}

const PAGE = 65536;

/** What a solver slice returns (wasm/solver.c): not finished yet, converged, stopped at the pass limit. */
const SLICE_MORE = 0;
const SLICE_CONVERGED = 1;

/**
 * Passes per call into the module. V8 runs a WebAssembly function from its baseline compilation until it has
 * been optimised, and swaps the optimised code in only at the next call: slices of one pass let a fit run
 * optimised after its first passes (one long call ran at half speed). A call costs microseconds, a pass
 * milliseconds.
 */
const PASSES_PER_CALL = 1;
const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** A CSR matrix loaded into a solver instance's memory, ready for any number of fits on its rows. */
export class MatrixSolver {
  readonly x: CsrMatrix;
  private readonly memory: WebAssembly.Memory;
  private readonly fn: SolverExports;
  private readonly indptr: number;
  private readonly indices: number;
  private readonly data: number;
  /** Where column j's weight lies in the solver's weight vectors (the bias, column cols, stays last). */
  private readonly slot: Int32Array;
  /** First byte after the matrix: each fit lays out its own arrays from here. */
  private readonly scratch: number;

  constructor(x: CsrMatrix) {
    this.x = x;
    const nz = x.indptr[x.rows]!;
    this.memory = new WebAssembly.Memory({ initial: 2 });
    this.fn = new WebAssembly.Instance(solverModule(), { env: { memory: this.memory, log: Math.log } }).exports as unknown as SolverExports;
    let at = align8(this.fn.__heap_base.value as number);
    this.indptr = at;
    at = align8(at + 4 * (x.rows + 1));
    this.indices = at;
    at = align8(at + 4 * nz);
    this.data = at;
    at = align8(at + 4 * nz);
    this.scratch = at;
    this.ensure(at);
    new Int32Array(this.memory.buffer, this.indptr, x.rows + 1).set(x.indptr);
    // Columns renumbered by how many rows use them, most used first (ties in column order): the weights of the
    // frequent features, which nearly every row reads, then share a few cache lines. Each row's entries are then
    // put in the order of their new columns, so a row's weights are read at rising addresses, the frequent ones
    // first: on O*NET task sentences, words+chars (157k columns, 22 problems side by side), the whole search
    // took 20-28% less CPU than with each row in vocabulary order, for the same passes. The sums are then taken
    // in another order than the vocabulary's, so the weights differ from that order's in the last bits; they do
    // not depend on anything but the matrix.
    const counts = new Int32Array(x.cols);
    for (let k = 0; k < nz; k++) counts[x.indices[k]!]!++;
    const byUse = Int32Array.from({ length: x.cols }, (_, j) => j).sort((a, b) => counts[b]! - counts[a]! || a - b);
    this.slot = new Int32Array(x.cols + 1);
    byUse.forEach((j, s) => (this.slot[j] = s));
    this.slot[x.cols] = x.cols;
    const ind = new Int32Array(this.memory.buffer, this.indices, nz);
    const dat = new Float32Array(this.memory.buffer, this.data, nz);
    // A row's values wait in a dense scratch row indexed by new column while its new columns are sorted.
    const scratch = new Float32Array(x.cols);
    for (let r = 0; r < x.rows; r++) {
      const start = x.indptr[r]!;
      const end = x.indptr[r + 1]!;
      for (let k = start; k < end; k++) {
        const j = this.slot[x.indices[k]!]!;
        ind[k] = j;
        scratch[j] = x.data[k]!;
      }
      ind.subarray(start, end).sort();
      let repeated = false;
      for (let k = start + 1; k < end; k++) repeated ||= ind[k] === ind[k - 1];
      if (!repeated) for (let k = start; k < end; k++) dat[k] = scratch[ind[k]!]!;
      else for (let k = start; k < end; k++) [ind[k], dat[k]] = [this.slot[x.indices[k]!]!, x.data[k]!]; // a column twice: as stored
    }
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE));
  }

  /** Solves one binary SVM problem, from dual variables all 0 or from p.alpha0. */
  solveSvm(p: BinaryProblem, opts: SolverOptions = SOLVER_DEFAULTS): BinarySolution {
    const l = p.rows.length;
    const cols = this.x.cols;
    let at = this.scratch;
    const rows = at;
    at = align8(at + 4 * l);
    const y = at;
    at = align8(at + l);
    const w = at;
    at = align8(at + 8 * (cols + 1));
    const alpha = at;
    at = align8(at + 8 * l);
    const qd = at;
    at = align8(at + 8 * l);
    const index = at;
    at = align8(at + 4 * l);
    const st = at;
    at = align8(at + 8 * 4);
    this.ensure(at);
    const buf = this.memory.buffer;
    new Int32Array(buf, rows, l).set(p.rows);
    new Int8Array(buf, y, l).set(p.y);
    if (p.alpha0) new Float64Array(buf, alpha, l).set(p.alpha0);
    else new Float64Array(buf, alpha, l).fill(0);
    let status = SLICE_MORE;
    for (let start = 1; status === SLICE_MORE; start = 0) {
      status = this.fn.svm_dual(l, rows, this.indptr, this.indices, this.data, cols, y, p.cp, p.cn, p.bias, opts.eps, opts.maxIter, w, alpha, qd, index, start, PASSES_PER_CALL, st);
    }
    const after = this.memory.buffer;
    const wView = new Float64Array(after, w, cols + 1);
    const weights = new Float64Array(cols + 1);
    for (let j = 0; j <= cols; j++) weights[j] = wView[this.slot[j]!]!;
    return {
      w: weights,
      alpha: new Float64Array(after, alpha, l).slice(),
      iterations: new Float64Array(after, st, 1)[0]!,
      converged: status === SLICE_CONVERGED,
    };
  }

  /**
   * Solves the m logistic regression problems of one-vs-rest together (wasm/solver.c, lr_dual_ovr): the same
   * result as solving each alone, bit for bit, for a fraction of the memory traffic.
   */
  solveLrOvr(p: OvrProblems, opts: SolverOptions = SOLVER_DEFAULTS): OvrDualSolution {
    return this.solveOvr('lr', p, opts);
  }

  /**
   * Solves the m SVM problems of one-vs-rest together (wasm/solver.c, svm_dual_ovr): the problems share each
   * pass's row order, each keeps its own shrinking and stopping test, and each problem's solution is the same
   * whichever others are solved beside it.
   */
  solveSvmOvr(p: OvrProblems, opts: SolverOptions = SOLVER_DEFAULTS): OvrDualSolution {
    return this.solveOvr('svm', p, opts);
  }

  private solveOvr(loss: DualLoss, p: OvrProblems, opts: SolverOptions): OvrDualSolution {
    const l = p.rows.length;
    const cols = this.x.cols;
    const m = p.m;
    const M = m + (m % 2);
    let at = this.scratch;
    const take = (bytes: number) => {
      const start = at;
      at = align8(at + bytes);
      return start;
    };
    const rows = take(4 * l);
    const y = take(l * M);
    const cp = take(8 * m);
    const cn = take(8 * m);
    const W = take(8 * (cols + 1) * M);
    const Wout = take(8 * (cols + 1) * m);
    // The logistic regression keeps each dual variable as a pair (a, C - a); the SVM keeps a, and an active flag.
    const alpha = take((loss === 'lr' ? 16 : 8) * l * M);
    const act = loss === 'svm' ? take(l * M) : 0;
    const a0 = p.alpha0 ? take(8 * l * m) : 0;
    const aout = take(8 * l * m);
    const xtx = take(8 * l);
    const index = take(4 * l);
    const work = take(8 * 7 * M);
    const lanes = take(4 * 3 * M);
    const iters = take(4 * m);
    const converged = take(4 * m);
    const st = take(8 * 3);
    this.ensure(at);
    const buf = this.memory.buffer;
    new Int32Array(buf, rows, l).set(p.rows);
    const yView = new Int8Array(buf, y, l * M);
    for (let i = 0; i < l; i++) for (let c = 0; c < M; c++) yView[i * M + c] = c < m ? p.y[i * m + c]! : 1;
    new Float64Array(buf, cp, m).set(p.cp);
    new Float64Array(buf, cn, m).set(p.cn);
    if (p.alpha0) new Float64Array(buf, a0, l * m).set(p.alpha0);
    let status = SLICE_MORE;
    for (let start = 1; status === SLICE_MORE; start = 0) {
      status =
        loss === 'lr'
          ? this.fn.lr_dual_ovr(l, rows, this.indptr, this.indices, this.data, cols, m, y, cp, cn, p.bias, opts.eps, opts.maxIter, W, Wout, alpha, a0, aout, xtx, index, work, lanes, iters, converged, start, PASSES_PER_CALL, st)
          : this.fn.svm_dual_ovr(l, rows, this.indptr, this.indices, this.data, cols, m, y, cp, cn, p.bias, opts.eps, opts.maxIter, W, Wout, alpha, a0, aout, act, xtx, index, work, lanes, iters, converged, start, PASSES_PER_CALL, st);
    }
    const after = this.memory.buffer;
    const Wm = new Float64Array(after, Wout, (cols + 1) * m);
    const out = new Float64Array((cols + 1) * m);
    for (let j = 0; j <= cols; j++) out.set(Wm.subarray(this.slot[j]! * m, this.slot[j]! * m + m), j * m);
    return {
      W: out,
      alpha: new Float64Array(after, aout, l * m).slice(),
      iterations: Array.from(new Int32Array(after, iters, m)),
      converged: Array.from(new Int32Array(after, converged, m), (v) => v === 1),
    };
  }
}

/** Primal objective ½‖w‖² + Σ C_i loss(y_i wᵀx_i): the number both solvers minimise (for tests and reports). */
export function primalObjective(x: CsrMatrix, p: BinaryProblem, w: Float64Array, loss: DualLoss): number {
  let v = 0;
  for (let j = 0; j < w.length; j++) v += w[j]! * w[j]!;
  v *= 0.5;
  for (let i = 0; i < p.rows.length; i++) {
    const r = p.rows[i]!;
    let s = w[x.cols]! * p.bias;
    for (let k = x.indptr[r]!; k < x.indptr[r + 1]!; k++) s += w[x.indices[k]!]! * x.data[k]!;
    const margin = p.y[i]! * s;
    const C = p.y[i]! > 0 ? p.cp : p.cn;
    if (loss === 'svm') {
      const h = Math.max(0, 1 - margin);
      v += C * h * h;
    } else v += C * (margin > 0 ? Math.log1p(Math.exp(-margin)) : -margin + Math.log1p(Math.exp(margin)));
  }
  return v;
}
