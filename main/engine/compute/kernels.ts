// Kernels the project registers where TensorFlow.js lacks them or has a slow one.
//
// UnsortedSegmentSum is what the gradient of a gather (and so of every Embedding layer) is made of:
// d(gather(params, ids))/d(params) = unsortedSegmentSum(dy, ids, vocabSize). The wasm backend has no
// such kernel at all, so training any embedding model there fails; the pure-JS cpu backend has one
// that builds a [numSegments, ...] mask per segment (O(numSegments × size)), which for a 5,000-word
// vocabulary is slower than the whole rest of a training step. Both become one pass of scatter-add.
//
// The rest are speed-ups for recurrent training, each computing exactly what the kernel it replaces
// computes (tests/unit/compute-kernels.test.ts): Slice/Unpack/SplitV without whole-input copies,
// GatherV2 by rows, BatchMatMul without the slow transposed path (batched products in wasm/ops.c), Identity and
// layout-keeping Transpose without copies, comparisons in one strided pass (float32 rows in ops.c), Max over time
// without a transpose (ops.c) and Reverse by runs (wasm), the fused LSTM/GRU kernels of
// fused-rnn.ts (WebAssembly SIMD, rnn-wasm.ts, or JavaScript, rnn-js.ts), a fused Adam update and the global
// gradient norm in one kernel (adam.ts).
// Measured in tests/bench/train-throughput.bench.ts.
import * as tf from '@tensorflow/tfjs';
import { FUSED_ADAM, GLOBAL_NORM, fusedAdamKernel, globalNormKernel } from './adam.ts';
import { jsRnnKernels } from './rnn-js.ts';
import { HeapModule } from './heap-module.ts';
import { WasmRnn, defaultThreads, wasmRnnKernels } from './rnn-wasm.ts';
import { webgpuRnnKernels } from './webgpu/rnn-webgpu.ts';
import { FUSED_GRU_BACKWARD, FUSED_GRU_FORWARD, FUSED_LSTM_BACKWARD, FUSED_LSTM_FORWARD } from './rnn-op.ts';

type NumericArray = Float32Array | Int32Array | Uint8Array;

/** Output shape per TensorFlow: [numSegments, ...data.shape[segmentIds.rank:]]. */
export function segmentSumShape(dataShape: readonly number[], idsRank: number, numSegments: number): number[] {
  return [numSegments, ...dataShape.slice(idsRank)];
}

/**
 * out[ids[i], :] += data[i, :] for every i, where each row is `inner` values wide. Ids outside
 * [0, numSegments) are dropped, as TensorFlow does for negative ids. `out` must start at zero.
 */
export function scatterAdd(
  data: ArrayLike<number>,
  ids: ArrayLike<number>,
  inner: number,
  numSegments: number,
  out: NumericArray,
): void {
  const n = ids.length;
  for (let i = 0; i < n; i++) {
    const seg = ids[i]!;
    if (seg < 0 || seg >= numSegments) continue;
    const src = i * inner;
    const dst = seg * inner;
    for (let j = 0; j < inner; j++) out[dst + j]! += data[src + j]!;
  }
}

function checkInputs(x: tf.TensorInfo, ids: tf.TensorInfo, numSegments: number): number {
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new Error(`UnsortedSegmentSum: numSegments must be a non-negative integer, got ${numSegments}.`);
  }
  for (let d = 0; d < ids.shape.length; d++) {
    if (ids.shape[d] !== x.shape[d]) {
      throw new Error(
        `UnsortedSegmentSum: segmentIds shape [${ids.shape.join(',')}] must be a prefix of data shape [${x.shape.join(',')}].`,
      );
    }
  }
  return tf.util.sizeFromShape(x.shape.slice(ids.shape.length));
}

/** The parts of tfjs-backend-wasm's BackendWasm that this kernel uses (its class is not exported typed). */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): NumericArray;
}

/** The parts of tfjs-backend-cpu's MathBackendCPU that this kernel uses. */
interface CpuBackendLike {
  data: { get(dataId: tf.DataId): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: NumericArray): tf.TensorInfo;
}

type BatchMatMulExport = (a: number, b: number, out: number, batch: number, m: number, k: number, n: number, ...strides: number[]) => void;
interface OpsModule {
  batch_matmul: BatchMatMulExport;
  compare_f32: (op: number, a: number, b: number, out: number, n: number) => void;
  max_middle: (x: number, out: number, outer: number, r: number, inner: number) => void;
}

// wasm/ops.c, instantiated over the wasm backend's own memory (like adam.ts's module): it reads the operands where
// they are and writes the output in place.
const OPS_MODULE = new HeapModule<OpsModule>(new URL('./wasm/ops.wasm', import.meta.url));
let opsOn = true;

/**
 * Turns the kernels' ops.c paths (batched products, comparisons, max over time) off (false: tfjs's own kernels and
 * the JavaScript comparisons) or on again; tests compare the two bit for bit.
 */
