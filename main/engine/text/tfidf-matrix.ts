// Compressed sparse rows: the one matrix type of the linear model. A TF-IDF matrix of 200k texts by a million
// n-grams is mostly zeros; only the stored entries cost memory, and nothing here ever allocates rows × cols.

export interface CsrMatrix {
  readonly rows: number;
  readonly cols: number;
  /** Row r's entries are indices/data[indptr[r] .. indptr[r + 1]), column indices ascending. */
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  /** Float32 halves the memory of the biggest array; every sum over it is accumulated in float64. */
  readonly data: Float32Array;
}

/** Typed-array buffers that double when full, for building a matrix whose size is known only at the end. */
export class GrowableInt32 {
  array: Int32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.array = new Int32Array(Math.max(16, capacity));
  }
  push(v: number): void {
    if (this.length === this.array.length) this.grow(this.length + 1);
    this.array[this.length++] = v;
  }
  grow(min: number): void {
    let cap = this.array.length * 2;
    while (cap < min) cap *= 2;
    const next = new Int32Array(cap);
    next.set(this.array.subarray(0, this.length));
    this.array = next;
  }
  toArray(): Int32Array {
    return this.array.slice(0, this.length);
  }
}

export class GrowableFloat32 {
  array: Float32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.array = new Float32Array(Math.max(16, capacity));
  }
  push(v: number): void {
    if (this.length === this.array.length) {
      const next = new Float32Array(this.array.length * 2);
      next.set(this.array);
      this.array = next;
    }
    this.array[this.length++] = v;
  }
  toArray(): Float32Array {
    return this.array.slice(0, this.length);
  }
}

/** An empty matrix with the given shape (every row has no entries). */
export function emptyCsr(rows: number, cols: number): CsrMatrix {
  return { rows, cols, indptr: new Int32Array(rows + 1), indices: new Int32Array(0), data: new Float32Array(0) };
}

/** Stored entries of a matrix (the number that decides time and memory). */
export function nnz(m: CsrMatrix): number {
  return m.indptr[m.rows]!;
}

/** Squared L2 norm of every row. */
export function rowSquaredNorms(m: CsrMatrix): Float64Array {
  const out = new Float64Array(m.rows);
  for (let r = 0; r < m.rows; r++) {
    let s = 0;
    for (let k = m.indptr[r]!; k < m.indptr[r + 1]!; k++) s += m.data[k]! * m.data[k]!;
    out[r] = s;
  }
  return out;
}

/**
 * [a·sa | b·sb]: the columns of b follow those of a. Both must have the same rows. With sa = sb = √½ two
 * unit-norm blocks give unit-norm rows, so C means the same for one block or two.
 */
export function hstack(a: CsrMatrix, b: CsrMatrix, sa = 1, sb = 1): CsrMatrix {
  if (a.rows !== b.rows) throw new Error(`hstack: ${a.rows} rows beside ${b.rows} rows.`);
  const total = nnz(a) + nnz(b);
  const indptr = new Int32Array(a.rows + 1);
  const indices = new Int32Array(total);
  const data = new Float32Array(total);
  let k = 0;
  for (let r = 0; r < a.rows; r++) {
    for (let p = a.indptr[r]!; p < a.indptr[r + 1]!; p++, k++) {
      indices[k] = a.indices[p]!;
      data[k] = a.data[p]! * sa;
    }
    for (let p = b.indptr[r]!; p < b.indptr[r + 1]!; p++, k++) {
      indices[k] = b.indices[p]! + a.cols;
      data[k] = b.data[p]! * sb;
    }
    indptr[r + 1] = k;
  }
  return { rows: a.rows, cols: a.cols + b.cols, indptr, indices, data };
}

/** The rows of m listed in `rows`, in that order (used to hand one cross-validation fold to a reference tool). */
export function selectRows(m: CsrMatrix, rows: ArrayLike<number>): CsrMatrix {
  let total = 0;
  for (let i = 0; i < rows.length; i++) total += m.indptr[rows[i]! + 1]! - m.indptr[rows[i]!]!;
  const indptr = new Int32Array(rows.length + 1);
  const indices = new Int32Array(total);
  const data = new Float32Array(total);
  let k = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const start = m.indptr[r]!;
    const end = m.indptr[r + 1]!;
    indices.set(m.indices.subarray(start, end), k);
    data.set(m.data.subarray(start, end), k);
    k += end - start;
    indptr[i + 1] = k;
  }
  return { rows: rows.length, cols: m.cols, indptr, indices, data };
}
