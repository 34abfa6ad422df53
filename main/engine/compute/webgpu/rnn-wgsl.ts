// The WGSL of the fused LSTM/GRU on the GPU: one compute dispatch per time step (two for the GRU, whose candidate
// needs the whole reset gate first), each a small matrix product fused with the gate arithmetic. rnn-webgpu.ts
// records all the steps of a sequence in one compute pass, so a 400-step sequence costs 400 dispatches in one
// submission instead of the ~10 separate TensorFlow.js kernels per step of tf.layers.lstm.
//
// Semantics: those of the fused op contract (compute/rnn-op.ts): Keras/tfjs LSTM and GRU with masking (a padded
// step carries h and c), recurrent dropout (hd = h_prev ⊙ recurrentMask) and goBackwards.
//
// Layout: x-dimension of the grid = units (64 per workgroup), y = batch rows in groups of ROWS. Each thread owns
// one unit j for ROWS batch rows and all of that unit's gates, so every recurrent weight it reads serves ROWS rows,
// and the step needs no workgroup barriers (which software GPUs such as SwiftShader execute slowly).

/** Batch rows per thread. */
export const ROWS = 4;
/** Threads per workgroup along the units. */
export const WORKGROUP = 64;

// Bindings 0 and 1 are the same in every kernel: the call's sizes and flags, and the step index (a dynamic offset
// into a buffer of step numbers, so all steps share one bind group).
const HEADER = /* wgsl */ `
struct Params { B: u32, T: u32, U: u32, flags: u32 }
struct Step { s: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<uniform> S: Step;
const ROWS: u32 = ${ROWS}u;

// flags: 1 goBackwards, 2 has a mask, 4 has a recurrent dropout mask, 8 hardSigmoid gates.
fn timeAt(s: u32) -> u32 {
  if ((P.flags & 1u) != 0u) { return P.T - 1u - s; }
  return s;
}
fn isReal(b: u32, t: u32) -> bool {
  if ((P.flags & 2u) == 0u) { return true; }
  return maskv[b * P.T + t] != 0.0;
}
fn rmask(b: u32, k: u32) -> f32 {
  if ((P.flags & 4u) == 0u) { return 1.0; }
  return recMask[b * P.U + k];
}
fn gate(a: f32) -> f32 {
  if ((P.flags & 8u) != 0u) { return clamp(0.2 * a + 0.5, 0.0, 1.0); }
  return 1.0 / (1.0 + exp(-a));
}
// The derivative from the gate's output: 0.2 strictly inside (0, 1) for hardSigmoid, y(1-y) for sigmoid.
fn gateGrad(y: f32) -> f32 {
  if ((P.flags & 8u) != 0u) { return select(0.0, 0.2, y > 0.0 && y < 1.0); }
  return y * (1.0 - y);
}
// tanh through exp(-2|a|): the built-in may return NaN for large |a| on some drivers (it overflows sinh/cosh).
fn tanhSafe(a: f32) -> f32 {
  let e = exp(-2.0 * abs(a));
  return sign(a) * (1.0 - e) / (1.0 + e);
}
`;

const MASKS = (first: number) => /* wgsl */ `
@group(0) @binding(${first}) var<storage, read> maskv: array<f32>;
@group(0) @binding(${first + 1}) var<storage, read> recMask: array<f32>;
`;

const ENTRY = /* wgsl */ `
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let U = P.U;
  let T = P.T;
  let j = gid.x;
  if (j >= U) { return; }
  let b0 = gid.y * ROWS;
  let s = S.s;
  let t = timeAt(s);
  var tp = 0u;
  if (s > 0u) { tp = timeAt(s - 1u); }
`;

