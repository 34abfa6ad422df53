// Fused LSTM and GRU, forward and backward, in WebAssembly with 128-bit SIMD. The contract and the math are
// those of ../rnn-op.ts; rnn-wasm.ts drives this module. Built by build.mjs (clang --target=wasm32 -msimd128);
// the .wasm files next to this source are its output and a test rebuilds them and compares bytes.
//
// Memory: the module imports its memory. JavaScript owns the layout: it writes a parameter block (int32 slots,
// the P_* indices below), allocates every buffer, and gives each thread a batch slice [b0, b1) and its own
// scratch. There is no allocator and no static data here, so the same module can run in several threads over
// one shared memory, each instance with its own stack (JavaScript sets __stack_pointer).
//
// Layouts (row-major float32): x [B,T,E]; W [E,G]; Ur [U,G] (the recurrent kernel); bias [G]; mask [B,T];
// rm [B,U]; h [B,T,U] by time step; state: LSTM [B,T,6U] = i f g o (activated) | c | tanh(c), GRU [B,T,3U] =
// z r h~. G = 4U (LSTM) or 3U (GRU). Row (b,t) of a [B,T,·] buffer is b*T + t. The whole time loop of a slice
// runs here: the per-step product h·Ur is a small GEMM in this module, not a call back into TensorFlow.js.
#include <stdint.h>
#include <wasm_simd128.h>

typedef float f32;
typedef int32_t i32;

// ---- parameter block (keep in step with rnn-wasm.ts) ----
enum {
  P_B, P_T, P_E, P_U, P_FLAGS,
  P_X, P_W, P_RK, P_BIAS, P_MASK, P_RM, P_H, P_STATE,
  P_DY, P_WT, P_RKT, P_DX, P_DZ, P_HD, P_RH,
  P_THREADS,
  P_SLICES, // then per thread: b0, b1, scratch, partial
};
enum { F_SIGMOID = 1, F_BACK = 2, F_MASK = 4, F_RM = 8 };
#define SLICE(p, i, k) ((p)[P_SLICES + 4 * (i) + (k)])

#define PTR(p, k) ((f32 *)(uintptr_t)(p)[k])

static inline int min_i(int a, int b) { return a < b ? a : b; }

// ---- vector math ----
#define SPLAT(v) wasm_f32x4_splat(v)

// exp with Cephes' single-precision polynomial (range reduction by ln 2): relative error under 1e-7 on [-88, 88].
// 2^n is built by adding n + 127 to 2^23 and shifting the float's bits: wasm's float-to-int conversion saturates,
// which V8 lowers to a long instruction sequence on x64.
static inline v128_t v_exp(v128_t x) {
  x = wasm_f32x4_min(x, SPLAT(88.3762626647949f));
  x = wasm_f32x4_max(x, SPLAT(-88.3762626647949f));
  v128_t fx = wasm_f32x4_floor(wasm_f32x4_add(wasm_f32x4_mul(x, SPLAT(1.44269504088896341f)), SPLAT(0.5f)));
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(fx, SPLAT(0.693359375f)));
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(fx, SPLAT(-2.12194440e-4f)));
  v128_t z = wasm_f32x4_mul(x, x);
  v128_t y = SPLAT(1.9875691500e-4f);
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), SPLAT(1.3981999507e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), SPLAT(8.3334519073e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), SPLAT(4.1665795894e-2f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), SPLAT(1.6666665459e-1f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), SPLAT(5.0000001201e-1f));
  y = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(y, z), x), SPLAT(1.0f));
  v128_t e = wasm_i32x4_shl(wasm_f32x4_add(fx, SPLAT(8388608.0f + 127.0f)), 23);
  return wasm_f32x4_mul(y, e);
}