export function setWasmOps(on: boolean): void {
  opsOn = on;
}

function wasmOpsFor(backend: object): OpsModule | null {
  return opsOn ? OPS_MODULE.on(backend) : null;
}

/** How the wasm backend's batched products, float32 comparisons and Max run: ops.c, or why not (loads it now). */
function wasmOpsDetail(): string {
  const backend = tf.findBackend('wasm');
  if (!backend) return 'tfjs kernels (no wasm backend yet)';
  return wasmOpsFor(backend) ? 'WebAssembly ops.c' : `tfjs kernels (ops.wasm did not load: ${opsOn ? (OPS_MODULE.failure ?? 'unknown reason') : 'switched off'})`;
}

const unsortedSegmentSumWasm: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (attrs as { numSegments: number }).numSegments;
  const inner = checkInputs(x, segmentIds, numSegments);
  const b = backend as unknown as WasmBackendLike;
  const outShape = segmentSumShape(x.shape, segmentIds.shape.length, numSegments);
  // Allocate first: malloc may grow the wasm memory, which detaches every view taken before it.
  const out = b.makeOutput(outShape, x.dtype);
  const outValues = b.typedArrayFromHeap(out);
  outValues.fill(0); // malloc does not zero
  const ids = segmentIds.dtype === 'int32' ? b.typedArrayFromHeap(segmentIds) : Int32Array.from(b.typedArrayFromHeap(segmentIds));
  scatterAdd(b.typedArrayFromHeap(x), ids, inner, numSegments, outValues);
  return out;
};

const unsortedSegmentSumCpu: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (attrs as { numSegments: number }).numSegments;
  const inner = checkInputs(x, segmentIds, numSegments);
  const b = backend as unknown as CpuBackendLike;
  const outShape = segmentSumShape(x.shape, segmentIds.shape.length, numSegments);
  const size = tf.util.sizeFromShape(outShape);
  const outValues = x.dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
  scatterAdd(b.data.get(x.dataId).values as NumericArray, b.data.get(segmentIds.dataId).values as NumericArray, inner, numSegments, outValues);
  return b.makeTensorInfo(outShape, x.dtype, outValues);
};

// ---- wasm: slicing without copying the whole input ----
// tfjs-backend-wasm's Slice starts with backend.readSync(x), which copies the ENTIRE input out of the
// wasm heap for every slice. Unpack (how an RNN layer splits [time, batch, features] into steps)
// and SplitV (how an LSTM/GRU cell splits its gates) call it once per output, so a 100-step
// sequence copies the whole input 100 times. Reading a view of the heap instead is the same data.

/** Element strides of a row-major tensor of `shape` (the last dimension's is 1). */
function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  for (let d = shape.length - 1, stride = 1; d >= 0; stride *= shape[d]!, d--) strides[d] = stride;
  return strides;
}

function copySlice(x: NumericArray, xShape: readonly number[], begin: readonly number[], size: readonly number[], out: NumericArray): void {
  const rank = xShape.length;
  if (rank === 0) {
    out[0] = x[0]!;
    return;
  }
  const strides = rowMajorStrides(xShape);
  const rowLen = size[rank - 1]!;
  const rows = tf.util.sizeFromShape(size.slice(0, rank - 1));
  if (rowLen === 0 || rows === 0) return;
  const idx = new Array<number>(rank - 1).fill(0);
  let outOffset = 0;
  for (let r = 0; r < rows; r++) {
    let offset = begin[rank - 1]!;
    for (let d = 0; d < rank - 1; d++) offset += (begin[d]! + idx[d]!) * strides[d]!;
    out.set(x.subarray(offset, offset + rowLen), outOffset);
    outOffset += rowLen;
    for (let d = rank - 2; d >= 0; d--) {
      if (++idx[d]! < size[d]!) break;
      idx[d] = 0;
    }
  }
}

function sliceWasmInfo(b: WasmBackendLike, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const out = b.makeOutput(size, x.dtype);
  // Views only after makeOutput: a malloc that grows the heap detaches older views.
  copySlice(b.typedArrayFromHeap(x), x.shape, begin, size, b.typedArrayFromHeap(out));
  return out;
}

// The cpu backend's Slice reads non-contiguous slices element by element through a TensorBuffer
// (an LSTM's gate split costs ~10 ms there); the same row copies apply.
function sliceCpuInfo(b: CpuBackendLike, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const n = tf.util.sizeFromShape(size);
  const out = x.dtype === 'int32' ? new Int32Array(n) : x.dtype === 'bool' ? new Uint8Array(n) : new Float32Array(n);
  copySlice(b.data.get(x.dataId).values as NumericArray, x.shape, begin, size, out);
  return b.makeTensorInfo(size, x.dtype, out);
}