// Bindings 2-7 of the forward kernels: the input projection x·W + b [B,T,kU], the recurrent kernel [U,kU], the
// masks, h [B,T,U] (written by the kernel that produces it) and the saved state.
const FORWARD_BINDINGS = (hAccess: 'read' | 'read_write') => /* wgsl */ `
@group(0) @binding(2) var<storage, read> xw: array<f32>;
@group(0) @binding(3) var<storage, read> W: array<f32>;
${MASKS(4)}
@group(0) @binding(6) var<storage, ${hAccess}> h: array<f32>;
@group(0) @binding(7) var<storage, read_write> st: array<f32>;
`;
const forwardStorage = (hWritten: boolean): boolean[] => [false, false, false, false, hWritten, true];

// Bindings 2-10 of the backward kernels: the recurrent kernel transposed [kU,U], the masks, the forward's h and
// state, the incoming gradient dh [B,T,U]; written: the gates' pre-activation gradients dz [B,T,kU], the carried
// gradients and hd = h_{t-1} ⊙ recurrentMask per step (for the recurrent kernel's gradient).
const BACKWARD_BINDINGS = /* wgsl */ `
@group(0) @binding(2) var<storage, read> WT: array<f32>;
${MASKS(3)}
@group(0) @binding(5) var<storage, read> h: array<f32>;
@group(0) @binding(6) var<storage, read> st: array<f32>;
@group(0) @binding(7) var<storage, read> dh: array<f32>;
@group(0) @binding(8) var<storage, read_write> dz: array<f32>;
@group(0) @binding(9) var<storage, read_write> carry: array<f32>;
@group(0) @binding(10) var<storage, read_write> hdPrev: array<f32>;
`;
const BACKWARD_STORAGE = [false, false, false, false, false, false, true, true, true];

/** acc[r] = Σ_{k < width} dz[row r, step tn, k] · Uᵀ[k, j]: the gradient reaching h from the next step's gates. */
const FROM_NEXT_STEP = (width: string) => /* wgsl */ `
  let last = s == T - 1u;
  var tn = 0u;
  if (!last) { tn = timeAt(s + 1u); }
  var acc: array<f32, ${ROWS}>;
  for (var r = 0u; r < ROWS; r++) { acc[r] = 0.0; }
  if (!last) {
    for (var k = 0u; k < ${width}; k++) {
      let w = WT[k * U + j];
      for (var r = 0u; r < ROWS; r++) {
        let b = min(b0 + r, P.B - 1u);
        acc[r] += dz[(b * T + tn) * G + k] * w;
      }
    }
  }
`;

/** What a kernel binds after the two uniforms: its storage buffers, in binding order. */
export interface KernelSpec {
  name: string;
  /** Storage buffers from binding 2 on; true = written. */
  storage: boolean[];
  code: string;
}

/**
 * LSTM forward, one step. st [B,T,5U] keeps i, f, g = tanh(z_c), o and c for the backward.
 * bindings: 2 xw [B,T,4U] (x·W + b), 3 recurrent kernel [U,4U], 4 mask, 5 recMask, 6 h [B,T,U] rw, 7 st rw.
 */
export const LSTM_FORWARD: KernelSpec = {
  name: 'textbench-lstm-forward',
  storage: forwardStorage(true),
  code: /* wgsl */ `${HEADER}${FORWARD_BINDINGS('read_write')}${ENTRY}
  let G = 4u * U;
  var acc: array<vec4<f32>, ${ROWS}>;
  for (var r = 0u; r < ROWS; r++) { acc[r] = vec4<f32>(0.0); }
  if (s > 0u) {
    for (var k = 0u; k < U; k++) {
      let w = vec4<f32>(W[k * G + j], W[k * G + U + j], W[k * G + 2u * U + j], W[k * G + 3u * U + j]);
      for (var r = 0u; r < ROWS; r++) {
        let b = min(b0 + r, P.B - 1u);
        acc[r] += (h[(b * T + tp) * U + k] * rmask(b, k)) * w;
      }
    }
  }
  for (var r = 0u; r < ROWS; r++) {
    let b = b0 + r;
    if (b >= P.B) { break; }
    let xo = (b * T + t) * G;
    let z = acc[r] + vec4<f32>(xw[xo + j], xw[xo + U + j], xw[xo + 2u * U + j], xw[xo + 3u * U + j]);
    var hp = 0.0;
    var cp = 0.0;
    if (s > 0u) {
      hp = h[(b * T + tp) * U + j];
      cp = st[(b * T + tp) * 5u * U + 4u * U + j];
    }
    let so = (b * T + t) * 5u * U;
    if (isReal(b, t)) {
      let i = gate(z.x);
      let f = gate(z.y);
      let g = tanhSafe(z.z);
      let o = gate(z.w);
      let c = f * cp + i * g;
      h[(b * T + t) * U + j] = o * tanhSafe(c);
      st[so + j] = i;
      st[so + U + j] = f;
      st[so + 2u * U + j] = g;
      st[so + 3u * U + j] = o;
      st[so + 4u * U + j] = c;
    } else {
      h[(b * T + t) * U + j] = hp;
      st[so + j] = 0.0;
      st[so + U + j] = 0.0;
      st[so + 2u * U + j] = 0.0;
      st[so + 3u * U + j] = 0.0;
      st[so + 4u * U + j] = cp;
    }
  }
}
`,
};