// tanh as Eigen computes it in float: a 13/6-degree rational function on [-9, 9] (tanh is ±1 in float beyond).
// Measured against Math.tanh: absolute and relative error under 4e-7; one division, no exp: 1.4x faster than
// 1 - 2/(e^2x + 1) with a polynomial near 0.
static inline v128_t v_tanh(v128_t a) {
  v128_t x = wasm_f32x4_max(wasm_f32x4_min(a, SPLAT(9.0f)), SPLAT(-9.0f));
  v128_t x2 = wasm_f32x4_mul(x, x);
  v128_t p = SPLAT(-2.76076847742355e-16f);
  p = wasm_f32x4_add(wasm_f32x4_mul(x2, p), SPLAT(2.00018790482477e-13f));
  p = wasm_f32x4_add(wasm_f32x4_mul(x2, p), SPLAT(-8.60467152213735e-11f));
  p = wasm_f32x4_add(wasm_f32x4_mul(x2, p), SPLAT(5.12229709037114e-08f));
  p = wasm_f32x4_add(wasm_f32x4_mul(x2, p), SPLAT(1.48572235717979e-05f));
  p = wasm_f32x4_add(wasm_f32x4_mul(x2, p), SPLAT(6.37261928875436e-04f));
  p = wasm_f32x4_add(wasm_f32x4_mul(x2, p), SPLAT(4.89352455891786e-03f));
  p = wasm_f32x4_mul(x, p);
  v128_t q = SPLAT(1.19825839466702e-06f);
  q = wasm_f32x4_add(wasm_f32x4_mul(x2, q), SPLAT(1.18534705686654e-04f));
  q = wasm_f32x4_add(wasm_f32x4_mul(x2, q), SPLAT(2.26843463243900e-03f));
  q = wasm_f32x4_add(wasm_f32x4_mul(x2, q), SPLAT(4.89352518554385e-03f));
  return wasm_f32x4_div(p, q);
}

// The gate activation. hardSigmoid exactly as tfjs computes it: clip(0.2·a + 0.5, 0, 1) in float32.
static inline v128_t v_gate(v128_t a, int sigmoid) {
  if (sigmoid) return wasm_f32x4_div(SPLAT(1.0f), wasm_f32x4_add(SPLAT(1.0f), v_exp(wasm_f32x4_neg(a))));
  v128_t y = wasm_f32x4_add(wasm_f32x4_mul(SPLAT(0.2f), a), SPLAT(0.5f));
  return wasm_f32x4_min(wasm_f32x4_max(y, SPLAT(0.0f)), SPLAT(1.0f));
}

// The gate's derivative from its output: y(1-y) for sigmoid; 0.2 strictly inside (0,1), 0 where clipped.
static inline v128_t v_gate_grad(v128_t y, int sigmoid) {
  if (sigmoid) return wasm_f32x4_mul(y, wasm_f32x4_sub(SPLAT(1.0f), y));
  v128_t inside = wasm_v128_and(wasm_f32x4_gt(y, SPLAT(0.0f)), wasm_f32x4_lt(y, SPLAT(1.0f)));
  return wasm_v128_and(inside, SPLAT(0.2f));
}

// ---- GEMM: C[M,N] (+)= op(A)[M,K] · B[K,N] ----
// MADD(a, b, c) = a·b + c. Built with RNN_FMA (the rnn-fma*.wasm variants) it is one fused multiply-add,
// f32x4.relaxed_madd of the relaxed-SIMD proposal, which V8 lowers to vfmadd on x64 with FMA3 (the GEMM tiles
// run 1.3x faster: they are bound by the multiply and add ports). clang 14 knows that instruction only under its
// prototype name and opcode (f32x4.fma, 0xfd 0xaf); build.mjs rewrites each one to relaxed_madd (0xfd 0x105, the
// same length) found by disassembly, and the operands go on the stack as relaxed_madd takes them: a, b, c.
// relaxed_madd may round once or twice (the engine's choice): results differ from the plain build by rounding only.
#ifdef RNN_FMA
#define MADD(a, b, c) __builtin_wasm_fma_f32x4(a, b, c)
#else
#define MADD(a, b, c) wasm_f32x4_add(c, wasm_f32x4_mul(a, b))
#endif
// op(A) = A ([M,K], row stride lda) or, with transA, the transpose of A ([K,M], row stride lda). Register tiles of
// 4 rows × 8 columns (8 accumulators + 2 B vectors + 1 broadcast: 11 of the 16 SIMD registers V8 has on x64),
// blocked by 64 rows and 256 of K so that a block of A and a panel of B stay in cache.
#define KC 256
#define MC 64

#define TILE(NAME, R, V)                                                                                    \
  static inline void NAME(int kc, const f32 *a, int ar, int ak, const f32 *b, int ldb, f32 *c, int ldc, int acc) { \
    v128_t s[R][V];                                                                                         \
    for (int r = 0; r < R; r++)                                                                             \
      for (int v = 0; v < V; v++) s[r][v] = acc ? wasm_v128_load(c + r * ldc + 4 * v) : wasm_f32x4_splat(0); \
    for (int k = 0; k < kc; k++) {                                                                          \
      v128_t bv[V];                                                                                         \
      for (int v = 0; v < V; v++) bv[v] = wasm_v128_load(b + 4 * v);                                        \
      for (int r = 0; r < R; r++) {                                                                         \
        v128_t x = wasm_v128_load32_splat(a + r * ar);                                                      \
        for (int v = 0; v < V; v++) s[r][v] = MADD(x, bv[v], s[r][v]);                                   \
      }                                                                                                     \
      a += ak;                                                                                              \
      b += ldb;                                                                                             \
    }                                                                                                       \
    for (int r = 0; r < R; r++)                                                                             \
      for (int v = 0; v < V; v++) wasm_v128_store(c + r * ldc + 4 * v, s[r][v]);                            \
  }
