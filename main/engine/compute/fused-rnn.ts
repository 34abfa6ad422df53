// Fused LSTM and GRU: the whole sequence in one kernel forward and one kernel backward.
//
// Why: tfjs-layers' LSTM runs ~10 small ops per time step and as many in the gradient, about 14,000
// kernel calls per training step at sequence length 100. On wasm and cpu each call costs tens of
// microseconds of engine bookkeeping, which is more than the arithmetic. Here the input projection
// and the weight gradients are one big matrix product each, every time step is one small matrix
// product (h·U forward, dz·Uᵀ backward) through the backend's own matmul kernel, and the gate
// arithmetic is plain loops over the backend's memory. The numbers are those of tf.layers.lstm/gru
// (same gate order: i, f, c, o and z, r, h; same activations; same weight shapes), so weights can
// be copied into a standard layer and back.
import * as tf from '@tensorflow/tfjs';

type Initializer = ReturnType<typeof tf.initializers.zeros>;

export const FUSED_LSTM_FORWARD = 'TextbenchFusedLstm';
export const FUSED_LSTM_BACKWARD = 'TextbenchFusedLstmGrad';
export const FUSED_GRU_FORWARD = 'TextbenchFusedGru';
export const FUSED_GRU_BACKWARD = 'TextbenchFusedGruGrad';

export type GateActivation = 'hardSigmoid' | 'sigmoid';

/** Backend memory and matmul, the same for wasm (heap views) and cpu (JS typed arrays). */
interface Mem {
  alloc(shape: number[], values?: Float32Array): tf.TensorInfo;
  /** A view of a float32 tensor's values; valid only until the next alloc or matmul. */
  view(t: tf.TensorInfo): Float32Array;
  matmul(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): tf.TensorInfo;
  /** A new [n, m] tensor holding the transpose of a 2-D [m, n] one. */
  transpose(t: tf.TensorInfo): tf.TensorInfo;
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
  const transposeKernel = tf.getKernel('Transpose', backendName);
  if (!transposeKernel) throw new Error(`The ${backendName} backend has no Transpose kernel.`);
  const matmul = (a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): tf.TensorInfo =>
    matmulKernel.kernelFunc({ inputs: { a, b }, backend: backend as tf.KernelBackend, attrs: { transposeA, transposeB } }) as tf.TensorInfo;
  const transpose = (x: tf.TensorInfo): tf.TensorInfo =>
    transposeKernel.kernelFunc({ inputs: { x }, backend: backend as tf.KernelBackend, attrs: { perm: [1, 0] } }) as tf.TensorInfo;
  if (backendName === 'wasm') {
    const b = backend as WasmBackendLike;
    return {
      alloc: (shape, values) => b.makeOutput(shape, 'float32', undefined, values),
      view: (t) => b.typedArrayFromHeap(t),
      matmul,
      transpose,
      free: (t) => void b.disposeData(t.dataId),
    };
  }
  const b = backend as CpuBackendLike;
  return {
    alloc: (shape, values) => b.makeTensorInfo(shape, 'float32', values ?? new Float32Array(tf.util.sizeFromShape(shape))),
    view: (t) => b.data.get(t.dataId).values as Float32Array,
    matmul,
    transpose,
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
  // Uᵀ once: the same right-hand operand at every step lets the matmul reuse its packed weights.
  const recurrentT = mem.transpose(recurrentKernel);
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
        const dhInfo = mem.matmul(dzInfo, recurrentT, false, false);
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
    mem.free(recurrentT);
  }
}

/** Copies columns [from, from+n) of a row-major [rows, cols] tensor into a new [rows, n] tensor. */
function columns(mem: Mem, m: tf.TensorInfo, from: number, n: number): tf.TensorInfo {
  const [rows, cols] = m.shape as [number, number];
  const out = mem.alloc([rows, n]);
  const src = mem.view(m);
  const dst = mem.view(out);
  for (let r = 0; r < rows; r++) dst.set(src.subarray(r * cols + from, r * cols + from + n), r * n);
  return out;
}