type SliceImpl = (backend: unknown, x: tf.TensorInfo, begin: number[], size: number[]) => tf.TensorInfo;
const sliceImpl: Record<'wasm' | 'cpu', SliceImpl> = {
  wasm: (b, x, begin, size) => sliceWasmInfo(b as WasmBackendLike, x, begin, size),
  cpu: (b, x, begin, size) => sliceCpuInfo(b as CpuBackendLike, x, begin, size),
};

/** Only plain numeric tensors take the fast path; strings and complex numbers keep the stock kernel. */
function fastSliceable(x: tf.TensorInfo): boolean {
  return x.dtype === 'float32' || x.dtype === 'int32' || x.dtype === 'bool';
}

function makeSlice(original: tf.KernelFunc, impl: SliceImpl): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (!fastSliceable(x)) return original(args);
    const { begin, size } = args.attrs as { begin: number | number[]; size?: number | number[] };
    const [b, s] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, begin, size);
    return impl(args.backend, x, b, s);
  };
}

function makeUnpack(original: tf.KernelFunc, impl: SliceImpl): tf.KernelFunc {
  return (args) => {
    const value = args.inputs.value as tf.TensorInfo;
    if (!fastSliceable(value)) return original(args);
    const rank = value.shape.length;
    let axis = (args.attrs as { axis: number }).axis;
    if (axis < 0) axis += rank;
    const outShape = value.shape.filter((_, d) => d !== axis);
    const begin = new Array<number>(rank).fill(0);
    const size = [...value.shape];
    size[axis] = 1;
    const outs: tf.TensorInfo[] = [];
    for (let i = 0; i < value.shape[axis]!; i++) {
      begin[axis] = i;
      const o = impl(args.backend, value, begin, size);
      outs.push({ dataId: o.dataId, dtype: o.dtype, shape: outShape });
    }
    return outs;
  };
}

function makeSplitV(original: tf.KernelFunc, impl: SliceImpl): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (!fastSliceable(x)) return original(args);
    const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number | number[] };
    const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, numOrSizeSplits, ax);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[ax] = s;
      const o = impl(args.backend, x, begin, size);
      begin[ax]! += s;
      return o;
    });
  };
}

// ---- wasm: gather ----
// The wasm GatherV2 copies element by element through generic 4-D strides: an Embedding lookup of
// 64 sequences × 100 tokens × 64 dimensions takes ~15 ms. Row copies do it in well under 1 ms.

/**
 * A view of the whole wasm heap with the element type of `view`, and where `view` starts in it: copyWithin on it
 * moves runs between tensors without allocating (a subarray per run does).
 */
function heapView(view: NumericArray): { heap: NumericArray; base: number } {
  const heap = new (view.constructor as new (buffer: ArrayBufferLike) => NumericArray)(view.buffer);
  return { heap, base: view.byteOffset / view.BYTES_PER_ELEMENT };
}

function makeGatherWasm(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    if (!fastSliceable(x)) return original(args);
    const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
    const b = args.backend as unknown as WasmBackendLike;
    const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(x as unknown as tf.Tensor, indices as unknown as tf.Tensor, ax, batchDims);
    const axisDim = x.shape[ax]!;
    const indicesSize = tf.util.sizeFromShape(indices.shape);
    const perBatch = indicesSize / info.batchSize;
    const ids = indices.dtype === 'int32' ? b.typedArrayFromHeap(indices).slice() : Int32Array.from(b.typedArrayFromHeap(indices));
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!(id >= 0 && id <= axisDim - 1)) throw new Error(`GatherV2: the index value ${id} is not in [0, ${axisDim - 1}]`);
    }
    const out = b.makeOutput(info.outputShape, x.dtype);
    // Views after makeOutput (it may grow the heap). Rows move with copyWithin on one view of the whole heap:
    // a subarray per row allocates, and at 6,400 rows of 64 that was most of the gather's time.
    const { heap, base: xBase } = heapView(b.typedArrayFromHeap(x));
    let o = heapView(b.typedArrayFromHeap(out)).base;
    const { batchSize, outerSize, dimSize, sliceSize } = info;
    for (let bi = 0; bi < batchSize; bi++) {
      for (let oi = 0; oi < outerSize; oi++) {
        const base = (bi * outerSize + oi) * dimSize;
        for (let i = 0; i < perBatch; i++) {
          const src = xBase + (base + ids[bi * perBatch + i]!) * sliceSize;
          heap.copyWithin(o, src, src + sliceSize);
          o += sliceSize;
        }
      }
    }
    return out;
  };
}

