// A fused LSTM: the whole sequence in one kernel forward and one kernel backward.
//
// Why: tfjs-layers' LSTM runs ~10 small ops per time step and as many in the gradient, about 14,000
// kernel calls per training step at sequence length 100. On wasm and cpu each call costs tens of
// microseconds of engine bookkeeping, which is more than the arithmetic. Here the input projection
// and the weight gradients are one big matrix product each, every time step is one small matrix
// product (h·U forward, dz·Uᵀ backward) through the backend's own matmul kernel, and the gate
// arithmetic is plain loops over the backend's memory. The numbers are those of tf.layers.lstm
// (same gate order i, f, c, o; same activations; same weight shapes), so its weights can be copied
// into a standard LSTM layer and back.
import * as tf from '@tensorflow/tfjs';

type Initializer = ReturnType<typeof tf.initializers.zeros>;

export const FUSED_LSTM_FORWARD = 'TextbenchFusedLstm';
export const FUSED_LSTM_BACKWARD = 'TextbenchFusedLstmGrad';

export type GateActivation = 'hardSigmoid' | 'sigmoid';

/** Backend memory and matmul, the same for wasm (heap views) and cpu (JS typed arrays). */
interface Mem {
  alloc(shape: number[], values?: Float32Array): tf.TensorInfo;
  /** A view of a float32 tensor's values; valid only until the next alloc or matmul. */
  view(t: tf.TensorInfo): Float32Array;
  matmul(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): tf.TensorInfo;
  free(t: tf.TensorInfo): void;
}

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: Float32Array): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  disposeData(dataId: tf.DataId): boolean;
}
interface CpuBackendLike {
  data: { get(dataId: tf.DataId): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
  disposeData(dataId: tf.DataId): boolean;
}

function memFor(backendName: string, backend: unknown): Mem {
  const matmulKernel = tf.getKernel('BatchMatMul', backendName);
  if (!matmulKernel) throw new Error(`The ${backendName} backend has no BatchMatMul kernel.`);
  const matmul = (a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): tf.TensorInfo =>
    matmulKernel.kernelFunc({ inputs: { a, b }, backend: backend as tf.KernelBackend, attrs: { transposeA, transposeB } }) as tf.TensorInfo;
  if (backendName === 'wasm') {
    const b = backend as WasmBackendLike;
    return {
      alloc: (shape, values) => b.makeOutput(shape, 'float32', undefined, values),
      view: (t) => b.typedArrayFromHeap(t),
      matmul,
      free: (t) => void b.disposeData(t.dataId),
    };
  }
  const b = backend as CpuBackendLike;
  return {
    alloc: (shape, values) => b.makeTensorInfo(shape, 'float32', values ?? new Float32Array(tf.util.sizeFromShape(shape))),
    view: (t) => b.data.get(t.dataId).values as Float32Array,
    matmul,
    free: (t) => void b.disposeData(t.dataId),
  };
}

interface Dims {
  B: number;
  T: number;
  E: number;
  U: number;
}

function dimsOf(x: tf.TensorInfo, recurrentKernel: tf.TensorInfo): Dims {
  const [B, T, E] = x.shape as [number, number, number];
  return { B, T, E, U: recurrentKernel.shape[0]! };
}

// The loops below are written out by hand (no helper calls per element, activations inlined): they
// run B·T·U times per step, and this is where the fused kernels spend their JavaScript time.
// Views are taken again after every alloc/matmul, because those can grow (and so detach) the heap.

/**
 * Forward over the whole sequence. Outputs: h at the last step [B,U], and for the gradient the
 * gate activations [T,B,4U] (i, f, g=tanh(z_c), o), tanh of the cell states [T,B,U], the cell
 * states [T,B,U] and the h states [T,B,U].
 */
function lstmForward(mem: Mem, x: tf.TensorInfo, kernel: tf.TensorInfo, recurrentKernel: tf.TensorInfo, bias: tf.TensorInfo, gate: GateActivation): tf.TensorInfo[] {
  const { B, T, E, U } = dimsOf(x, recurrentKernel);
  const G = 4 * U;
  const hard = gate === 'hardSigmoid';
  // One product for every time step's input projection: rows are b*T + t.
  const xw = mem.matmul({ dataId: x.dataId, shape: [B * T, E], dtype: 'float32' }, kernel, false, false);
  const biasValues = mem.view(bias).slice();
  const gatesOut = mem.alloc([T, B, G]);
  const tanhOut = mem.alloc([T, B, U]);
  const cellsOut = mem.alloc([T, B, U]);
  const hsOut = mem.alloc([T, B, U]);
  const hPrev = mem.alloc([B, U], new Float32Array(B * U));
  try {
    for (let t = 0; t < T; t++) {
      const hu = mem.matmul(hPrev, recurrentKernel, false, false);
      const huv = mem.view(hu);
      const xwv = mem.view(xw);
      const hp = mem.view(hPrev);
      const gates = mem.view(gatesOut);
      const tanhs = mem.view(tanhOut);
      const cells = mem.view(cellsOut);
      const hs = mem.view(hsOut);
      for (let b = 0; b < B; b++) {
        const xRow = (b * T + t) * G;
        const hRow = b * G;
        const gRow = (t * B + b) * G;
        const sRow = (t * B + b) * U;
        const cPrevRow = sRow - B * U;
        for (let j = 0; j < U; j++) {
          const zi = xwv[xRow + j]! + huv[hRow + j]! + biasValues[j]!;
          const zf = xwv[xRow + U + j]! + huv[hRow + U + j]! + biasValues[U + j]!;
          const zg = xwv[xRow + 2 * U + j]! + huv[hRow + 2 * U + j]! + biasValues[2 * U + j]!;
          const zo = xwv[xRow + 3 * U + j]! + huv[hRow + 3 * U + j]! + biasValues[3 * U + j]!;
          let i: number, f: number, o: number;
          if (hard) {
            i = 0.2 * zi + 0.5;
            i = i < 0 ? 0 : i > 1 ? 1 : i;
            f = 0.2 * zf + 0.5;
            f = f < 0 ? 0 : f > 1 ? 1 : f;
            o = 0.2 * zo + 0.5;
            o = o < 0 ? 0 : o > 1 ? 1 : o;
          } else {
            i = 1 / (1 + Math.exp(-zi));
            f = 1 / (1 + Math.exp(-zf));
            o = 1 / (1 + Math.exp(-zo));
          }
          const g = Math.tanh(zg);
          const c = f * (t > 0 ? cells[cPrevRow + j]! : 0) + i * g;
          const tc = Math.tanh(c);
          const h = o * tc;
          gates[gRow + j] = i;
          gates[gRow + U + j] = f;
          gates[gRow + 2 * U + j] = g;
          gates[gRow + 3 * U + j] = o;
          tanhs[sRow + j] = tc;
          cells[sRow + j] = c;
          hs[sRow + j] = h;
          hp[b * U + j] = h;
        }
      }
      mem.free(hu);
    }
  } finally {
    mem.free(xw);
  }
  return [hPrev, gatesOut, tanhOut, cellsOut, hsOut];
}

/** Backpropagation through time. Outputs the gradients for x, kernel, recurrentKernel and bias. */
function lstmBackward(
  mem: Mem,
  dy: tf.TensorInfo,
  x: tf.TensorInfo,
  kernel: tf.TensorInfo,
  recurrentKernel: tf.TensorInfo,
  saved: { gates: tf.TensorInfo; tanhs: tf.TensorInfo; cells: tf.TensorInfo; hs: tf.TensorInfo },
  gate: GateActivation,
): tf.TensorInfo[] {
  const { B, T, E, U } = dimsOf(x, recurrentKernel);
  const G = 4 * U;
  const hard = gate === 'hardSigmoid';
  const dh = mem.view(dy).slice();
  const dcNext = new Float32Array(B * U);
  const dbias = new Float64Array(G);
  // All time steps' gate gradients, rows b*T + t like the input projection, and h_{t-1} alongside.
  const dzAll = mem.alloc([B * T, G]);
  const hPrevInfo = mem.alloc([B * T, U]);
  const dzStep = new Float32Array(B * G);
  try {
    for (let t = T - 1; t >= 0; t--) {
      const gates = mem.view(saved.gates);
      const tanhs = mem.view(saved.tanhs);
      const cells = mem.view(saved.cells);
      const hs = mem.view(saved.hs);
      const dz = mem.view(dzAll);
      const hPrevAll = mem.view(hPrevInfo);
      for (let b = 0; b < B; b++) {
        const gRow = (t * B + b) * G;
        const sRow = (t * B + b) * U;
        const prevRow = sRow - B * U;
        const zRow = (b * T + t) * G;
        const hpRow = (b * T + t) * U;
        const stepRow = b * G;
        for (let j = 0; j < U; j++) {
          const i = gates[gRow + j]!;
          const f = gates[gRow + U + j]!;
          const g = gates[gRow + 2 * U + j]!;
          const o = gates[gRow + 3 * U + j]!;
          const tc = tanhs[sRow + j]!;
          const cPrev = t > 0 ? cells[prevRow + j]! : 0;
          const dhj = dh[b * U + j]!;
          const dc = dcNext[b * U + j]! + dhj * o * (1 - tc * tc);
          // Gate derivative from its output: hardSigmoid 0.2 inside (0,1) and 0 where clipped
          // (exactly on a clip point tfjs passes 0.2; that point has probability zero); sigmoid a(1-a).
          const di = hard ? (i > 0 && i < 1 ? 0.2 : 0) : i * (1 - i);
          const df = hard ? (f > 0 && f < 1 ? 0.2 : 0) : f * (1 - f);
          const dO = hard ? (o > 0 && o < 1 ? 0.2 : 0) : o * (1 - o);
          const dzi = dc * g * di;
          const dzf = dc * cPrev * df;
          const dzg = dc * i * (1 - g * g);
          const dzo = dhj * tc * dO;
          dcNext[b * U + j] = dc * f;
          dz[zRow + j] = dzi;
          dz[zRow + U + j] = dzf;
          dz[zRow + 2 * U + j] = dzg;
          dz[zRow + 3 * U + j] = dzo;
          dzStep[stepRow + j] = dzi;
          dzStep[stepRow + U + j] = dzf;
          dzStep[stepRow + 2 * U + j] = dzg;
          dzStep[stepRow + 3 * U + j] = dzo;
          dbias[j]! += dzi;
          dbias[U + j]! += dzf;
          dbias[2 * U + j]! += dzg;
          dbias[3 * U + j]! += dzo;
          hPrevAll[hpRow + j] = t > 0 ? hs[prevRow + j]! : 0;
        }
      }
      if (t > 0) {
        const dzInfo = mem.alloc([B, G], dzStep);
        const dhInfo = mem.matmul(dzInfo, recurrentKernel, false, true);
        dh.set(mem.view(dhInfo));
        mem.free(dhInfo);
        mem.free(dzInfo);
      }
    }
    const dx = mem.matmul(dzAll, kernel, false, true);
    const dKernel = mem.matmul({ dataId: x.dataId, shape: [B * T, E], dtype: 'float32' }, dzAll, true, false);
    const dRecurrent = mem.matmul(hPrevInfo, dzAll, true, false);
    return [{ dataId: dx.dataId, shape: [B, T, E], dtype: 'float32' }, dKernel, dRecurrent, mem.alloc([G], Float32Array.from(dbias))];
  } finally {
    mem.free(dzAll);
    mem.free(hPrevInfo);
  }
}

const registered = new Set<string>();

/** Registers the fused LSTM kernels for a backend (wasm or cpu). Idempotent. */
export function registerFusedRnnKernels(backendName: string): boolean {
  if (backendName !== 'wasm' && backendName !== 'cpu') return false;
  if (registered.has(backendName)) return true;
  tf.registerKernel({
    kernelName: FUSED_LSTM_FORWARD,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, kernel, recurrentKernel, bias } = inputs as Record<string, tf.TensorInfo>;
      return lstmForward(memFor(backendName, backend), x!, kernel!, recurrentKernel!, bias!, (attrs as { gate: GateActivation }).gate);
    },
  });
  tf.registerKernel({
    kernelName: FUSED_LSTM_BACKWARD,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const i = inputs as Record<string, tf.TensorInfo>;
      const saved = { gates: i.gates!, tanhs: i.tanhs!, cells: i.cells!, hs: i.hs! };
      return lstmBackward(memFor(backendName, backend), i.dy!, i.x!, i.kernel!, i.recurrentKernel!, saved, (attrs as { gate: GateActivation }).gate);
    },
  });
  registered.add(backendName);
  return true;
}