function transposeFree(mem: Mem, t: tf.TensorInfo): tf.TensorInfo {
  const out = mem.transpose(t);
  mem.free(t);
  return out;
}

/**
 * GRU forward (tf.layers.gru: gates z, r, candidate h~ with the reset applied before the recurrent
 * product; bias on the input projection). Outputs: h at the last step [B,U], the gate values
 * [T,B,3U] (z, r, h~) and the h states [T,B,U].
 */
function gruForward(mem: Mem, x: tf.TensorInfo, kernel: tf.TensorInfo, recurrentKernel: tf.TensorInfo, bias: tf.TensorInfo, gate: GateActivation): tf.TensorInfo[] {
  const { B, T, E, U } = dimsOf(x, recurrentKernel);
  const G = 3 * U;
  const hard = gate === 'hardSigmoid';
  const xw = mem.matmul({ dataId: x.dataId, shape: [B * T, E], dtype: 'float32' }, kernel, false, false);
  const biasValues = mem.view(bias).slice();
  const rkZR = columns(mem, recurrentKernel, 0, 2 * U);
  const rkH = columns(mem, recurrentKernel, 2 * U, U);
  const gatesOut = mem.alloc([T, B, G]);
  const hsOut = mem.alloc([T, B, U]);
  const hPrev = mem.alloc([B, U], new Float32Array(B * U));
  const rh = mem.alloc([B, U]);
  try {
    for (let t = 0; t < T; t++) {
      const inner = mem.matmul(hPrev, rkZR, false, false);
      {
        const iv = mem.view(inner);
        const xwv = mem.view(xw);
        const hp = mem.view(hPrev);
        const rhv = mem.view(rh);
        const gates = mem.view(gatesOut);
        for (let b = 0; b < B; b++) {
          const xRow = (b * T + t) * G;
          const gRow = (t * B + b) * G;
          for (let j = 0; j < U; j++) {
            const az = xwv[xRow + j]! + biasValues[j]! + iv[b * 2 * U + j]!;
            const ar = xwv[xRow + U + j]! + biasValues[U + j]! + iv[b * 2 * U + U + j]!;
            let z: number, r: number;
            if (hard) {
              z = 0.2 * az + 0.5;
              z = z < 0 ? 0 : z > 1 ? 1 : z;
              r = 0.2 * ar + 0.5;
              r = r < 0 ? 0 : r > 1 ? 1 : r;
            } else {
              z = 1 / (1 + Math.exp(-az));
              r = 1 / (1 + Math.exp(-ar));
            }
            gates[gRow + j] = z;
            gates[gRow + U + j] = r;
            rhv[b * U + j] = r * hp[b * U + j]!;
          }
        }
      }
      mem.free(inner);
      const recH = mem.matmul(rh, rkH, false, false);
      const rv = mem.view(recH);
      const xwv = mem.view(xw);
      const hp = mem.view(hPrev);
      const gates = mem.view(gatesOut);
      const hs = mem.view(hsOut);
      for (let b = 0; b < B; b++) {
        const xRow = (b * T + t) * G;
        const gRow = (t * B + b) * G;
        const sRow = (t * B + b) * U;
        for (let j = 0; j < U; j++) {
          const hh = Math.tanh(xwv[xRow + 2 * U + j]! + biasValues[2 * U + j]! + rv[b * U + j]!);
          const z = gates[gRow + j]!;
          const h = z * hp[b * U + j]! + (1 - z) * hh;
          gates[gRow + 2 * U + j] = hh;
          hs[sRow + j] = h;
          hp[b * U + j] = h;
        }
      }
      mem.free(recH);
    }
  } finally {
    mem.free(xw);
    mem.free(rkZR);
    mem.free(rkH);
    mem.free(rh);
  }
  return [hPrev, gatesOut, hsOut];
}