// ---- wasm: comparisons ----
// The wasm backend's comparison kernels (Equal, Greater, ...) run a generic element loop with index arithmetic
// for every element, broadcast or not: Equal of two [32, 24, 128] tensors took 12 ms, of [32, 24, 128] against
// [32, 1, 128] 26-38 ms, against 0.05 ms for a Multiply of the same size. tfjs takes the gradient of a max over
// time (GlobalMaxPooling1D, the recurrent presets' readout) as dy * cast(equal(x, max)), so that one Equal was
// about 40% of a GRU training step on O*NET task sentences. These compute the same booleans in one strided pass.
/** The comparisons, by kernel name; the index picks the loop in compareRun. */
const COMPARISONS = ['Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual'] as const;
type Comparison = (typeof COMPARISONS)[number];

/**
 * out[o + j] = a[pa + j * sa] OP b[pb + j * sb] for j < n. One loop per comparison: a comparison passed in as a
 * function is not inlined once six kernels share the call site, and that call cost more than the comparison.
 */
function compareRun(op: number, a: ArrayLike<number>, pa: number, sa: number, b: ArrayLike<number>, pb: number, sb: number, out: Uint8Array, o: number, n: number): void {
  const end = o + n;
  switch (op) {
    case 0:
      for (; o < end; o++, pa += sa, pb += sb) out[o] = a[pa] === b[pb] ? 1 : 0;
      break;
    case 1:
      for (; o < end; o++, pa += sa, pb += sb) out[o] = a[pa] !== b[pb] ? 1 : 0;
      break;
    case 2:
      for (; o < end; o++, pa += sa, pb += sb) out[o] = a[pa]! > b[pb]! ? 1 : 0;
      break;
    case 3:
      for (; o < end; o++, pa += sa, pb += sb) out[o] = a[pa]! >= b[pb]! ? 1 : 0;
      break;
    case 4:
      for (; o < end; o++, pa += sa, pb += sb) out[o] = a[pa]! < b[pb]! ? 1 : 0;
      break;
    default:
      for (; o < end; o++, pa += sa, pb += sb) out[o] = a[pa]! <= b[pb]! ? 1 : 0;
  }
}

/**
 * Element strides of `shape` read as the broadcast `out` shape: shapes align on the right, and a dimension of 1
 * (or a missing one) repeats, so its stride is 0.
 */
export function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const strides = new Array<number>(out.length).fill(0);
  let stride = 1;
  for (let i = shape.length - 1, o = out.length - 1; i >= 0; i--, o--) {
    if (shape[i] !== 1) strides[o] = stride;
    stride *= shape[i]!;
  }
  return strides;
}

/** out[o + j] = a[ao + j] OP b[bo + j] for j < n, OP by its index in COMPARISONS (element offsets). */
type ContiguousCompare = (op: number, ao: number, bo: number, o: number, n: number) => void;

/**
 * out = a OP b over the broadcast shape `outShape`, the last dimension in a tight loop and the others counted
 * like an odometer. `contiguous`, where given, runs the rows both operands hold whole (ops.c on wasm).
 */
export function compareBroadcast(
  comparison: Comparison,
  a: ArrayLike<number>,
  aShape: readonly number[],
  b: ArrayLike<number>,
  bShape: readonly number[],
  outShape: readonly number[],
  out: Uint8Array,
  contiguous?: ContiguousCompare,
): void {
  const op = COMPARISONS.indexOf(comparison);
  const rank = outShape.length;
  const size = out.length;
  if (rank === 0 || (a.length === size && b.length === size)) {
    if (contiguous && size > 0) contiguous(op, 0, 0, 0, size);
    else compareRun(op, a, 0, 1, b, 0, 1, out, 0, size);
    return;
  }
  const as = broadcastStrides(aShape, outShape);
  const bs = broadcastStrides(bShape, outShape);
  const inner = outShape[rank - 1]!;
  const index = new Array<number>(rank).fill(0);
  let ao = 0;
  let bo = 0;
  const run = contiguous && as[rank - 1] === 1 && bs[rank - 1] === 1 ? contiguous : null;
  for (let o = 0; o < size; o += inner) {
    if (run) run(op, ao, bo, o, inner);
    else compareRun(op, a, ao, as[rank - 1]!, b, bo, bs[rank - 1]!, out, o, inner);
    // Next row: advance the odometer over the outer dimensions.
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d]! < outShape[d]!) {
        ao += as[d]!;
        bo += bs[d]!;
        break;
      }
      ao -= as[d]! * (outShape[d]! - 1);
      bo -= bs[d]! * (outShape[d]! - 1);
      index[d] = 0;
    }
  }
}

