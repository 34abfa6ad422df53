// Adam with one fused update per variable instead of tfjs's thirteen element-wise ops (each a new tensor).
//
// Why: an Embedding of 5,000 × 64 has 320,000 weights, and tf.train.adam reads and writes them, their gradient and
// both moments through 13 separate ops every step: about 5 ms of a 57 ms GRU training step (batch 64, 100 steps)
// on wasm, more than the embedding's own forward and backward. One pass does the same arithmetic.
//
// The numbers are tf.train.adam's bit for bit: every intermediate is a float32 operation in tfjs's order (in
// wasm/adam.c, and in the JavaScript fallback through Math.fround after each operation, which is exact float32
// arithmetic: float64 has more than 2·24 + 2 bits of precision, so rounding twice never differs from rounding
// once), so a seeded run gives the same losses with either optimizer (tests/unit/compute-adam.test.ts).
import * as tf from '@tensorflow/tfjs';
import { HeapModule } from './heap-module.ts';

export const FUSED_ADAM = 'TextbenchAdam';

export interface AdamAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
  /** 1 − beta1^t and 1 − beta2^t, as the float32 scalars tfjs computes them. */
  oneMinusAccBeta1: number;
  oneMinusAccBeta2: number;
}

/** One Adam step over plain arrays: the new value, first and second moments into the three outputs. */
export function adamUpdate(
  value: Float32Array,
  gradient: Float32Array,
  m: Float32Array,
  v: Float32Array,
  a: AdamAttrs,
  outValue: Float32Array,
  outM: Float32Array,
  outV: Float32Array,
): void {
  const f = Math.fround;
  // The scalars as tfjs makes them: JavaScript numbers turned into float32 tensors.
  const b1 = f(a.beta1);
  const c1 = f(1 - a.beta1);
  const b2 = f(a.beta2);
  const c2 = f(1 - a.beta2);
  const eps = f(a.epsilon);
  const negLr = f(-a.learningRate);
  const d1 = f(a.oneMinusAccBeta1);
  const d2 = f(a.oneMinusAccBeta2);
  const n = value.length;
  for (let i = 0; i < n; i++) {
    const g = gradient[i]!;
    const m1 = f(f(m[i]! * b1) + f(g * c1));
    const v1 = f(f(v[i]! * b2) + f(f(g * g) * c2));
    const mHat = f(m1 / d1);
    const vHat = f(v1 / d2);
    const step = f(f(mHat / f(f(Math.sqrt(vHat)) + eps)) * negLr);
    outValue[i] = f(step + value[i]!);
    outM[i] = m1;
    outV[i] = v1;
  }
}

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

type AdamExport = (w: number, g: number, m: number, v: number, ow: number, om: number, ov: number, n: number, ...scalars: number[]) => void;
type SumSquaresExport = (g: number, n: number) => number;
interface StepModule {
  adam: AdamExport;
  sum_squares: SumSquaresExport;
}

// On wasm the step runs in wasm/adam.c's SIMD loop, instantiated over the backend's own memory so that it reads and
// writes the tensors where they are: the scalar JavaScript loop below measured 8.8 ms per step for a 550,000-weight
// O*NET embedding (16 ns a weight), more than tfjs's 13 separate ops.
const STEP_MODULE = new HeapModule<StepModule>(new URL('./wasm/adam.wasm', import.meta.url));

interface CpuBackendLike {
  data: { get(dataId: tf.DataId): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

/** The fused update as a kernel for the wasm or cpu backend: inputs {value, gradient, m, v}, outputs [value, m, v]. */
export function fusedAdamKernel(backendName: 'wasm' | 'cpu'): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { value, gradient, m, v } = inputs as Record<'value' | 'gradient' | 'm' | 'v', tf.TensorInfo>;
    const a = attrs as unknown as AdamAttrs;
    if (backendName === 'wasm') {
      const b = backend as unknown as WasmBackendLike;
      // Outputs first: an allocation may grow the heap, which detaches views taken before it.
      const outs = [b.makeOutput(value.shape, 'float32'), b.makeOutput(value.shape, 'float32'), b.makeOutput(value.shape, 'float32')] as const;
      const view = (t: tf.TensorInfo): Float32Array => b.typedArrayFromHeap(t);
      const simd = STEP_MODULE.on(b)?.adam;
      if (simd) {
        const at = (t: tf.TensorInfo): number => view(t).byteOffset;
        const n = tf.util.sizeFromShape(value.shape);
        simd(at(value), at(gradient), at(m), at(v), at(outs[0]), at(outs[1]), at(outs[2]), n, a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, a.oneMinusAccBeta1, a.oneMinusAccBeta2, a.epsilon, -a.learningRate);
      } else {
        adamUpdate(view(value), view(gradient), view(m), view(v), a, view(outs[0]), view(outs[1]), view(outs[2]));
      }
      return [...outs];
    }
    const b = backend as unknown as CpuBackendLike;
    const n = tf.util.sizeFromShape(value.shape);
    const out = [new Float32Array(n), new Float32Array(n), new Float32Array(n)] as const;
    const vals = (t: tf.TensorInfo): Float32Array => b.data.get(t.dataId).values as Float32Array;
    adamUpdate(vals(value), vals(gradient), vals(m), vals(v), a, out[0], out[1], out[2]);
    return out.map((o) => b.makeTensorInfo(value.shape, 'float32', o));
  };
}

interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  accumulatedSecondMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
}

/**
 * tf.train.adam with the fused update where the current backend has it (wasm, cpu), and tfjs's own update
 * elsewhere. Same slots, same serialization, same learning-rate field (read on every step).
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    if (!tf.getKernel(FUSED_ADAM, tf.getBackend())) {
      super.applyGradients(variableGradients);
      return;
    }
    const self = this as unknown as AdamState;
    const names = Array.isArray(variableGradients) ? variableGradients.map((g) => g.name) : Object.keys(variableGradients);
    tf.tidy(() => {
      const oneMinusAccBeta1 = tf.sub(1, self.accBeta1).dataSync()[0]!;
      const oneMinusAccBeta2 = tf.sub(1, self.accBeta2).dataSync()[0]!;
      const attrs: AdamAttrs = { beta1: self.beta1, beta2: self.beta2, epsilon: self.epsilon, learningRate: self.learningRate, oneMinusAccBeta1, oneMinusAccBeta2 };
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name]!;
        const slot = (list: AdamState['accumulatedFirstMoment'], suffix: string): tf.Variable =>
          (list[i] ??= { originalName: `${name}/${suffix}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) }).variable;
        const m = slot(self.accumulatedFirstMoment, 'm');
        const v = slot(self.accumulatedSecondMoment, 'v');
        const gradient = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
        if (gradient == null) return;
        const [newValue, newM, newV] = tf.engine().runKernel(FUSED_ADAM, { value, gradient, m, v }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        m.assign(newM!);
        v.assign(newV!);
        value.assign(newValue!);
      });
      self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
    });
    this.incrementIterations();
  }
}

/** tf.train.adam(learningRate) on the fused update; see FusedAdamOptimizer. */
export function adam(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number): tf.AdamOptimizer {
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}

// The global gradient norm the training loop reads every step (for clipping, the doctor and the epoch's gradient
// statistics), in one kernel instead of tfjs's Square and Sum per variable, an AddN and a Sqrt: on the gru preset
// (O*NET task sentences, batch 32) those were 13 ops and 0.5 ms of a 9.6 ms step, most of it squaring and summing
// the embedding's 450,000 gradients, nine in ten of them zero.

export const GLOBAL_NORM = 'TextbenchGlobalNorm';

/**
 * The sum of squares as tfjs's Sum of a Square gives it on wasm: float32 throughout, one accumulator from first to
 * last. The cpu backend's Sum keeps its accumulator in a JavaScript number (float64) and rounds once at the end:
 * `cpu` does that.
 */
export function sumSquares(x: Float32Array, cpu = false): number {
  const f = Math.fround;
  let s = 0;
  if (cpu) {
    for (let i = 0; i < x.length; i++) s += f(x[i]! * x[i]!);
    return f(s);
  }
  for (let i = 0; i < x.length; i++) s = f(s + f(x[i]! * x[i]!));
  return s;
}

/** tf.sqrt(tf.addN(sums)) in float32: the tensors' sums added in order from 0, then the rounded square root. */
function normOfSums(sums: number[]): number {
  const f = Math.fround;
  let total = 0;
  for (const s of sums) total = f(total + s);
  return f(Math.sqrt(total));
}

/**
 * The kernel: inputs "0", "1", … (float32 tensors), output the float32 scalar
 * sqrt(Σ sum(square(input))), equal bit for bit to tfjs's ops (tests/unit/compute-grad-norm.test.ts).
 */
export function globalNormKernel(backendName: 'wasm' | 'cpu'): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const xs = Object.keys(inputs)
      .sort((a, b) => Number(a) - Number(b))
      .map((k) => inputs[k]!);
    if (backendName === 'wasm') {
      const b = backend as unknown as WasmBackendLike;
      // The output first: an allocation may grow the heap, which detaches views taken before it.
      const out = b.makeOutput([], 'float32');
      const simd = STEP_MODULE.on(b)?.sum_squares;
      const sums = xs.map((x) => {
        const v = b.typedArrayFromHeap(x);
        return simd ? simd(v.byteOffset, v.length) : sumSquares(v);
      });
      b.typedArrayFromHeap(out)[0] = normOfSums(sums);
      return out;
    }
    const b = backend as unknown as CpuBackendLike;
    const sums = xs.map((x) => sumSquares(b.data.get(x.dataId).values as Float32Array, true));
    return b.makeTensorInfo([], 'float32', Float32Array.of(normOfSums(sums)));
  };
}

/**
 * sqrt(Σ‖t‖²) over the tensors, as tf.sqrt(tf.addN(tensors.map((t) => tf.sum(tf.square(t))))) gives it: in one
 * kernel where the backend has it (wasm, cpu), through those ops elsewhere (webgpu, tensorflow). A new scalar.
 */
export function globalNorm(tensors: tf.Tensor[]): tf.Scalar {
  if (tensors.length && tensors.every((t) => t.dtype === 'float32') && tf.getKernel(GLOBAL_NORM, tf.getBackend())) {
    const inputs = Object.fromEntries(tensors.map((t, i) => [String(i), t]));
    return tf.engine().runKernel(GLOBAL_NORM, inputs, {}) as tf.Scalar;
  }
  return tf.tidy(() => tf.sqrt(tf.addN(tensors.map((t) => tf.sum(tf.square(t))))) as tf.Scalar);
}