function gruBackward(
  mem: Mem,
  dy: tf.TensorInfo,
  x: tf.TensorInfo,
  kernel: tf.TensorInfo,
  recurrentKernel: tf.TensorInfo,
  saved: { gates: tf.TensorInfo; hs: tf.TensorInfo },
  gate: GateActivation,
): tf.TensorInfo[] {
  const { B, T, E, U } = dimsOf(x, recurrentKernel);
  const G = 3 * U;
  const hard = gate === 'hardSigmoid';
  const dh = mem.view(dy).slice();
  const dbias = new Float64Array(G);
  // Transposed once, so that every step's matmul reuses the same packed right-hand operand.
  const rkZRt = transposeFree(mem, columns(mem, recurrentKernel, 0, 2 * U));
  const rkHt = transposeFree(mem, columns(mem, recurrentKernel, 2 * U, U));
  // Rows b*T + t: input-side gate gradients [dz, dr, dh~], and the recurrent products' inputs.
  const dzAll = mem.alloc([B * T, G]);
  const dzZR = mem.alloc([B * T, 2 * U]);
  const dzH = mem.alloc([B * T, U]);
  const hPrevAll = mem.alloc([B * T, U]);
  const rhAll = mem.alloc([B * T, U]);
  const stepH = new Float32Array(B * U);
  const stepZR = new Float32Array(B * 2 * U);
  const hPrevStep = new Float32Array(B * U);
  try {
    for (let t = T - 1; t >= 0; t--) {
      {
        const gates = mem.view(saved.gates);
        const hs = mem.view(saved.hs);
        for (let b = 0; b < B; b++) {
          const gRow = (t * B + b) * G;
          const prevRow = ((t - 1) * B + b) * U;
          for (let j = 0; j < U; j++) {
            const hp = t > 0 ? hs[prevRow + j]! : 0;
            hPrevStep[b * U + j] = hp;
            const z = gates[gRow + j]!;
            const hh = gates[gRow + 2 * U + j]!;
            stepH[b * U + j] = dh[b * U + j]! * (1 - z) * (1 - hh * hh);
          }
        }
      }
      // d(r·h_{t-1}) = dh~ · RK_hᵀ
      const dzhInfo = mem.alloc([B, U], stepH);
      const drhInfo = mem.matmul(dzhInfo, rkHt, false, false);
      mem.free(dzhInfo);
      {
        const drh = mem.view(drhInfo);
        const gates = mem.view(saved.gates);
        const dz = mem.view(dzAll);
        const dzr = mem.view(dzZR);
        const dzh = mem.view(dzH);
        const hpa = mem.view(hPrevAll);
        const rha = mem.view(rhAll);
        for (let b = 0; b < B; b++) {
          const gRow = (t * B + b) * G;
          const row = b * T + t;
          for (let j = 0; j < U; j++) {
            const z = gates[gRow + j]!;
            const r = gates[gRow + U + j]!;
            const hh = gates[gRow + 2 * U + j]!;
            const hp = hPrevStep[b * U + j]!;
            const dhj = dh[b * U + j]!;
            const dZ = dhj * (hp - hh) * (hard ? (z > 0 && z < 1 ? 0.2 : 0) : z * (1 - z));
            const dR = drh[b * U + j]! * hp * (hard ? (r > 0 && r < 1 ? 0.2 : 0) : r * (1 - r));
            const dH = stepH[b * U + j]!;
            dz[row * G + j] = dZ;
            dz[row * G + U + j] = dR;
            dz[row * G + 2 * U + j] = dH;
            dzr[row * 2 * U + j] = dZ;
            dzr[row * 2 * U + U + j] = dR;
            dzh[row * U + j] = dH;
            stepZR[b * 2 * U + j] = dZ;
            stepZR[b * 2 * U + U + j] = dR;
            dbias[j]! += dZ;
            dbias[U + j]! += dR;
            dbias[2 * U + j]! += dH;
            hpa[row * U + j] = hp;
            rha[row * U + j] = r * hp;
            // The parts of dh_{t-1} that need no matmul: through z·h_{t-1} and through r·h_{t-1}.
            dh[b * U + j] = dhj * z + drh[b * U + j]! * r;
          }
        }
      }
      mem.free(drhInfo);
      if (t > 0) {
        const zrInfo = mem.alloc([B, 2 * U], stepZR);
        const back = mem.matmul(zrInfo, rkZRt, false, false);
        const bv = mem.view(back);
        for (let k = 0; k < B * U; k++) dh[k]! += bv[k]!;
        mem.free(back);
        mem.free(zrInfo);
      }
    }
    const dx = mem.matmul(dzAll, kernel, false, true);
    const dKernel = mem.matmul({ dataId: x.dataId, shape: [B * T, E], dtype: 'float32' }, dzAll, true, false);
    const dZR = mem.matmul(hPrevAll, dzZR, true, false);
    const dH = mem.matmul(rhAll, dzH, true, false);
    // dRecurrent = [dZR | dH] along columns.
    const dRecurrent = mem.alloc([U, G]);
    const out = mem.view(dRecurrent);
    const a = mem.view(dZR);
    const h = mem.view(dH);
    for (let r = 0; r < U; r++) {
      out.set(a.subarray(r * 2 * U, (r + 1) * 2 * U), r * G);
      out.set(h.subarray(r * U, (r + 1) * U), r * G + 2 * U);
    }
    mem.free(dZR);
    mem.free(dH);
    return [{ dataId: dx.dataId, shape: [B, T, E], dtype: 'float32' }, dKernel, dRecurrent, mem.alloc([G], Float32Array.from(dbias))];
  } finally {
    for (const t of [rkZRt, rkHt, dzAll, dzZR, dzH, hPrevAll, rhAll]) mem.free(t);
  }
}