/** True when the current backend can run fusedLstm (the kernels are registered for it). */
export function hasFusedLstm(backendName: string = tf.getBackend()): boolean {
  return tf.getKernel(FUSED_LSTM_FORWARD, backendName) !== undefined;
}

/**
 * The last hidden state of an LSTM over x [batch, time, features], with zero initial state:
 * what tf.layers.lstm({units}) returns, with a gradient for every input.
 */
export function fusedLstm(x: tf.Tensor3D, kernel: tf.Tensor2D, recurrentKernel: tf.Tensor2D, bias: tf.Tensor1D, gate: GateActivation = 'hardSigmoid'): tf.Tensor2D {
  const attrs = { gate } as unknown as tf.NamedAttrMap;
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xi, k, rk, b, save] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const [h, gates, tanhs, cells, hs] = tf.engine().runKernel(FUSED_LSTM_FORWARD, { x: xi, kernel: k, recurrentKernel: rk, bias: b }, attrs) as tf.Tensor[];
    save([xi, k, rk, gates!, tanhs!, cells!, hs!]);
    return {
      value: h as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sk, srk, sg, st, sc, sh] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        return tf.engine().runKernel(FUSED_LSTM_BACKWARD, { dy, x: sx, kernel: sk, recurrentKernel: srk, gates: sg, tanhs: st, cells: sc, hs: sh }, attrs) as tf.Tensor[];
      },
    };
  });
  return f(x, kernel, recurrentKernel, bias) as tf.Tensor2D;
}