TILE(tile4x8, 4, 2)
TILE(tile1x8, 1, 2)
TILE(tile4x4, 4, 1)
TILE(tile1x4, 1, 1)

static inline void tile_scalar(int rows, int kc, const f32 *a, int ar, int ak, const f32 *b, int ldb, f32 *c, int ldc, int acc) {
  for (int r = 0; r < rows; r++) {
    f32 s = acc ? c[r * ldc] : 0.0f;
    const f32 *ap = a + r * ar;
    const f32 *bp = b;
    for (int k = 0; k < kc; k++, ap += ak, bp += ldb) s += *ap * *bp;
    c[r * ldc] = s;
  }
}

// One K block of rows [m0, m1): ar/ak are A's strides along rows of op(A) and along K.
static void gemm_block(int m0, int m1, int N, int kc, const f32 *A, int ar, int ak, const f32 *B, int ldb, f32 *C, int ldc, int acc) {
  int n = 0;
  for (; n + 8 <= N; n += 8) {
    int m = m0;
    for (; m + 4 <= m1; m += 4) tile4x8(kc, A + m * ar, ar, ak, B + n, ldb, C + m * ldc + n, ldc, acc);
    for (; m < m1; m++) tile1x8(kc, A + m * ar, ar, ak, B + n, ldb, C + m * ldc + n, ldc, acc);
  }
  for (; n + 4 <= N; n += 4) {
    int m = m0;
    for (; m + 4 <= m1; m += 4) tile4x4(kc, A + m * ar, ar, ak, B + n, ldb, C + m * ldc + n, ldc, acc);
    for (; m < m1; m++) tile1x4(kc, A + m * ar, ar, ak, B + n, ldb, C + m * ldc + n, ldc, acc);
  }
  for (; n < N; n++) tile_scalar(m1 - m0, kc, A + m0 * ar, ar, ak, B + n, ldb, C + m0 * ldc + n, ldc, acc);
}

static void gemm(int M, int N, int K, const f32 *A, int lda, int transA, const f32 *B, int ldb, f32 *C, int ldc, int acc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!acc)
      for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) C[m * ldc + n] = 0;
    return;
  }
  const int ar = transA ? 1 : lda;
  const int ak = transA ? lda : 1;
  for (int k0 = 0; k0 < K; k0 += KC) {
    const int kc = min_i(KC, K - k0);
    const f32 *Ak = A + k0 * ak;
    const f32 *Bk = B + k0 * ldb;
    for (int m0 = 0; m0 < M; m0 += MC) gemm_block(m0, min_i(M, m0 + MC), N, kc, Ak, ar, ak, Bk, ldb, C, ldc, acc || k0 > 0);
  }
}

// ---- helpers ----
static void fill(f32 *p, int n, f32 v) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(p + i, SPLAT(v));
  for (; i < n; i++) p[i] = v;
}

static void copy(f32 *dst, const f32 *src, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dst + i, wasm_v128_load(src + i));
  for (; i < n; i++) dst[i] = src[i];
}

/** dst[j] = a[j] * s[j] (s may be null: a copy). */
static void mul_into(f32 *dst, const f32 *a, const f32 *s, int n) {
  if (!s) {
    copy(dst, a, n);
    return;
  }
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dst + i, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(s + i)));
  for (; i < n; i++) dst[i] = a[i] * s[i];
}

// Loads and stores of up to 4 floats at the end of a row, through a zero-padded temporary (no reads past it).
static inline v128_t load_n(const f32 *p, int n) {
  if (n == 4) return wasm_v128_load(p);
  f32 t[4] = {0, 0, 0, 0};
  for (int i = 0; i < n; i++) t[i] = p[i];
  return wasm_v128_load(t);
}
static inline void store_n(f32 *p, v128_t v, int n) {
  if (n == 4) {
    wasm_v128_store(p, v);
    return;
  }
  f32 t[4];
  wasm_v128_store(t, v);
  for (int i = 0; i < n; i++) p[i] = t[i];
}

typedef struct {
  int B, T, E, U, G, S, sigmoid, back, has_mask, has_rm;
  const f32 *x, *w, *rk, *bias, *mask, *rm;
  f32 *h, *state;
} Fwd;