function makeCompareWasm(comparison: Comparison): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const w = backend as unknown as WasmBackendLike;
    const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const out = w.makeOutput(shape, 'bool');
    if (tf.util.sizeFromShape(shape) === 0) return out;
    // Views after makeOutput (it may grow the heap).
    const av = w.typedArrayFromHeap(a);
    const bv = w.typedArrayFromHeap(b);
    const ov = w.typedArrayFromHeap(out) as Uint8Array;
    // Float32 rows in ops.c's SIMD loop (the gradient of a max over time compares [32, 24, 128] states with their
    // maxima: 0.23 ms of a 9.6 ms gru step in the loop above); same IEEE comparisons.
    const ops = a.dtype === 'float32' && b.dtype === 'float32' ? wasmOpsFor(backend) : null;
    const contiguous: ContiguousCompare | undefined = ops
      ? (op, ao, bo, o, n) => ops.compare_f32(op, av.byteOffset + 4 * ao, bv.byteOffset + 4 * bo, ov.byteOffset + o, n)
      : undefined;
    compareBroadcast(comparison, av, a.shape, bv, b.shape, shape, ov, contiguous);
    return out;
  };
}

// ---- wasm: reversing along axes ----
// A bidirectional layer reverses its input sequence along time, and its backward direction's outputs back (and
// the gradient does both again): four Reverse calls per layer and step. The wasm backend's Reverse took about 2 ms
// for [32, 24, 64], 28% of a BiGRU training step on O*NET task sentences. This one copies whole runs: everything
// after the last reversed axis is contiguous in both tensors.
function makeReverseWasm(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (!fastSliceable(x)) return original(args);
    const { dims } = args.attrs as { dims: number | number[] };
    const shape = x.shape;
    const axes = new Set(tf.util.parseAxisParam(dims, shape));
    const b = args.backend as unknown as WasmBackendLike;
    const out = b.makeOutput([...shape], x.dtype);
    const size = tf.util.sizeFromShape(shape);
    if (size === 0) return out;
    // Views after makeOutput (it may grow the heap).
    const { heap, base: xBase } = heapView(b.typedArrayFromHeap(x));
    const oBase = heapView(b.typedArrayFromHeap(out)).base;
    const last = Math.max(-1, ...axes);
    if (last < 0) {
      heap.copyWithin(oBase, xBase, xBase + size);
      return out;
    }
    const run = tf.util.sizeFromShape(shape.slice(last + 1));
    // Walking the output in order, the source moves back along a reversed axis and forward along the others.
    const steps = rowMajorStrides(shape).map((stride, d) => (axes.has(d) ? -stride : stride));
    const index = new Array<number>(last + 1).fill(0);
    // The source of the first run: each reversed axis's coordinate counted from the other end.
    let src = 0;
    for (let d = 0; d <= last; d++) if (steps[d]! < 0) src -= (shape[d]! - 1) * steps[d]!;
    for (let o = 0; o < size; o += run) {
      heap.copyWithin(oBase + o, xBase + src, xBase + src + run);
      for (let d = last; d >= 0; d--) {
        if (++index[d]! < shape[d]!) {
          src += steps[d]!;
          break;
        }
        src -= steps[d]! * (shape[d]! - 1);
        index[d] = 0;
      }
    }
    return out;
  };
}

