// The fused LSTM/GRU kernels in JavaScript, for the wasm and cpu backends: the fallback where the WebAssembly
// SIMD kernels (rnn-wasm.ts) do not load, and the second implementation the tests hold those against.
//
// Why a fused kernel at all: tfjs-layers' LSTM runs ~10 small ops per time step and as many in the gradient,
// about 14,000 kernel calls per training step at sequence length 100, and on wasm and cpu each call costs tens
// of microseconds of engine bookkeeping, more than the arithmetic. Here the input projection and the weight
// gradients are one big matrix product each, every time step is one small matrix product (h·U forward, dz·Uᵀ
// backward) through the backend's own matmul kernel, and the gate arithmetic is plain loops over the backend's
// memory. Contract and semantics: rnn-op.ts.
import * as tf from '@tensorflow/tfjs';
import { rnnDims, type RnnAttrs, type RnnBackwardInputs, type RnnForwardInputs } from './rnn-op.ts';

/** Backend memory and matmul, the same for wasm (heap views) and cpu (JS typed arrays). */
interface Mem {
  alloc(shape: number[], values?: Float32Array): tf.TensorInfo;
  /** A new tensor of zeros (wasm's malloc does not clear memory). */
  zeros(shape: number[]): tf.TensorInfo;
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
    const alloc = (shape: number[], values?: Float32Array): tf.TensorInfo => b.makeOutput(shape, 'float32', undefined, values);
    return {
      alloc,
      zeros: (shape) => {
        const t = alloc(shape);
        b.typedArrayFromHeap(t).fill(0);
        return t;
      },
      view: (t) => b.typedArrayFromHeap(t),
      matmul,
      transpose,
      free: (t) => void b.disposeData(t.dataId),
    };
  }
  const b = backend as CpuBackendLike;
  const alloc = (shape: number[], values?: Float32Array): tf.TensorInfo =>
    b.makeTensorInfo(shape, 'float32', values ?? new Float32Array(tf.util.sizeFromShape(shape)));
  return {
    alloc,
    zeros: (shape) => alloc(shape),
    view: (t) => b.data.get(t.dataId).values as Float32Array,
    matmul,
    transpose,
    free: (t) => void b.disposeData(t.dataId),
  };
}