const registered = new Set<string>();

/** Registers the fused LSTM and GRU kernels for a backend (wasm or cpu). Idempotent. */
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
  tf.registerKernel({
    kernelName: FUSED_GRU_FORWARD,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, kernel, recurrentKernel, bias } = inputs as Record<string, tf.TensorInfo>;
      return gruForward(memFor(backendName, backend), x!, kernel!, recurrentKernel!, bias!, (attrs as { gate: GateActivation }).gate);
    },
  });
  tf.registerKernel({
    kernelName: FUSED_GRU_BACKWARD,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const i = inputs as Record<string, tf.TensorInfo>;
      return gruBackward(memFor(backendName, backend), i.dy!, i.x!, i.kernel!, i.recurrentKernel!, { gates: i.gates!, hs: i.hs! }, (attrs as { gate: GateActivation }).gate);
    },
  });
  registered.add(backendName);
  return true;
}

/** True when the current backend can run fusedGru. */
export function hasFusedGru(backendName: string = tf.getBackend()): boolean {
  return tf.getKernel(FUSED_GRU_FORWARD, backendName) !== undefined;
}

/** The last hidden state of tf.layers.gru({units}) over x [batch, time, features], zero initial state. */
export function fusedGru(x: tf.Tensor3D, kernel: tf.Tensor2D, recurrentKernel: tf.Tensor2D, bias: tf.Tensor1D, gate: GateActivation = 'hardSigmoid'): tf.Tensor2D {
  const attrs = { gate } as unknown as tf.NamedAttrMap;
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xi, k, rk, b, save] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const [h, gates, hs] = tf.engine().runKernel(FUSED_GRU_FORWARD, { x: xi, kernel: k, recurrentKernel: rk, bias: b }, attrs) as tf.Tensor[];
    save([xi, k, rk, gates!, hs!]);
    return {
      value: h as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sk, srk, sg, sh] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        return tf.engine().runKernel(FUSED_GRU_BACKWARD, { dy, x: sx, kernel: sk, recurrentKernel: srk, gates: sg, hs: sh }, attrs) as tf.Tensor[];
      },
    };
  });
  return f(x, kernel, recurrentKernel, bias) as tf.Tensor2D;
}