static Fwd fwd_of(const i32 *p, int gates, int state_width) {
  Fwd f;
  f.B = p[P_B];
  f.T = p[P_T];
  f.E = p[P_E];
  f.U = p[P_U];
  f.G = gates * f.U;
  f.S = state_width * f.U;
  f.sigmoid = (p[P_FLAGS] & F_SIGMOID) != 0;
  f.back = (p[P_FLAGS] & F_BACK) != 0;
  f.has_mask = (p[P_FLAGS] & F_MASK) != 0;
  f.has_rm = (p[P_FLAGS] & F_RM) != 0;
  f.x = PTR(p, P_X);
  f.w = PTR(p, P_W);
  f.rk = PTR(p, P_RK);
  f.bias = PTR(p, P_BIAS);
  f.mask = f.has_mask ? PTR(p, P_MASK) : 0;
  f.rm = f.has_rm ? PTR(p, P_RM) : 0;
  f.h = PTR(p, P_H);
  f.state = PTR(p, P_STATE);
  return f;
}

static inline int is_real(const Fwd *f, int b, int t) { return !f->has_mask || f->mask[b * f->T + t] != 0; }

/**
 * One past the last row of b0..b1 that is real at step t (b0 when none is). Rows sorted by length, longest first
 * (the classifier sorts them so), make the real rows of every step a prefix of the slice: the step's products then
 * run on those rows only, not on the padding of the short ones.
 */
static int real_end(const Fwd *f, int b0, int b1, int t) {
  if (!f->has_mask) return b1;
  for (int b = b1; b > b0; b--)
    if (f->mask[(b - 1) * f->T + t] != 0) return b;
  return b0;
}

/** state[rows, 0:G] = bias + x[rows] · W for the slice's rows (b0..b1, every t). */
static void input_projection(const Fwd *f, int b0, int b1) {
  const int rows = (b1 - b0) * f->T;
  f32 *out = f->state + b0 * f->T * f->S;
  for (int r = 0; r < rows; r++) copy(out + r * f->S, f->bias, f->G);
  gemm(rows, f->G, f->E, f->x + b0 * f->T * f->E, f->E, 0, f->w, f->G, out, f->S, 1);
}

/**
 * The recurrent operand at step t for rows b0..b1: h at the previous processed step, times the recurrent dropout
 * mask. Points into h directly (row stride T·U) when there is no mask to apply, else fills `tmp` (stride U).
 */
static const f32 *recurrent_operand(const Fwd *f, int b0, int b1, int t_prev, f32 *tmp, int *ld) {
  const int U = f->U;
  if (!f->has_rm) {
    *ld = f->T * U;
    return f->h + (b0 * f->T + t_prev) * U;
  }
  for (int b = b0; b < b1; b++) mul_into(tmp + (b - b0) * U, f->h + (b * f->T + t_prev) * U, f->rm + b * U, U);
  *ld = U;
  return tmp;
}

static void carry(const Fwd *f, int b, int t, int t_prev, int first, int c_offset) {
  const int U = f->U;
  f32 *h = f->h + (b * f->T + t) * U;
  if (first) fill(h, U, 0);
  else copy(h, f->h + (b * f->T + t_prev) * U, U);
  if (c_offset >= 0) {
    f32 *c = f->state + (b * f->T + t) * f->S + c_offset;
    if (first) fill(c, U, 0);
    else copy(c, f->state + (b * f->T + t_prev) * f->S + c_offset, U);
  }
}

// ---- LSTM ----

static void lstm_forward(const i32 *p, int thread) {
  const Fwd f = fwd_of(p, 4, 6);
  const int b0 = SLICE(p, thread, 0), b1 = SLICE(p, thread, 1);
  if (b1 <= b0) return;
  f32 *tmp = PTR(p, P_SLICES + 4 * thread + 2);
  const int T = f.T, U = f.U, S = f.S;
  input_projection(&f, b0, b1);
  for (int s = 0; s < T; s++) {
    const int t = f.back ? T - 1 - s : s;
    const int t_prev = f.back ? t + 1 : t - 1;
    const int first = s == 0;
    const int end = real_end(&f, b0, b1, t);
    const int real = end > b0;
    if (real && !first) {
      int ld;
      const f32 *a = recurrent_operand(&f, b0, end, t_prev, tmp, &ld);
      gemm(end - b0, 4 * U, U, a, ld, 0, f.rk, 4 * U, f.state + (b0 * T + t) * S, T * S, 1);
    }
    for (int b = b0; b < b1; b++) {
      if (!real || !is_real(&f, b, t)) {
        carry(&f, b, t, t_prev, first, 4 * U);
        continue;
      }
      f32 *g = f.state + (b * T + t) * S;
      const f32 *c_prev = first ? 0 : f.state + (b * T + t_prev) * S + 4 * U;
      f32 *h = f.h + (b * T + t) * U;
      for (int j = 0; j < U; j += 4) {
        const int n = min_i(4, U - j);
        v128_t i = v_gate(load_n(g + j, n), f.sigmoid);
        v128_t fg = v_gate(load_n(g + U + j, n), f.sigmoid);
        v128_t gg = v_tanh(load_n(g + 2 * U + j, n));
        v128_t o = v_gate(load_n(g + 3 * U + j, n), f.sigmoid);
        v128_t cp = first ? SPLAT(0) : load_n(c_prev + j, n);
        v128_t c = wasm_f32x4_add(wasm_f32x4_mul(fg, cp), wasm_f32x4_mul(i, gg));
        v128_t tc = v_tanh(c);
        store_n(g + j, i, n);
        store_n(g + U + j, fg, n);
        store_n(g + 2 * U + j, gg, n);
        store_n(g + 3 * U + j, o, n);
        store_n(g + 4 * U + j, c, n);
        store_n(g + 5 * U + j, tc, n);
        store_n(h + j, wasm_f32x4_mul(o, tc), n);
      }
    }
  }
}