// ---- wasm: clones share their data ----
// tfjs clones every tensor a taped op saves for its gradient, and the wasm backend's Identity copies the data
// where the cpu backend's shares it (tensor data is never written in place, so sharing is safe). For a fused
// recurrent layer that is its input and output sequences, 3.3 MB per training step at batch 64, 100 steps, 64
// units; sharing also lets the fused kernels' saved state (a handle, rnn-wasm.ts) live exactly as long as its
// last clone.
const sharingIdentity =
  (original: tf.KernelFunc): tf.KernelFunc =>
  (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return original(args);
    (args.backend as unknown as { incRef(dataId: tf.DataId): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };

// ---- wasm: transposes that move nothing ----
// tfjs-backend-wasm's Transpose copies its input when the permutation only reorders axes of size 1 (it calls its
// own Identity, which copies). The gradient of every gather, so of every Embedding, does two such transposes of
// the whole gradient (tfjs's gatherGradConfig): 2 MB per training step at batch 64, 100 steps, 5,000 × 64.
function keepsLayout(shape: readonly number[], perm: readonly number[]): boolean {
  let last = -1;
  for (const axis of perm) {
    if (shape[axis] === 1) continue;
    if (axis < last) return false;
    last = axis;
  }
  return true;
}

function makeTransposeWasm(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const perm = (args.attrs as { perm: number[] }).perm;
    if (x.dtype === 'string' || !keepsLayout(x.shape, perm)) return original(args);
    (args.backend as unknown as { incRef(dataId: tf.DataId): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: perm.map((axis) => x.shape[axis]!), dtype: x.dtype };
  };
}

// ---- wasm: matrix products with a transposed operand ----
// The wasm BatchMatMul runs 5-12x slower when asked to transpose an operand (a generic loop instead
// of XNNPACK), and a matmul's gradient always asks for one: dA = dy·Bᵀ, dB = Aᵀ·dy. Transposing
// the operand explicitly (a cheap copy) and multiplying without transposes gives the same numbers.

/**
 * tfjs's wasm BatchMatMul with a batch of more than one matrix runs a scalar triple loop (slow_batch_matmul) that
 * needs 4 ns a multiply-add on the pooling's products ([32,1,24]·[32,24,128] forward, the outer products
 * [32,24,1]·[32,1,128] and a transposed one backward: 0.55 of a 9.6 ms gru step on the O*NET task sentences), and
 * transposed operands are first copied transposed. ops.c's batch_matmul takes the same sums in the same order four
 * columns at a time and reads a transposed or broadcast operand through its strides. Rank-3 float32 products with
 * more than one matrix go there; the rest to the original (single matrices: XNNPACK), transposed operands copied
 * first as before.
 */
function makeBatchMatMulWasm(original: tf.KernelFunc, transpose: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const attrs = args.attrs as { transposeA: boolean; transposeB: boolean };
    const backend = args.backend as unknown as WasmBackendLike & { disposeData(id: tf.DataId): void };
    const ops = a.shape.length === 3 && b.shape.length === 3 && a.dtype === 'float32' && b.dtype === 'float32' ? wasmOpsFor(backend) : null;
    if (ops) {
      const [batchA, rowsA, colsA] = a.shape as [number, number, number];
      const [batchB, rowsB, colsB] = b.shape as [number, number, number];
      const batch = Math.max(batchA, batchB);
      const [m, k] = attrs.transposeA ? [colsA, rowsA] : [rowsA, colsA];
      const [kB, n] = attrs.transposeB ? [colsB, rowsB] : [rowsB, colsB];
      if (batch > 1 && (batchA === batchB || batchA === 1 || batchB === 1) && k === kB) {
        const out = backend.makeOutput([batch, m, n], 'float32');
        // Views after makeOutput (it may grow the heap).
        const at = (t: tf.TensorInfo): number => backend.typedArrayFromHeap(t).byteOffset;
        const aBatch = batchA === 1 ? 0 : rowsA * colsA;
        const bBatch = batchB === 1 ? 0 : rowsB * colsB;
        const [aRow, aK] = attrs.transposeA ? [1, colsA] : [colsA, 1];
        const [bK, bCol] = attrs.transposeB ? [1, colsB] : [colsB, 1];
        if (batch * m * n > 0) ops.batch_matmul(at(a), at(b), at(out), batch, m, k, n, aBatch, aRow, aK, bBatch, bK, bCol);
        return out;
      }
    }
    if (!attrs.transposeA && !attrs.transposeB) return original(args);
    const swapLast = (t: tf.TensorInfo): tf.TensorInfo => {
      const perm = t.shape.map((_, d) => d);
      const r = perm.length;
      [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
      return transpose({ inputs: { x: t }, backend: args.backend, attrs: { perm } }) as tf.TensorInfo;
    };
    const aT = attrs.transposeA ? swapLast(a) : a;
    const bT = attrs.transposeB ? swapLast(b) : b;
    try {
      return original({ inputs: { a: aT, b: bT }, backend: args.backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    } finally {
      if (aT !== a) backend.disposeData(aT.dataId);
      if (bT !== b) backend.disposeData(bT.dataId);
    }
  };
}

/**
 * Max over axes that are not the last (GlobalMaxPooling1D: [32, 24, 128] over time): tfjs's wasm Max first
 * transposes them to the end (0.2 ms of a 9.6 ms gru step); ops.c's max_middle reads them in place, four
 * features at a time, taking the same value per output (NaN and tie rules included). float32 over one run of
 * adjacent axes before the last; the rest to the original.
 */
function makeMaxWasm(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { reductionIndices, keepDims } = args.attrs as { reductionIndices: number | number[]; keepDims: boolean };
    const backend = args.backend as unknown as WasmBackendLike;
    const rank = x.shape.length;
    const axes = [...new Set(tf.util.parseAxisParam(reductionIndices, x.shape))].sort((p, q) => p - q);
    const first = axes[0];
    const last = axes[axes.length - 1];
    if (x.dtype !== 'float32' || first === undefined || last === undefined || last >= rank - 1 || last - first + 1 !== axes.length) return original(args);
    const r = tf.util.sizeFromShape(x.shape.slice(first, last + 1));
    const ops = r > 0 ? wasmOpsFor(backend) : null;
    if (!ops) return original(args);
    const outer = tf.util.sizeFromShape(x.shape.slice(0, first));
    const inner = tf.util.sizeFromShape(x.shape.slice(last + 1));
    const shape = keepDims ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d)) : x.shape.filter((_, i) => i < first || i > last);
    const out = backend.makeOutput(shape, 'float32');
    // Views after makeOutput (it may grow the heap).
    if (outer * inner > 0) ops.max_middle(backend.typedArrayFromHeap(x).byteOffset, backend.typedArrayFromHeap(out).byteOffset, outer, r, inner);
    return out;
  };
}

/** Which kernels the project put in place for a backend; the doctor and the tests read this. */
export interface KernelPatch {
  kernel: string;
  backend: string;
  action: 'added' | 'replaced';
  /** How it runs, where there is more than one way (the fused recurrent kernels: WebAssembly SIMD or JavaScript). */
  detail?: string;
}

const patched = new Map<string, KernelPatch>();

/** Returns the kernels the project has registered so far (added where missing, replaced where slow). */
export function registeredKernelPatches(): KernelPatch[] {
  return [...patched.values()];
}

/**
 * Puts `make(original)` in place of a kernel. The original's setupFunc is kept, because replacements
 * call the original kernel function, which needs the backend's wasm bindings set up.
 */
function install(
  kernelName: string,
  backendName: string,
  make: (original: tf.KernelFunc | undefined) => tf.KernelFunc,
): void {
  const key = `${kernelName}/${backendName}`;
  if (patched.has(key)) return;
  const existing = tf.getKernel(kernelName, backendName);
  if (existing) tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ kernelName, backendName, kernelFunc: make(existing?.kernelFunc), setupFunc: existing?.setupFunc });
  patched.set(key, { kernel: kernelName, backend: backendName, action: existing ? 'replaced' : 'added' });
}