/** The same LSTM with ordinary tf ops, one step at a time: for backends without the fused kernels. */
export function lstmWithOps(x: tf.Tensor3D, kernel: tf.Tensor2D, recurrentKernel: tf.Tensor2D, bias: tf.Tensor1D, gate: GateActivation = 'hardSigmoid'): tf.Tensor2D {
  return tf.tidy(() => {
    const [B, T] = x.shape;
    const U = recurrentKernel.shape[0];
    const ra = (z: tf.Tensor): tf.Tensor => (gate === 'sigmoid' ? tf.sigmoid(z) : tf.clipByValue(tf.add(tf.mul(z, 0.2), 0.5), 0, 1));
    let h: tf.Tensor = tf.zeros([B, U]);
    let c: tf.Tensor = tf.zeros([B, U]);
    const steps = tf.unstack(x, 1);
    for (let t = 0; t < T; t++) {
      const z = tf.add(tf.add(tf.matMul(steps[t]!, kernel), tf.matMul(h, recurrentKernel)), bias);
      const [zi, zf, zc, zo] = tf.split(z, 4, 1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      c = tf.add(tf.mul(ra(zf), c), tf.mul(ra(zi), tf.tanh(zc)));
      h = tf.mul(ra(zo), tf.tanh(c));
    }
    return h as tf.Tensor2D;
  });
}

export interface FusedLstmArgs {
  units: number;
  /** Gate activation; tf.layers.lstm's default is hardSigmoid. */
  recurrentActivation?: GateActivation;
  kernelInitializer?: Initializer;
  recurrentInitializer?: Initializer;
  biasInitializer?: Initializer;
  name?: string;
  inputShape?: number[];
}

/**
 * A drop-in for tf.layers.lstm({units}) (returnSequences false, no dropout, no masking) that runs
 * the fused kernels where the backend has them (wasm, cpu) and ordinary ops elsewhere. Its weights
 * are [kernel [E,4U], recurrent_kernel [U,4U], bias [4U]], in the same order and layout as
 * tf.layers.lstm's, so `standardLstm.setWeights(fused.getWeights())` gives the same model.
 */
export class FusedLSTM extends tf.layers.Layer {
  static readonly className = 'TextbenchFusedLSTM';
  readonly units: number;
  readonly recurrentActivation: GateActivation;
  private readonly inits: { kernel: Initializer; recurrent: Initializer; bias: Initializer };
  private kernel?: tf.LayerVariable;
  private recurrentKernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;

  constructor(args: FusedLstmArgs) {
    super({ name: args.name, inputShape: args.inputShape });
    this.units = args.units;
    this.recurrentActivation = args.recurrentActivation ?? 'hardSigmoid';
    this.inits = {
      kernel: args.kernelInitializer ?? tf.initializers.glorotNormal({}),
      recurrent: args.recurrentInitializer ?? tf.initializers.orthogonal({}),
      bias: args.biasInitializer ?? tf.initializers.zeros(),
    };
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const features = shape[shape.length - 1]!;
    this.kernel = this.addWeight('kernel', [features, 4 * this.units], 'float32', this.inits.kernel);
    this.recurrentKernel = this.addWeight('recurrent_kernel', [this.units, 4 * this.units], 'float32', this.inits.recurrent);
    this.bias = this.addWeight('bias', [4 * this.units], 'float32', this.inits.bias);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [shape[0]!, this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
    const k = this.kernel!.read() as tf.Tensor2D;
    const rk = this.recurrentKernel!.read() as tf.Tensor2D;
    const b = this.bias!.read() as tf.Tensor1D;
    return hasFusedLstm() ? fusedLstm(x, k, rk, b, this.recurrentActivation) : lstmWithOps(x, k, rk, b, this.recurrentActivation);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, recurrentActivation: this.recurrentActivation };
  }
}
tf.serialization.registerClass(FusedLSTM);