typedef struct {
  Fwd f;
  const f32 *dy, *wt, *rkt;
  f32 *dx, *dz, *hd, *rh;
} Bwd;

static Bwd bwd_of(const i32 *p, int gates, int state_width) {
  Bwd k;
  k.f = fwd_of(p, gates, state_width);
  k.dy = PTR(p, P_DY);
  k.wt = PTR(p, P_WT);
  k.rkt = PTR(p, P_RKT);
  k.dx = PTR(p, P_DX);
  k.dz = PTR(p, P_DZ);
  k.hd = PTR(p, P_HD);
  k.rh = PTR(p, P_RH);
  return k;
}

/** The slice's share of the weight gradients into its partial buffer, and dx for its rows. */
static void weight_gradients(const Bwd *k, int b0, int b1, f32 *partial, int lstm) {
  const Fwd *f = &k->f;
  const int T = f->T, E = f->E, U = f->U, G = f->G;
  const int rows = (b1 - b0) * T;
  const int r0 = b0 * T;
  f32 *dW = partial, *dU = partial + E * G, *db = partial + (E + U) * G;
  // dx = dz · Wᵀ
  gemm(rows, E, G, k->dz + r0 * G, G, 0, k->wt, E, k->dx + r0 * E, E, 0);
  // dW = xᵀ · dz
  gemm(E, G, rows, f->x + r0 * E, E, 1, k->dz + r0 * G, G, dW, G, 0);
  if (lstm) {
    gemm(U, G, rows, k->hd + r0 * U, U, 1, k->dz + r0 * G, G, dU, G, 0);
  } else {
    // GRU: [dU_z | dU_r] = hdᵀ · [dz | dr]; dU_h = (r⊙hd)ᵀ · dh~
    gemm(U, 2 * U, rows, k->hd + r0 * U, U, 1, k->dz + r0 * G, G, dU, G, 0);
    gemm(U, U, rows, k->rh + r0 * U, U, 1, k->dz + r0 * G + 2 * U, G, dU + 2 * U, G, 0);
  }
  fill(db, G, 0);
  for (int r = r0; r < r0 + rows; r++) {
    const f32 *d = k->dz + r * G;
    int j = 0;
    for (; j + 4 <= G; j += 4) wasm_v128_store(db + j, wasm_f32x4_add(wasm_v128_load(db + j), wasm_v128_load(d + j)));
    for (; j < G; j++) db[j] += d[j];
  }
}