function required(kernelName: string, backendName: string): tf.KernelFunc {
  const k = tf.getKernel(kernelName, backendName);
  if (!k) throw new Error(`TensorFlow.js has no ${kernelName} kernel for ${backendName}; this version of tfjs is not supported.`);
  return k.kernelFunc;
}

function installSlicing(backendName: 'wasm' | 'cpu'): void {
  const impl = sliceImpl[backendName];
  install('Slice', backendName, (o) => makeSlice(o ?? required('Slice', backendName), impl));
  install('Unpack', backendName, (o) => makeUnpack(o ?? required('Unpack', backendName), impl));
  install('SplitV', backendName, (o) => makeSplitV(o ?? required('SplitV', backendName), impl));
}

/** Switches for the speed-ups, so that tests and benchmarks can compare them with the stock kernels. */
export interface KernelOptions {
  /** Register the faster Slice/Unpack/SplitV (wasm, cpu), GatherV2, BatchMatMul, comparisons and Max (wasm), the fused LSTM/GRU kernels, Adam and the gradient norm; default true. */
  fast?: boolean;
  /**
   * Which fused LSTM/GRU kernels: 'wasm-simd' (the default wherever the module loads) or 'js' (the fallback;
   * tests and benchmarks compare the two).
   */
  rnn?: RnnImplementation;
  /** Threads for the WebAssembly recurrent kernels (default: every core, at most 16; 1 = no helper threads). */
  threads?: number;
  /** The WebAssembly recurrent kernels' build with fused multiply-adds where the engine has them; default true. */
  fma?: boolean;
}

/**
 * Registers the project's kernels for one backend. Idempotent. Call it before the first op runs
 * on that backend (initBackend does). UnsortedSegmentSum is always registered (training embeddings
 * needs it); the speed-ups can be left out with { fast: false } to compare against stock TF.js.
 */
export function registerProjectKernels(backendName: string, options: KernelOptions = {}): KernelPatch[] {
  const fast = options.fast ?? true;
  if (backendName === 'wasm') {
    install('UnsortedSegmentSum', 'wasm', () => unsortedSegmentSumWasm);
    if (fast) {
      installSlicing('wasm');
      install('GatherV2', 'wasm', (o) => makeGatherWasm(o ?? required('GatherV2', 'wasm')));
      install('BatchMatMul', 'wasm', (o) => makeBatchMatMulWasm(o ?? required('BatchMatMul', 'wasm'), required('Transpose', 'wasm')));
      install('Identity', 'wasm', (o) => sharingIdentity(o ?? required('Identity', 'wasm')));
      install('Transpose', 'wasm', (o) => makeTransposeWasm(o ?? required('Transpose', 'wasm')));
      for (const comparison of COMPARISONS) install(comparison, 'wasm', () => makeCompareWasm(comparison));
      install('Reverse', 'wasm', (o) => makeReverseWasm(o ?? required('Reverse', 'wasm')));
      install('Max', 'wasm', (o) => makeMaxWasm(o ?? required('Max', 'wasm')));
      // Say whether ops.c serves them: without it they are still right, only slower.
      const detail = wasmOpsDetail();
      for (const kernel of ['BatchMatMul', 'Max', ...COMPARISONS]) {
        const p = patched.get(`${kernel}/wasm`);
        if (p) p.detail = detail;
      }
    }
  }
  if (backendName === 'cpu') {
    install('UnsortedSegmentSum', 'cpu', () => unsortedSegmentSumCpu);
    if (fast) installSlicing('cpu');
  }
  // The fused LSTM and GRU (FusedLSTM, FusedGRU layers); without them those layers run on ordinary ops.
  if (fast) registerFusedRnnKernels(backendName, options.rnn);
  // One pass per variable for Adam (adam.ts); FusedAdamOptimizer falls back to tfjs's ops without it.
  if (fast && (backendName === 'wasm' || backendName === 'cpu')) {
    install(FUSED_ADAM, backendName, () => fusedAdamKernel(backendName));
    // The loop's global gradient norm in one pass (adam.ts globalNorm); tfjs's ops where it is missing.
    install(GLOBAL_NORM, backendName, () => globalNormKernel(backendName));
  }
  return registeredKernelPatches().filter((p) => p.backend === backendName);
}