/**
 * LSTM backward, one step, run for s = T-1 … 0 (S.s is the forward step index). It first finishes the step after
 * it: the gradient reaching h through the next step's gates is dz_next · Uᵀ (Uᵀ given as [4U,U], so that neighbouring
 * threads read neighbouring weights). carry [B,2U] holds, per row, the gradient for h (or the whole gradient of a
 * padded next step, which passed h through) and for c.
 * bindings: 2 Uᵀ [4U,U], 3 mask, 4 recMask, 5 h, 6 st, 7 dh [B,T,U], 8 dz [B,T,4U] rw, 9 carry rw, 10 hdPrev [B,T,U] rw.
 */
export const LSTM_BACKWARD: KernelSpec = {
  name: 'textbench-lstm-backward',
  storage: BACKWARD_STORAGE,
  code: /* wgsl */ `${HEADER}${BACKWARD_BINDINGS}${ENTRY}
  let G = 4u * U;${FROM_NEXT_STEP('G')}  for (var r = 0u; r < ROWS; r++) {
    let b = b0 + r;
    if (b >= P.B) { break; }
    var fromNext = 0.0;
    var gc = 0.0;
    if (!last) {
      if (isReal(b, tn)) { fromNext = acc[r] * rmask(b, j); } else { fromNext = carry[b * 2u * U + j]; }
      gc = carry[b * 2u * U + U + j];
    }
    let gh = dh[(b * T + t) * U + j] + fromNext;
    var hp = 0.0;
    var cp = 0.0;
    if (s > 0u) {
      hp = h[(b * T + tp) * U + j];
      cp = st[(b * T + tp) * 5u * U + 4u * U + j];
    }
    hdPrev[(b * T + t) * U + j] = hp * rmask(b, j);
    let zo = (b * T + t) * G;
    if (isReal(b, t)) {
      let so = (b * T + t) * 5u * U;
      let i = st[so + j];
      let f = st[so + U + j];
      let g = st[so + 2u * U + j];
      let o = st[so + 3u * U + j];
      let tc = tanhSafe(st[so + 4u * U + j]);
      let dc = gc + gh * o * (1.0 - tc * tc);
      dz[zo + j] = dc * g * gateGrad(i);
      dz[zo + U + j] = dc * cp * gateGrad(f);
      dz[zo + 2u * U + j] = dc * i * (1.0 - g * g);
      dz[zo + 3u * U + j] = gh * tc * gateGrad(o);
      carry[b * 2u * U + U + j] = dc * f;
    } else {
      dz[zo + j] = 0.0;
      dz[zo + U + j] = 0.0;
      dz[zo + 2u * U + j] = 0.0;
      dz[zo + 3u * U + j] = 0.0;
      carry[b * 2u * U + U + j] = gc;
    }
    carry[b * 2u * U + j] = gh;
  }
}
`,
};