static void lstm_backward(const i32 *p, int thread) {
  const Bwd k = bwd_of(p, 4, 6);
  const Fwd *f = &k.f;
  const int b0 = SLICE(p, thread, 0), b1 = SLICE(p, thread, 1);
  if (b1 <= b0) return;
  const int nb = b1 - b0;
  const int T = f->T, U = f->U, G = f->G, S = f->S;
  f32 *scratch = PTR(p, P_SLICES + 4 * thread + 2);
  f32 *dh_next = scratch, *dc_next = scratch + nb * U, *dhd = scratch + 2 * nb * U, *dh = scratch + 3 * nb * U;
  fill(dh_next, nb * U, 0);
  fill(dc_next, nb * U, 0);
  for (int s = T - 1; s >= 0; s--) {
    const int t = f->back ? T - 1 - s : s;
    const int t_prev = f->back ? t + 1 : t - 1;
    const int first = s == 0;
    int any = 0;
    for (int b = b0; b < b1; b++) {
      const int row = b * T + t;
      f32 *dhb = dh + (b - b0) * U;
      // dh_t = what flows back from step t+1 plus the loss's own gradient at t.
      for (int j = 0; j < U; j += 4) {
        const int n = min_i(4, U - j);
        store_n(dhb + j, wasm_f32x4_add(load_n(dh_next + (b - b0) * U + j, n), load_n(k.dy + row * U + j, n)), n);
      }
      f32 *dz = k.dz + row * G;
      f32 *hd = k.hd + row * U;
      if (!is_real(f, b, t)) {
        // Padded step: h_t = h_prev and c_t = c_prev, so both gradients pass straight through.
        copy(dh_next + (b - b0) * U, dhb, U);
        fill(dz, G, 0);
        fill(hd, U, 0);
        continue;
      }
      any = 1;
      const f32 *st = f->state + row * S;
      const f32 *c_prev = first ? 0 : f->state + (b * T + t_prev) * S + 4 * U;
      const f32 *h_prev = first ? 0 : f->h + (b * T + t_prev) * U;
      f32 *dcb = dc_next + (b - b0) * U;
      for (int j = 0; j < U; j += 4) {
        const int n = min_i(4, U - j);
        v128_t i = load_n(st + j, n), fg = load_n(st + U + j, n), g = load_n(st + 2 * U + j, n), o = load_n(st + 3 * U + j, n);
        v128_t tc = load_n(st + 5 * U + j, n);
        v128_t cp = first ? SPLAT(0) : load_n(c_prev + j, n);
        v128_t d = load_n(dhb + j, n);
        v128_t dc = wasm_f32x4_add(load_n(dcb + j, n), wasm_f32x4_mul(wasm_f32x4_mul(d, o), wasm_f32x4_sub(SPLAT(1), wasm_f32x4_mul(tc, tc))));
        store_n(dz + j, wasm_f32x4_mul(wasm_f32x4_mul(dc, g), v_gate_grad(i, f->sigmoid)), n);
        store_n(dz + U + j, wasm_f32x4_mul(wasm_f32x4_mul(dc, cp), v_gate_grad(fg, f->sigmoid)), n);
        store_n(dz + 2 * U + j, wasm_f32x4_mul(wasm_f32x4_mul(dc, i), wasm_f32x4_sub(SPLAT(1), wasm_f32x4_mul(g, g))), n);
        store_n(dz + 3 * U + j, wasm_f32x4_mul(wasm_f32x4_mul(d, tc), v_gate_grad(o, f->sigmoid)), n);
        store_n(dcb + j, wasm_f32x4_mul(dc, fg), n);
        v128_t hp = first ? SPLAT(0) : load_n(h_prev + j, n);
        store_n(hd + j, f->has_rm ? wasm_f32x4_mul(hp, load_n(f->rm + b * U + j, n)) : hp, n);
      }
    }
    if (first || !any) continue;
    // d(hd) = dz · Urᵀ for the slice's rows at t, then through the recurrent dropout mask.
    gemm(nb, U, G, k.dz + (b0 * T + t) * G, T * G, 0, k.rkt, U, dhd, U, 0);
    for (int b = b0; b < b1; b++) {
      if (!is_real(f, b, t)) continue;
      mul_into(dh_next + (b - b0) * U, dhd + (b - b0) * U, f->has_rm ? f->rm + b * U : 0, U);
    }
  }
  weight_gradients(&k, b0, b1, PTR(p, P_SLICES + 4 * thread + 3), 1);
}

// ---- GRU ----

