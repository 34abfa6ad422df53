// Runs liblinear's dual coordinate descent solvers (wasm/solver.c, compiled to WebAssembly) on the rows of a
// CSR matrix, one binary problem at a time. The matrix is copied into the module's memory once; every fit on
// it (cross-validation folds, grid points, the final model) then only writes its row list and labels.
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
}

export interface BinarySolution {
  /** Weights of the matrix columns followed by the bias weight (cols + 1 values). */
  w: Float64Array;
  /** Dual variables: SVM one per row; logistic regression the pairs (α_i, C_i − α_i). */
  alpha: Float64Array;
  iterations: number;
  converged: boolean;
}

interface SolverExports {
  svm_dual(l: number, rows: number, indptr: number, ind: number, dat: number, cols: number, y: number, cp: number, cn: number, bias: number, eps: number, maxIter: number, w: number, alpha: number, qd: number, index: number, converged: number): number;
  lr_dual(l: number, rows: number, indptr: number, ind: number, dat: number, cols: number, y: number, cp: number, cn: number, bias: number, eps: number, maxIter: number, w: number, alpha: number, xtx: number, index: number, warm: number, converged: number): number;
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
const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** A CSR matrix loaded into a solver instance's memory, ready for any number of fits on its rows. */
export class MatrixSolver {
  readonly x: CsrMatrix;
  private readonly memory: WebAssembly.Memory;
  private readonly fn: SolverExports;
  private readonly indptr: number;
  private readonly indices: number;
  private readonly data: number;
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
    new Int32Array(this.memory.buffer, this.indices, nz).set(x.indices.subarray(0, nz));
    new Float32Array(this.memory.buffer, this.data, nz).set(x.data.subarray(0, nz));
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE));
  }

  /** Solves one binary problem; `warm` is a start for the dual variables (same layout as the solution's). */
  solve(loss: DualLoss, p: BinaryProblem, opts: SolverOptions = SOLVER_DEFAULTS, warm?: Float64Array): BinarySolution {
    const l = p.rows.length;
    const cols = this.x.cols;
    const alphaLength = loss === 'svm' ? l : 2 * l;
    let at = this.scratch;
    const rows = at;
    at = align8(at + 4 * l);
    const y = at;
    at = align8(at + l);
    const w = at;
    at = align8(at + 8 * (cols + 1));
    const alpha = at;
    at = align8(at + 8 * alphaLength);
    const qd = at;
    at = align8(at + 8 * l);
    const index = at;
    at = align8(at + 4 * l);
    const converged = at;
    this.ensure(at + 8);
    const buf = this.memory.buffer;
    new Int32Array(buf, rows, l).set(p.rows);
    new Int8Array(buf, y, l).set(p.y);
    const alphaView = new Float64Array(buf, alpha, alphaLength);
    if (warm) alphaView.set(warm);
    else alphaView.fill(0);
    const iterations =
      loss === 'svm'
        ? this.fn.svm_dual(l, rows, this.indptr, this.indices, this.data, cols, y, p.cp, p.cn, p.bias, opts.eps, opts.maxIter, w, alpha, qd, index, converged)
        : this.fn.lr_dual(l, rows, this.indptr, this.indices, this.data, cols, y, p.cp, p.cn, p.bias, opts.eps, opts.maxIter, w, alpha, qd, index, warm ? 1 : 0, converged);
    const after = this.memory.buffer;
    return {
      w: new Float64Array(after, w, cols + 1).slice(),
      alpha: new Float64Array(after, alpha, alphaLength).slice(),
      iterations,
      converged: new Int32Array(after, converged, 1)[0] === 1,
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