/**
 * GRU forward, first half of a step: the update and reset gates, and rh = r ⊙ hd for the candidate.
 * st [B,T,4U] keeps z, r, h~ and rh. bindings: 2 xw [B,T,3U], 3 recurrent kernel [U,3U], 4 mask, 5 recMask,
 * 6 h [B,T,U] (read), 7 st rw.
 */
export const GRU_FORWARD_GATES: KernelSpec = {
  name: 'textbench-gru-forward-gates',
  storage: forwardStorage(false),
  code: /* wgsl */ `${HEADER}${FORWARD_BINDINGS('read')}${ENTRY}
  let G = 3u * U;
  var acc: array<vec2<f32>, ${ROWS}>;
  for (var r = 0u; r < ROWS; r++) { acc[r] = vec2<f32>(0.0); }
  if (s > 0u) {
    for (var k = 0u; k < U; k++) {
      let w = vec2<f32>(W[k * G + j], W[k * G + U + j]);
      for (var r = 0u; r < ROWS; r++) {
        let b = min(b0 + r, P.B - 1u);
        acc[r] += (h[(b * T + tp) * U + k] * rmask(b, k)) * w;
      }
    }
  }
  for (var r = 0u; r < ROWS; r++) {
    let b = b0 + r;
    if (b >= P.B) { break; }
    let xo = (b * T + t) * G;
    let z = gate(xw[xo + j] + acc[r].x);
    let rr = gate(xw[xo + U + j] + acc[r].y);
    var hd = 0.0;
    if (s > 0u) { hd = h[(b * T + tp) * U + j] * rmask(b, j); }
    let so = (b * T + t) * 4u * U;
    st[so + j] = z;
    st[so + U + j] = rr;
    st[so + 3u * U + j] = rr * hd;
  }
}
`,
};

/** GRU forward, second half: the candidate h~ = tanh(xw_h + rh·U_h) and h. bindings as GRU_FORWARD_GATES, h written. */
export const GRU_FORWARD_STATE: KernelSpec = {
  name: 'textbench-gru-forward-state',
  storage: forwardStorage(true),
  code: /* wgsl */ `${HEADER}${FORWARD_BINDINGS('read_write')}${ENTRY}
  let G = 3u * U;
  var acc: array<f32, ${ROWS}>;
  for (var r = 0u; r < ROWS; r++) { acc[r] = 0.0; }
  for (var k = 0u; k < U; k++) {
    let w = W[k * G + 2u * U + j];
    for (var r = 0u; r < ROWS; r++) {
      let b = min(b0 + r, P.B - 1u);
      acc[r] += st[(b * T + t) * 4u * U + 3u * U + k] * w;
    }
  }
  for (var r = 0u; r < ROWS; r++) {
    let b = b0 + r;
    if (b >= P.B) { break; }
    var hp = 0.0;
    if (s > 0u) { hp = h[(b * T + tp) * U + j]; }
    let so = (b * T + t) * 4u * U;
    if (isReal(b, t)) {
      let hh = tanhSafe(xw[(b * T + t) * G + 2u * U + j] + acc[r]);
      let z = st[so + j];
      let hd = hp * rmask(b, j);
      h[(b * T + t) * U + j] = z * hd + (1.0 - z) * hh;
      st[so + 2u * U + j] = hh;
    } else {
      h[(b * T + t) * U + j] = hp;
      st[so + 2u * U + j] = 0.0;
    }
  }
}
`,
};

/**
 * GRU backward, first half of a step (s = T-1 … 0): finishes the gradient reaching h from the next step
 * (carry holds its direct part z⊙dh + r⊙drh, plus dz_{z,r} · U_{z,r}ᵀ computed here), then the update gate's and the
 * candidate's pre-activation gradients. bindings: 2 Uᵀ [3U,U], 3 mask, 4 recMask, 5 h, 6 st, 7 dh,
 * 8 dz [B,T,3U] rw, 9 carry [B,U] rw, 10 hdPrev [B,T,U] rw.
 */