/** The same GRU with ordinary tf ops, one step at a time: for backends without the fused kernels. */
export function gruWithOps(x: tf.Tensor3D, kernel: tf.Tensor2D, recurrentKernel: tf.Tensor2D, bias: tf.Tensor1D, gate: GateActivation = 'hardSigmoid'): tf.Tensor2D {
  return tf.tidy(() => {
    const [B, T] = x.shape;
    const U = recurrentKernel.shape[0];
    const ra = (z: tf.Tensor): tf.Tensor => (gate === 'sigmoid' ? tf.sigmoid(z) : tf.clipByValue(tf.add(tf.mul(z, 0.2), 0.5), 0, 1));
    const rkZR = tf.slice(recurrentKernel, [0, 0], [U, 2 * U]);
    const rkH = tf.slice(recurrentKernel, [0, 2 * U], [U, U]);
    let h: tf.Tensor = tf.zeros([B, U]);
    const steps = tf.unstack(x, 1);
    for (let t = 0; t < T; t++) {
      const [xz, xr, xh] = tf.split(tf.add(tf.matMul(steps[t]!, kernel), bias), 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const [iz, ir] = tf.split(tf.matMul(h, rkZR), 2, 1) as [tf.Tensor, tf.Tensor];
      const z = ra(tf.add(xz, iz));
      const r = ra(tf.add(xr, ir));
      const hh = tf.tanh(tf.add(xh, tf.matMul(tf.mul(r, h), rkH)));
      h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh));
    }
    return h as tf.Tensor2D;
  });
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

export interface FusedRnnArgs {
  units: number;
  /**
   * Input dropout rate, as tf.layers.lstm/gru apply it: one mask per example over the input
   * features, the same at every time step (tfjs uses its first mask for all gates), during training.
   */
  dropout?: number;
  /** Gate activation; tf.layers.lstm/gru default to hardSigmoid. */
  recurrentActivation?: GateActivation;
  kernelInitializer?: Initializer;
  recurrentInitializer?: Initializer;
  biasInitializer?: Initializer;
  name?: string;
  inputShape?: number[];
}

type RnnFn = (x: tf.Tensor3D, kernel: tf.Tensor2D, recurrentKernel: tf.Tensor2D, bias: tf.Tensor1D, gate: GateActivation) => tf.Tensor2D;

/**
 * Shared by FusedLSTM and FusedGRU: drop-ins for tf.layers.lstm/gru({units}) (returnSequences false,
 * no dropout, no masking) that run the fused kernels where the backend has them (wasm, cpu) and
 * ordinary ops elsewhere. Weights are [kernel [E,kU], recurrent_kernel [U,kU], bias [kU]] in the
 * order and layout of the standard layers, so `standard.setWeights(fused.getWeights())` gives the
 * same model (which is how to export one for plain TensorFlow.js).
 */
abstract class FusedRecurrent extends tf.layers.Layer {
  readonly units: number;
  readonly recurrentActivation: GateActivation;
  readonly dropout: number;
  protected abstract readonly gateCount: number;
  protected abstract readonly fused: RnnFn;
  protected abstract readonly withOps: RnnFn;
  protected abstract hasFused(): boolean;
  private readonly inits: { kernel: Initializer; recurrent: Initializer; bias: Initializer };
  private kernel?: tf.LayerVariable;
  private recurrentKernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;