static void gru_forward(const i32 *p, int thread) {
  const Fwd f = fwd_of(p, 3, 3);
  const int b0 = SLICE(p, thread, 0), b1 = SLICE(p, thread, 1);
  if (b1 <= b0) return;
  const int nb = b1 - b0;
  const int T = f.T, U = f.U, S = f.S;
  f32 *scratch = PTR(p, P_SLICES + 4 * thread + 2);
  f32 *hd = scratch, *rh = scratch + nb * U;
  input_projection(&f, b0, b1);
  for (int s = 0; s < T; s++) {
    const int t = f.back ? T - 1 - s : s;
    const int t_prev = f.back ? t + 1 : t - 1;
    const int first = s == 0;
    const int end = real_end(&f, b0, b1, t);
    if (end == b0) {
      for (int b = b0; b < b1; b++) carry(&f, b, t, t_prev, first, -1);
      continue;
    }
    const int ne = end - b0;
    f32 *rows = f.state + (b0 * T + t) * S;
    if (first) {
      fill(hd, ne * U, 0);
    } else {
      for (int b = b0; b < end; b++) mul_into(hd + (b - b0) * U, f.h + (b * T + t_prev) * U, f.has_rm ? f.rm + b * U : 0, U);
      // [z | r] pre-activations += hd · Ur[:, 0:2U]
      gemm(ne, 2 * U, U, hd, U, 0, f.rk, 3 * U, rows, T * S, 1);
    }
    for (int b = b0; b < end; b++) {
      f32 *g = f.state + (b * T + t) * S;
      const f32 *hdb = hd + (b - b0) * U;
      f32 *rhb = rh + (b - b0) * U;
      if (!is_real(&f, b, t)) {
        fill(rhb, U, 0);
        continue;
      }
      for (int j = 0; j < U; j += 4) {
        const int n = min_i(4, U - j);
        v128_t z = v_gate(load_n(g + j, n), f.sigmoid);
        v128_t r = v_gate(load_n(g + U + j, n), f.sigmoid);
        store_n(g + j, z, n);
        store_n(g + U + j, r, n);
        store_n(rhb + j, wasm_f32x4_mul(r, load_n(hdb + j, n)), n);
      }
    }
    // h~ pre-activation += (r⊙hd) · Ur[:, 2U:3U] (zero at the first step: hd is zero there)
    if (!first) gemm(ne, U, U, rh, U, 0, f.rk + 2 * U, 3 * U, rows + 2 * U, T * S, 1);
    for (int b = b0; b < b1; b++) {
      if (b >= end || !is_real(&f, b, t)) {
        carry(&f, b, t, t_prev, first, -1);
        continue;
      }
      f32 *g = f.state + (b * T + t) * S;
      const f32 *hdb = hd + (b - b0) * U;
      f32 *h = f.h + (b * T + t) * U;
      for (int j = 0; j < U; j += 4) {
        const int n = min_i(4, U - j);
        v128_t z = load_n(g + j, n);
        v128_t hh = v_tanh(load_n(g + 2 * U + j, n));
        store_n(g + 2 * U + j, hh, n);
        store_n(h + j, wasm_f32x4_add(wasm_f32x4_mul(z, load_n(hdb + j, n)), wasm_f32x4_mul(wasm_f32x4_sub(SPLAT(1), z), hh)), n);
      }
    }
  }
}