export type RnnImplementation = 'wasm-simd' | 'js';

let wasmRnn: WasmRnn | undefined;
let wasmRnnThreads = 0;
let wasmRnnFma = true;
let wasmRnnFailure: string | undefined;

/**
 * Loads the WebAssembly SIMD recurrent kernels with `threads` threads (once; again only when the count changes),
 * so that registerFusedRnnKernels can use them. Never throws: where the module does not load (no SIMD in this
 * engine) the reason is kept and the JavaScript kernels serve instead.
 */
export async function loadWasmRnnKernels(threads: number = defaultThreads(), options: { fma?: boolean } = {}): Promise<WasmRnn | undefined> {
  const wanted = Math.max(1, Math.floor(threads));
  const fma = options.fma !== false;
  if (wasmRnn && wasmRnnThreads === wanted && wasmRnnFma === fma) return wasmRnn;
  const previous = wasmRnn;
  try {
    wasmRnn = await WasmRnn.load(wanted, { fma });
    wasmRnnThreads = wanted;
    wasmRnnFma = fma;
    wasmRnnFailure = undefined;
  } catch (err) {
    wasmRnnFailure = (err as Error).message.split('\n')[0];
    return previous;
  }
  // Entries saved by the old instance stay valid there until their handles go; its helpers can stop now.
  if (previous) void previous.close();
  return wasmRnn;
}

/** The loaded WebAssembly recurrent kernels, if any (tests and the probe read their thread count). */
export function wasmRnnKernelsLoaded(): WasmRnn | undefined {
  return wasmRnn;
}

function rnnDetail(impl: RnnImplementation): string {
  if (impl === 'js') return wasmRnnFailure ? `JavaScript (WebAssembly SIMD did not load: ${wasmRnnFailure})` : 'JavaScript';
  const info = wasmRnn!.info;
  return `WebAssembly SIMD, ${info.threads} thread${info.threads === 1 ? '' : 's'}${info.fma ? ', fused multiply-add' : ''}${info.note ? ` (${info.note})` : ''}`;
}

/**
 * Registers the fused LSTM/GRU kernels (rnn-op.ts) for wasm, cpu or webgpu; false for any other backend. On wasm
 * and cpu the WebAssembly SIMD ones when loadWasmRnnKernels has loaded them and `impl` allows, the JavaScript ones
 * otherwise. Calling it again with another choice replaces the registration.
 */
export function registerFusedRnnKernels(backendName: string, impl: RnnImplementation = 'wasm-simd'): boolean {
  if (backendName === 'webgpu') {
    // The WGSL kernels of compute/webgpu/ (one dispatch per time step, all steps in one compute pass).
    install(FUSED_LSTM_FORWARD, 'webgpu', () => webgpuRnnKernels.lstmForward);
    install(FUSED_LSTM_BACKWARD, 'webgpu', () => webgpuRnnKernels.lstmBackward);
    install(FUSED_GRU_FORWARD, 'webgpu', () => webgpuRnnKernels.gruForward);
    install(FUSED_GRU_BACKWARD, 'webgpu', () => webgpuRnnKernels.gruBackward);
    return true;
  }
  if (backendName !== 'wasm' && backendName !== 'cpu') return false;
  const use: RnnImplementation = impl === 'wasm-simd' && wasmRnn ? 'wasm-simd' : 'js';
  const kernels = use === 'wasm-simd' ? wasmRnnKernels(wasmRnn!, backendName) : jsRnnKernels(backendName);
  const detail = rnnDetail(use);
  // Their saved state is a handle that must live as long as its last clone: clones must share data.
  if (use === 'wasm-simd' && backendName === 'wasm') install('Identity', 'wasm', (o) => sharingIdentity(o ?? required('Identity', 'wasm')));
  const entries: Array<[string, tf.KernelFunc]> = [
    [FUSED_LSTM_FORWARD, kernels.lstmForward],
    [FUSED_LSTM_BACKWARD, kernels.lstmBackward],
    [FUSED_GRU_FORWARD, kernels.gruForward],
    [FUSED_GRU_BACKWARD, kernels.gruBackward],
  ];
  for (const [kernelName, kernelFunc] of entries) {
    if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel({ kernelName, backendName, kernelFunc });
    patched.set(`${kernelName}/${backendName}`, { kernel: kernelName, backend: backendName, action: 'added', detail });
  }
  return true;
}