  constructor(args: FusedRnnArgs) {
    // The whole args: when tfjs deserializes a saved model it passes trainable, dtype, batchInputShape…
    super(args as ConstructorParameters<typeof tf.layers.Layer>[0]);
    this.units = args.units;
    this.recurrentActivation = args.recurrentActivation ?? 'hardSigmoid';
    this.dropout = Math.min(1, Math.max(0, args.dropout ?? 0));
    this.inits = {
      kernel: args.kernelInitializer ?? tf.initializers.glorotNormal({}),
      recurrent: args.recurrentInitializer ?? tf.initializers.orthogonal({}),
      bias: args.biasInitializer ?? tf.initializers.zeros(),
    };
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const features = shape[shape.length - 1]!;
    const k = this.gateCount * this.units;
    this.kernel = this.addWeight('kernel', [features, k], 'float32', this.inits.kernel);
    this.recurrentKernel = this.addWeight('recurrent_kernel', [this.units, k], 'float32', this.inits.recurrent);
    this.bias = this.addWeight('bias', [k], 'float32', this.inits.bias);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [shape[0]!, this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown> = {}): tf.Tensor {
    return tf.tidy(() => {
      let x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      if (kwargs.training === true && this.dropout > 0 && this.dropout < 1) {
        const [batch, , features] = x.shape;
        x = tf.mul(x, tf.dropout(tf.ones([batch, 1, features]), this.dropout)) as tf.Tensor3D;
      }
      const k = this.kernel!.read() as tf.Tensor2D;
      const rk = this.recurrentKernel!.read() as tf.Tensor2D;
      const b = this.bias!.read() as tf.Tensor1D;
      return (this.hasFused() ? this.fused : this.withOps)(x, k, rk, b, this.recurrentActivation);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, recurrentActivation: this.recurrentActivation, dropout: this.dropout };
  }
}

/** A drop-in for tf.layers.lstm({units}) running the fused LSTM kernels; see FusedRecurrent. */
export class FusedLSTM extends FusedRecurrent {
  static readonly className = 'TextbenchFusedLSTM';
  protected readonly gateCount = 4;
  protected readonly fused = fusedLstm;
  protected readonly withOps = lstmWithOps;
  protected hasFused(): boolean {
    return hasFusedLstm();
  }
}
tf.serialization.registerClass(FusedLSTM);

/** A drop-in for tf.layers.gru({units}) running the fused GRU kernels; see FusedRecurrent. */
export class FusedGRU extends FusedRecurrent {
  static readonly className = 'TextbenchFusedGRU';
  protected readonly gateCount = 3;
  protected readonly fused = fusedGru;
  protected readonly withOps = gruWithOps;
  protected hasFused(): boolean {
    return hasFusedGru();
  }
}
tf.serialization.registerClass(FusedGRU);

/** What tf.layers.lstm/gru take, as far as recurrentLayer() needs to know. */
export interface RecurrentLayerArgs extends FusedRnnArgs {
  returnSequences?: boolean;
  recurrentDropout?: number;
}

/**
 * tf.layers.lstm/gru(args), or the fused equivalent when the arguments allow it (a single output
 * at the end of the sequence, no recurrent dropout) and the current backend has the fused
 * kernels. Same weights either way; see FusedRecurrent for exporting a fused model.
 */
export function recurrentLayer(kind: 'lstm' | 'gru', args: RecurrentLayerArgs): tf.layers.Layer {
  const { returnSequences, recurrentDropout, ...rest } = args;
  const fusable = !returnSequences && !recurrentDropout && (kind === 'lstm' ? hasFusedLstm() : hasFusedGru());
  if (fusable) return kind === 'lstm' ? new FusedLSTM(rest) : new FusedGRU(rest);
  return tf.layers[kind]({ ...rest, returnSequences, recurrentDropout });
}

interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * The same model with every FusedLSTM/FusedGRU replaced by tf.layers.lstm/gru and the same weights,
 * so that a saved model.json loads in plain TensorFlow.js (which does not know the fused classes).
 * Call it before exporting a model that was trained with fused layers.
 */
export async function withStandardRecurrentLayers(model: tf.LayersModel): Promise<tf.LayersModel> {
  const json = model.toJSON(null, false) as unknown as { config: { layers: LayerJson[] } };
  let replaced = 0;
  for (const layer of json.config.layers) {
    const kind = layer.class_name === FusedLSTM.className ? 'LSTM' : layer.class_name === FusedGRU.className ? 'GRU' : null;
    if (!kind) continue;
    const c = layer.config;
    const gate = c.recurrent_activation === 'sigmoid' ? 'sigmoid' : 'hard_sigmoid';
    layer.class_name = kind;
    layer.config = {
      name: c.name,
      trainable: c.trainable,
      ...(c.batch_input_shape ? { batch_input_shape: c.batch_input_shape } : {}),
      units: c.units,
      activation: 'tanh',
      recurrent_activation: gate,
      use_bias: true,
      dropout: c.dropout ?? 0,
      recurrent_dropout: 0,
      return_sequences: false,
    };
    replaced++;
  }
  if (!replaced) return model;
  const standard = await tf.models.modelFromJSON({ modelTopology: json as unknown as tf.io.ModelJSON['modelTopology'] });
  standard.setWeights(model.getWeights());
  return standard;
}