static void gru_backward(const i32 *p, int thread) {
  const Bwd k = bwd_of(p, 3, 3);
  const Fwd *f = &k.f;
  const int b0 = SLICE(p, thread, 0), b1 = SLICE(p, thread, 1);
  if (b1 <= b0) return;
  const int nb = b1 - b0;
  const int T = f->T, U = f->U, G = f->G, S = f->S;
  f32 *scratch = PTR(p, P_SLICES + 4 * thread + 2);
  f32 *dh_next = scratch, *dh = scratch + nb * U, *tmp = scratch + 2 * nb * U;
  fill(dh_next, nb * U, 0);
  for (int s = T - 1; s >= 0; s--) {
    const int t = f->back ? T - 1 - s : s;
    const int t_prev = f->back ? t + 1 : t - 1;
    const int first = s == 0;
    int any = 0;
    for (int b = b0; b < b1; b++) {
      const int row = b * T + t;
      f32 *dhb = dh + (b - b0) * U;
      f32 *hd = k.hd + row * U;
      f32 *dz = k.dz + row * G;
      const f32 *h_prev = first ? 0 : f->h + (b * T + t_prev) * U;
      for (int j = 0; j < U; j += 4) {
        const int n = min_i(4, U - j);
        store_n(dhb + j, wasm_f32x4_add(load_n(dh_next + (b - b0) * U + j, n), load_n(k.dy + row * U + j, n)), n);
      }
      if (!is_real(f, b, t)) {
        fill(dz, G, 0);
        fill(hd, U, 0);
        fill(k.rh + row * U, U, 0);
        continue;
      }
      any = 1;
      if (first) fill(hd, U, 0);
      else mul_into(hd, h_prev, f->has_rm ? f->rm + b * U : 0, U);
      const f32 *st = f->state + row * S;
      // dh~ pre-activation = dh · (1 − z) · (1 − h~²)
      for (int j = 0; j < U; j += 4) {
        const int n = min_i(4, U - j);
        v128_t z = load_n(st + j, n), hh = load_n(st + 2 * U + j, n), d = load_n(dhb + j, n);
        store_n(dz + 2 * U + j, wasm_f32x4_mul(wasm_f32x4_mul(d, wasm_f32x4_sub(SPLAT(1), z)), wasm_f32x4_sub(SPLAT(1), wasm_f32x4_mul(hh, hh))), n);
      }
    }
    if (!any) {
      copy(dh_next, dh, nb * U);
      continue;
    }
    // d(r⊙hd) = dh~ · U_hᵀ (U_hᵀ = rows 2U..3U of Urᵀ); hd is zero at the first step, so nothing flows there.
    if (!first) gemm(nb, U, U, k.dz + (b0 * T + t) * G + 2 * U, T * G, 0, k.rkt + 2 * U * U, U, tmp, U, 0);
    for (int b = b0; b < b1; b++) {
      const int row = b * T + t;
      f32 *dnb = dh_next + (b - b0) * U;
      const f32 *dhb = dh + (b - b0) * U;
      if (!is_real(f, b, t)) {
        // Padded step: h_t = h_prev, the gradient passes straight through.
        copy(dnb, dhb, U);
        continue;
      }
      const f32 *st = f->state + row * S;
      const f32 *hd = k.hd + row * U;
      const f32 *drh = tmp + (b - b0) * U;
      f32 *dz = k.dz + row * G;
      f32 *rh = k.rh + row * U;
      for (int j = 0; j < U; j += 4) {
        const int n = min_i(4, U - j);
        v128_t z = load_n(st + j, n), r = load_n(st + U + j, n), hh = load_n(st + 2 * U + j, n);
        v128_t hdj = load_n(hd + j, n), d = load_n(dhb + j, n);
        v128_t dr = first ? SPLAT(0) : load_n(drh + j, n);
        store_n(dz + j, wasm_f32x4_mul(wasm_f32x4_mul(d, wasm_f32x4_sub(hdj, hh)), v_gate_grad(z, f->sigmoid)), n);
        store_n(dz + U + j, wasm_f32x4_mul(wasm_f32x4_mul(dr, hdj), v_gate_grad(r, f->sigmoid)), n);
        store_n(rh + j, wasm_f32x4_mul(r, hdj), n);
        // The parts of d(hd) that need no product: through z⊙hd and through r⊙hd.
        store_n(dnb + j, wasm_f32x4_add(wasm_f32x4_mul(d, z), wasm_f32x4_mul(dr, r)), n);
      }
    }
    if (first) continue;
    // ... plus [dz | dr] · U_zrᵀ (rows 0..2U of Urᵀ), then through the recurrent dropout mask.
    gemm(nb, U, 2 * U, k.dz + (b0 * T + t) * G, T * G, 0, k.rkt, U, tmp, U, 0);
    for (int b = b0; b < b1; b++) {
      if (!is_real(f, b, t)) continue;
      f32 *dnb = dh_next + (b - b0) * U;
      const f32 *back = tmp + (b - b0) * U;
      const f32 *rm = f->has_rm ? f->rm + b * U : 0;
      for (int j = 0; j < U; j += 4) {
        const int n = min_i(4, U - j);
        v128_t v = wasm_f32x4_add(load_n(dnb + j, n), load_n(back + j, n));
        store_n(dnb + j, rm ? wasm_f32x4_mul(v, load_n(rm + j, n)) : v, n);
      }
    }
  }
  weight_gradients(&k, b0, b1, PTR(p, P_SLICES + 4 * thread + 3), 0);
}

// ---- exports ----

enum { FN_LSTM_FORWARD, FN_LSTM_BACKWARD, FN_GRU_FORWARD, FN_GRU_BACKWARD };

/** Runs one kernel on one thread's slice (the same call in every thread, each with its own `thread`). */
__attribute__((export_name("run"))) void run(i32 fn, const i32 *p, i32 thread) {
  switch (fn) {
    case FN_LSTM_FORWARD: lstm_forward(p, thread); break;
    case FN_LSTM_BACKWARD: lstm_backward(p, thread); break;
    case FN_GRU_FORWARD: gru_forward(p, thread); break;
    case FN_GRU_BACKWARD: gru_backward(p, thread); break;
    default: break;
  }
}

/** dst [cols, rows] = the transpose of src [rows, cols]. */
__attribute__((export_name("transpose"))) void transpose(const f32 *src, f32 *dst, i32 rows, i32 cols) {
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
}

/** out[0:n] = the sum of every thread's partial weight gradients (n floats each). */
__attribute__((export_name("sum_partials"))) void sum_partials(const i32 *p, f32 *out, i32 n) {
  const int threads = p[P_THREADS];
  copy(out, PTR(p, P_SLICES + 3), n);
  for (int i = 1; i < threads; i++) {
    const f32 *part = PTR(p, P_SLICES + 4 * i + 3);
    if (SLICE(p, i, 1) <= SLICE(p, i, 0)) continue;
    int j = 0;
    for (; j + 4 <= n; j += 4) wasm_v128_store(out + j, wasm_f32x4_add(wasm_v128_load(out + j), wasm_v128_load(part + j)));
    for (; j < n; j++) out[j] += part[j];
  }
}