export const GRU_BACKWARD_GATES: KernelSpec = {
  name: 'textbench-gru-backward-gates',
  storage: BACKWARD_STORAGE,
  code: /* wgsl */ `${HEADER}${BACKWARD_BINDINGS}${ENTRY}
  let G = 3u * U;${FROM_NEXT_STEP('2u * U')}  for (var r = 0u; r < ROWS; r++) {
    let b = b0 + r;
    if (b >= P.B) { break; }
    var fromNext = 0.0;
    if (!last) {
      if (isReal(b, tn)) { fromNext = (carry[b * U + j] + acc[r]) * rmask(b, j); } else { fromNext = carry[b * U + j]; }
    }
    let gh = dh[(b * T + t) * U + j] + fromNext;
    var hp = 0.0;
    if (s > 0u) { hp = h[(b * T + tp) * U + j]; }
    let hd = hp * rmask(b, j);
    hdPrev[(b * T + t) * U + j] = hd;
    let zo = (b * T + t) * G;
    if (isReal(b, t)) {
      let so = (b * T + t) * 4u * U;
      let z = st[so + j];
      let hh = st[so + 2u * U + j];
      dz[zo + j] = gh * (hd - hh) * gateGrad(z);
      dz[zo + 2u * U + j] = gh * (1.0 - z) * (1.0 - hh * hh);
      carry[b * U + j] = gh * z;
    } else {
      dz[zo + j] = 0.0;
      dz[zo + 2u * U + j] = 0.0;
      carry[b * U + j] = gh;
    }
  }
}
`,
};

/**
 * GRU backward, second half: the reset gate's gradient through rh (d rh = dz_h · U_hᵀ), and r ⊙ d rh added to the
 * carried gradient for hd. Here x of the grid indexes k, the unit of rh. bindings as GRU_BACKWARD_GATES.
 */
export const GRU_BACKWARD_RESET: KernelSpec = {
  name: 'textbench-gru-backward-reset',
  storage: BACKWARD_STORAGE,
  code: /* wgsl */ `${HEADER}${BACKWARD_BINDINGS}${ENTRY}
  let G = 3u * U;
  var acc: array<f32, ${ROWS}>;
  for (var r = 0u; r < ROWS; r++) { acc[r] = 0.0; }
  for (var jj = 0u; jj < U; jj++) {
    let w = WT[(2u * U + jj) * U + j];
    for (var r = 0u; r < ROWS; r++) {
      let b = min(b0 + r, P.B - 1u);
      acc[r] += dz[(b * T + t) * G + 2u * U + jj] * w;
    }
  }
  for (var r = 0u; r < ROWS; r++) {
    let b = b0 + r;
    if (b >= P.B) { break; }
    let zo = (b * T + t) * G;
    if (isReal(b, t)) {
      let rr = st[(b * T + t) * 4u * U + U + j];
      dz[zo + U + j] = acc[r] * hdPrev[(b * T + t) * U + j] * gateGrad(rr);
      carry[b * U + j] += acc[r] * rr;
    } else {
      dz[zo + U + j] = 0.0;
    }
  }
}
`,
};

/**
 * A plain transpose of the recurrent kernel [U, kU] -> [kU, U], one thread per element, once per backward call.
 * TensorFlow.js's own Transpose tiles through workgroup memory with barriers, which SwiftShader (the tests' GPU)
 * runs 100x slower (31 s for 1024 x 4096 on a busy 2-core machine); on a GPU either takes well under a millisecond
 * against the tens of milliseconds of the steps. bindings: 2 source [R,C], 3 destination [C,R]; P.B = R, P.U = C.
 */
export const TRANSPOSE: KernelSpec = {
  name: 'textbench-transpose',
  storage: [false, true],
  code: /* wgsl */ `
struct Params { B: u32, T: u32, U: u32, flags: u32 }
struct Step { s: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<uniform> S: Step;
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  let r = gid.y;
  if (c >= P.U || r >= P.B) { return; }
  dst[c * P.B + r] = src[r * P.U + c];
}
`,
};