/** Time step at processing step s. */
function timeAt(s: number, T: number, back: boolean): number {
  return back ? T - 1 - s : s;
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

function as2d(x: tf.TensorInfo, rows: number, cols: number): tf.TensorInfo {
  return { dataId: x.dataId, shape: [rows, cols], dtype: 'float32' };
}

/** Masks as plain arrays (copies: views into the wasm heap detach on growth). */
function masksOf(mem: Mem, mask?: tf.TensorInfo, recurrentMask?: tf.TensorInfo): { m?: Float32Array; rm?: Float32Array } {
  return { m: mask ? mem.view(mask).slice() : undefined, rm: recurrentMask ? mem.view(recurrentMask).slice() : undefined };
}

/** Whether any example has a real (unmasked) step at time t. */
function anyReal(m: Float32Array | undefined, B: number, T: number, t: number): boolean {
  if (!m) return true;
  for (let b = 0; b < B; b++) if (m[b * T + t] !== 0) return true;
  return false;
}

// Gate activation and its derivative from its output. hardSigmoid: 0.2 strictly inside (0,1), 0 where clipped
// (exactly on a clip point tfjs passes 0.2; that point has probability zero).
function gateOf(hard: boolean): (a: number) => number {
  return hard ? (a) => Math.min(1, Math.max(0, 0.2 * a + 0.5)) : (a) => 1 / (1 + Math.exp(-a));
}
function gateGradOf(hard: boolean): (y: number) => number {
  return hard ? (y) => (y > 0 && y < 1 ? 0.2 : 0) : (y) => y * (1 - y);
}

// The loops below run B·T·U times per step: this is where the JS kernels spend their time. Views are taken again
// after every alloc/matmul, because those can grow (and so detach) the wasm heap.

function lstmForward(mem: Mem, inputs: RnnForwardInputs, attrs: RnnAttrs): tf.TensorInfo[] {
  const { x, kernel, recurrentKernel, bias } = inputs;
  const { B, T, E, U } = rnnDims(x, recurrentKernel);
  const G = 4 * U;
  const S = 6 * U;
  const gate = gateOf(attrs.gate === 'hardSigmoid');
  const { m, rm } = masksOf(mem, inputs.mask, inputs.recurrentMask);
  const bv = mem.view(bias).slice();
  const xw = mem.matmul(as2d(x, B * T, E), kernel, false, false);
  const hOut = mem.zeros([B, T, U]);
  const stateOut = mem.zeros([B, T, S]);
  const hd = mem.alloc([B, U]);
  const hPrev = new Float32Array(B * U);
  const cPrev = new Float32Array(B * U);
  try {
    for (let s = 0; s < T; s++) {
      const t = timeAt(s, T, attrs.goBackwards);
      let hu: tf.TensorInfo | undefined;
      if (anyReal(m, B, T, t)) {
        const hdv = mem.view(hd);
        for (let k = 0; k < B * U; k++) hdv[k] = rm ? hPrev[k]! * rm[k]! : hPrev[k]!;
        hu = mem.matmul(hd, recurrentKernel, false, false);
      }
      const huv = hu ? mem.view(hu) : undefined;
      const xwv = mem.view(xw);
      const hv = mem.view(hOut);
      const sv = mem.view(stateOut);
      for (let b = 0; b < B; b++) {
        const row = b * T + t;
        const p = b * U;
        if (!huv || (m && m[row] === 0)) {
          // Padded step: the state carries over (the gates stay zero; the backward skips this step).
          hv.set(hPrev.subarray(p, p + U), row * U);
          sv.set(cPrev.subarray(p, p + U), row * S + 4 * U);
          continue;
        }
        const xr = row * G;
        const hr = b * G;
        const sr = row * S;
        for (let j = 0; j < U; j++) {
          const i = gate(xwv[xr + j]! + huv[hr + j]! + bv[j]!);
          const f = gate(xwv[xr + U + j]! + huv[hr + U + j]! + bv[U + j]!);
          const g = Math.tanh(xwv[xr + 2 * U + j]! + huv[hr + 2 * U + j]! + bv[2 * U + j]!);
          const o = gate(xwv[xr + 3 * U + j]! + huv[hr + 3 * U + j]! + bv[3 * U + j]!);
          const c = f * cPrev[p + j]! + i * g;
          const tc = Math.tanh(c);
          const h = o * tc;
          sv[sr + j] = i;
          sv[sr + U + j] = f;
          sv[sr + 2 * U + j] = g;
          sv[sr + 3 * U + j] = o;
          sv[sr + 4 * U + j] = c;
          sv[sr + 5 * U + j] = tc;
          hv[row * U + j] = h;
          hPrev[p + j] = h;
          cPrev[p + j] = c;
        }
      }
      if (hu) mem.free(hu);
    }
  } finally {
    mem.free(xw);
    mem.free(hd);
  }
  return [hOut, stateOut];
}

function lstmBackward(mem: Mem, inputs: RnnBackwardInputs, attrs: RnnAttrs): tf.TensorInfo[] {
  const { x, kernel, recurrentKernel } = inputs;
  const { B, T, E, U } = rnnDims(x, recurrentKernel);
  const G = 4 * U;
  const S = 6 * U;
  const back = attrs.goBackwards;
  const gateGrad = gateGradOf(attrs.gate === 'hardSigmoid');
  const { m, rm } = masksOf(mem, inputs.mask, inputs.recurrentMask);
  const dy = mem.view(inputs.dh).slice();
  const dhNext = new Float32Array(B * U);
  const dcNext = new Float32Array(B * U);
  const dhT = new Float32Array(U);
  const real = new Uint8Array(B);
  const dbias = new Float64Array(G);
  // Rows b*T + t like the input projection: every step's gate gradients, and hd = h_prev ⊙ recurrentMask.
  const dzAll = mem.zeros([B * T, G]);
  const hdAll = mem.zeros([B * T, U]);
  const dzStep = mem.alloc([B, G]);
  // Uᵀ once: the same right-hand operand at every step lets the matmul reuse its packed weights.
  const recurrentT = mem.transpose(recurrentKernel);
  try {
    for (let s = T - 1; s >= 0; s--) {
      const t = timeAt(s, T, back);
      const tPrev = back ? t + 1 : t - 1;
      const first = s === 0;
      const sv = mem.view(inputs.state);
      const hv = mem.view(inputs.h);
      const dz = mem.view(dzAll);
      const hdA = mem.view(hdAll);
      const dzs = mem.view(dzStep);
      let anyStep = false;
      for (let b = 0; b < B; b++) {
        const row = b * T + t;
        const p = b * U;
        for (let j = 0; j < U; j++) dhT[j] = dhNext[p + j]! + dy[row * U + j]!;
        real[b] = m && m[row] === 0 ? 0 : 1;
        if (!real[b]) {
          // Padded step: h_t = h_prev and c_t = c_prev, so both gradients pass straight through.
          dhNext.set(dhT, p);
          dzs.fill(0, b * G, (b + 1) * G);
          continue;
        }
        anyStep = true;
        const sr = row * S;
        const pr = (b * T + tPrev) * S;
        const zr = row * G;
        for (let j = 0; j < U; j++) {
          const i = sv[sr + j]!;
          const f = sv[sr + U + j]!;
          const g = sv[sr + 2 * U + j]!;
          const o = sv[sr + 3 * U + j]!;
          const tc = sv[sr + 5 * U + j]!;
          const cPrev = first ? 0 : sv[pr + 4 * U + j]!;
          const hPrev = first ? 0 : hv[(b * T + tPrev) * U + j]!;
          const dh = dhT[j]!;
          const dc = dcNext[p + j]! + dh * o * (1 - tc * tc);
          const dzi = dc * g * gateGrad(i);
          const dzf = dc * cPrev * gateGrad(f);
          const dzg = dc * i * (1 - g * g);
          const dzo = dh * tc * gateGrad(o);
          dcNext[p + j] = dc * f;
          dz[zr + j] = dzi;
          dz[zr + U + j] = dzf;
          dz[zr + 2 * U + j] = dzg;
          dz[zr + 3 * U + j] = dzo;
          dzs[b * G + j] = dzi;
          dzs[b * G + U + j] = dzf;
          dzs[b * G + 2 * U + j] = dzg;
          dzs[b * G + 3 * U + j] = dzo;
          dbias[j]! += dzi;
          dbias[U + j]! += dzf;
          dbias[2 * U + j]! += dzg;
          dbias[3 * U + j]! += dzo;
          hdA[row * U + j] = rm ? hPrev * rm[p + j]! : hPrev;
        }
      }
      if (first || !anyStep) continue;
      const dhd = mem.matmul(dzStep, recurrentT, false, false);
      const dv = mem.view(dhd);
      for (let b = 0; b < B; b++) {
        if (!real[b]) continue;
        for (let k = b * U; k < (b + 1) * U; k++) dhNext[k] = rm ? dv[k]! * rm[k]! : dv[k]!;
      }
      mem.free(dhd);
    }
    const dx = mem.matmul(dzAll, kernel, false, true);
    const dKernel = mem.matmul(as2d(x, B * T, E), dzAll, true, false);
    const dRecurrent = mem.matmul(hdAll, dzAll, true, false);
    return [{ dataId: dx.dataId, shape: [B, T, E], dtype: 'float32' }, dKernel, dRecurrent, mem.alloc([G], Float32Array.from(dbias))];
  } finally {
    for (const t of [dzAll, hdAll, dzStep, recurrentT]) mem.free(t);
  }
}

function gruForward(mem: Mem, inputs: RnnForwardInputs, attrs: RnnAttrs): tf.TensorInfo[] {
  const { x, kernel, recurrentKernel, bias } = inputs;
  const { B, T, E, U } = rnnDims(x, recurrentKernel);
  const G = 3 * U;
  const gate = gateOf(attrs.gate === 'hardSigmoid');
  const { m, rm } = masksOf(mem, inputs.mask, inputs.recurrentMask);
  const bv = mem.view(bias).slice();
  const xw = mem.matmul(as2d(x, B * T, E), kernel, false, false);
  const rkZR = columns(mem, recurrentKernel, 0, 2 * U);
  const rkH = columns(mem, recurrentKernel, 2 * U, U);
  const hOut = mem.zeros([B, T, U]);
  const stateOut = mem.zeros([B, T, G]);
  const hdInfo = mem.alloc([B, U]);
  const rhInfo = mem.zeros([B, U]);
  const hPrev = new Float32Array(B * U);
  const hd = new Float32Array(B * U);
  try {
    for (let s = 0; s < T; s++) {
      const t = timeAt(s, T, attrs.goBackwards);
      const stepReal = anyReal(m, B, T, t);
      let recH: tf.TensorInfo | undefined;
      if (stepReal) {
        for (let k = 0; k < B * U; k++) hd[k] = rm ? hPrev[k]! * rm[k]! : hPrev[k]!;
        mem.view(hdInfo).set(hd);
        const inner = mem.matmul(hdInfo, rkZR, false, false);
        const iv = mem.view(inner);
        const xwv = mem.view(xw);
        const rhv = mem.view(rhInfo);
        const sv = mem.view(stateOut);
        for (let b = 0; b < B; b++) {
          const row = b * T + t;
          if (m && m[row] === 0) continue;
          const xr = row * G;
          for (let j = 0; j < U; j++) {
            const z = gate(xwv[xr + j]! + bv[j]! + iv[b * 2 * U + j]!);
            const r = gate(xwv[xr + U + j]! + bv[U + j]! + iv[b * 2 * U + U + j]!);
            sv[row * G + j] = z;
            sv[row * G + U + j] = r;
            rhv[b * U + j] = r * hd[b * U + j]!;
          }
        }
        mem.free(inner);
        recH = mem.matmul(rhInfo, rkH, false, false);
      }
      const rv = recH ? mem.view(recH) : undefined;
      const xwv = mem.view(xw);
      const hv = mem.view(hOut);
      const sv = mem.view(stateOut);
      for (let b = 0; b < B; b++) {
        const row = b * T + t;
        const p = b * U;
        if (!rv || (m && m[row] === 0)) {
          hv.set(hPrev.subarray(p, p + U), row * U);
          continue;
        }
        const xr = row * G;
        for (let j = 0; j < U; j++) {
          const hh = Math.tanh(xwv[xr + 2 * U + j]! + bv[2 * U + j]! + rv[p + j]!);
          const z = sv[row * G + j]!;
          const h = z * hd[p + j]! + (1 - z) * hh;
          sv[row * G + 2 * U + j] = hh;
          hv[row * U + j] = h;
          hPrev[p + j] = h;
        }
      }
      if (recH) mem.free(recH);
    }
  } finally {
    for (const t of [xw, rkZR, rkH, hdInfo, rhInfo]) mem.free(t);
  }
  return [hOut, stateOut];
}

function gruBackward(mem: Mem, inputs: RnnBackwardInputs, attrs: RnnAttrs): tf.TensorInfo[] {
  const { x, kernel, recurrentKernel } = inputs;
  const { B, T, E, U } = rnnDims(x, recurrentKernel);
  const G = 3 * U;
  const back = attrs.goBackwards;
  const gateGrad = gateGradOf(attrs.gate === 'hardSigmoid');
  const { m, rm } = masksOf(mem, inputs.mask, inputs.recurrentMask);
  const dy = mem.view(inputs.dh).slice();
  const dbias = new Float64Array(G);
  // Transposed once, so that every step's matmul reuses the same packed right-hand operand.
  const rkZRt = transposeFree(mem, columns(mem, recurrentKernel, 0, 2 * U));
  const rkHt = transposeFree(mem, columns(mem, recurrentKernel, 2 * U, U));
  // Rows b*T + t: the gate gradients [dz, dr, dh~], and the recurrent products' inputs hd and r⊙hd.
  const dzAll = mem.zeros([B * T, G]);
  const dzZR = mem.zeros([B * T, 2 * U]);
  const dzH = mem.zeros([B * T, U]);
  const hdAll = mem.zeros([B * T, U]);
  const rhAll = mem.zeros([B * T, U]);
  const stepH = mem.alloc([B, U]);
  const stepZR = mem.alloc([B, 2 * U]);
  const dhNext = new Float32Array(B * U);
  const dhT = new Float32Array(B * U);
  const hdStep = new Float32Array(B * U);
  const real = new Uint8Array(B);
  try {
    for (let s = T - 1; s >= 0; s--) {
      const t = timeAt(s, T, back);
      const tPrev = back ? t + 1 : t - 1;
      const first = s === 0;
      let anyStep = false;
      {
        const sv = mem.view(inputs.state);
        const hv = mem.view(inputs.h);
        const sh = mem.view(stepH);
        for (let b = 0; b < B; b++) {
          const row = b * T + t;
          const p = b * U;
          real[b] = m && m[row] === 0 ? 0 : 1;
          anyStep ||= real[b] === 1;
          for (let j = 0; j < U; j++) {
            dhT[p + j] = dhNext[p + j]! + dy[row * U + j]!;
            const hp = first ? 0 : hv[(b * T + tPrev) * U + j]!;
            hdStep[p + j] = rm ? hp * rm[p + j]! : hp;
            const z = sv[row * G + j]!;
            const hh = sv[row * G + 2 * U + j]!;
            sh[p + j] = real[b] ? dhT[p + j]! * (1 - z) * (1 - hh * hh) : 0;
          }
        }
      }
      if (!anyStep) {
        dhNext.set(dhT);
        continue;
      }
      // d(r⊙hd) = dh~ · U_hᵀ
      const drhInfo = mem.matmul(stepH, rkHt, false, false);
      {
        const drh = mem.view(drhInfo);
        const sv = mem.view(inputs.state);
        const sh = mem.view(stepH);
        const szr = mem.view(stepZR);
        const dz = mem.view(dzAll);
        const dzr = mem.view(dzZR);
        const dzh = mem.view(dzH);
        const hdA = mem.view(hdAll);
        const rhA = mem.view(rhAll);
        for (let b = 0; b < B; b++) {
          const row = b * T + t;
          const p = b * U;
          if (!real[b]) {
            // Padded step: h_t = h_prev, the gradient passes straight through.
            szr.fill(0, b * 2 * U, (b + 1) * 2 * U);
            for (let j = 0; j < U; j++) dhNext[p + j] = dhT[p + j]!;
            continue;
          }
          for (let j = 0; j < U; j++) {
            const z = sv[row * G + j]!;
            const r = sv[row * G + U + j]!;
            const hh = sv[row * G + 2 * U + j]!;
            const hdj = hdStep[p + j]!;
            const dh = dhT[p + j]!;
            const dZ = dh * (hdj - hh) * gateGrad(z);
            const dR = drh[p + j]! * hdj * gateGrad(r);
            const dH = sh[p + j]!;
            dz[row * G + j] = dZ;
            dz[row * G + U + j] = dR;
            dz[row * G + 2 * U + j] = dH;
            dzr[row * 2 * U + j] = dZ;
            dzr[row * 2 * U + U + j] = dR;
            dzh[row * U + j] = dH;
            szr[b * 2 * U + j] = dZ;
            szr[b * 2 * U + U + j] = dR;
            dbias[j]! += dZ;
            dbias[U + j]! += dR;
            dbias[2 * U + j]! += dH;
            hdA[row * U + j] = hdj;
            rhA[row * U + j] = r * hdj;
            // The parts of d(hd) that need no matmul: through z⊙hd and through r⊙hd.
            dhNext[p + j] = dh * z + drh[p + j]! * r;
          }
        }
      }
      mem.free(drhInfo);
      if (first) continue;
      const backZR = mem.matmul(stepZR, rkZRt, false, false);
      const bv = mem.view(backZR);
      for (let b = 0; b < B; b++) {
        if (!real[b]) continue;
        for (let k = b * U; k < (b + 1) * U; k++) dhNext[k] = rm ? (dhNext[k]! + bv[k]!) * rm[k]! : dhNext[k]! + bv[k]!;
      }
      mem.free(backZR);
    }
    const dx = mem.matmul(dzAll, kernel, false, true);
    const dKernel = mem.matmul(as2d(x, B * T, E), dzAll, true, false);
    const dZR = mem.matmul(hdAll, dzZR, true, false);
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
    for (const t of [rkZRt, rkHt, dzAll, dzZR, dzH, hdAll, rhAll, stepH, stepZR]) mem.free(t);
  }
}

type KernelImpl<I> = (mem: Mem, inputs: I, attrs: RnnAttrs) => tf.TensorInfo[];

/** The four kernel functions for one backend (wasm or cpu), ready for tf.registerKernel. */
export function jsRnnKernels(backendName: 'wasm' | 'cpu'): Record<'lstmForward' | 'lstmBackward' | 'gruForward' | 'gruBackward', tf.KernelFunc> {
  const wrap =
    <I>(impl: KernelImpl<I>): tf.KernelFunc =>
    ({ inputs, backend, attrs }) =>
      impl(memFor(backendName, backend), inputs as unknown as I, attrs as unknown as RnnAttrs);
  return { lstmForward: wrap(lstmForward), lstmBackward: wrap(lstmBackward), gruForward: wrap(gruForward), gruBackward: wrap(gruBackward) };
}

