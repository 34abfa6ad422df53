// Fused LSTM and GRU, forward and backward, in WebAssembly with 128-bit SIMD. The contract and the math are
// those of ../rnn-op.ts; rnn-wasm.ts drives this module. Built by build.mjs (clang --target=wasm32 -msimd128);
// the .wasm files next to this source are its output and a test rebuilds them and compares bytes.
//
// Memory: the module imports its memory. JavaScript owns the layout: it writes a parameter block (int32 slots,
// the P_* indices below), allocates every buffer, and gives each thread a batch slice [b0, b1) and its own
// scratch. There is no allocator and no static data here, so the same module can run in several threads over
// one shared memory, each instance with its own stack (JavaScript sets __stack_pointer).
//
// Layouts (row-major float32): W [E,G]; Ur [U,G] (the recurrent kernel); bias [G]; mask [B,T] (row b*T + t);
// rm [B,U]; x [B,T,E] as TensorFlow.js gives it (row b*T + t). TensorFlow.js's dy comes in at P_DYIN and its h and
// dx go out at P_HOUT / P_DXOUT, [B,T,·], written step by step while the rows are in cache. What the time loop keeps
// (h at P_H, dy at P_DY, the state) is time-major within each thread's slice (row_of: the slice's block starts at
// row b0*T and step t's nb rows follow each other): the state is LSTM [.,6U] = i f g o (activated) | c | tanh(c),
// GRU [.,3U] = z r h~; G = 4U (LSTM) or 3U (GRU). A backward must run with the slices of its forward (the saved h
// and state are laid out by them). The whole time loop of a slice runs here, step by step: the input and recurrent
// products of a step, its gates, and in the backward its gradients (dx, dW, dU, db) while its rows are in cache.
#include <stdint.h>
#include <wasm_simd128.h>

typedef float f32;
typedef int32_t i32;

// ---- parameter block (keep in step with rnn-wasm.ts) ----
enum {
  P_B, P_T, P_E, P_U, P_FLAGS,
  P_X, P_W, P_RK, P_BIAS, P_MASK, P_RM, P_H, P_STATE,
  P_DY, P_WT, P_RKT, P_HOUT, P_DYIN, P_DXOUT,
  P_THREADS,
  P_SLICES, // then per thread: b0, b1, scratch, partial
};
enum { F_SIGMOID = 1, F_BACK = 2, F_MASK = 4, F_RM = 8 };
#define SLICE(p, i, k) ((p)[P_SLICES + 4 * (i) + (k)])

#define PTR(p, k) ((f32 *)(uintptr_t)(p)[k])

static inline int min_i(int a, int b) { return a < b ? a : b; }

// ---- vector math ----
#define SPLAT(v) wasm_f32x4_splat(v)
// Clamps use pmin/pmax (one minps/maxps on x64; f32x4.min/max must order NaN and ±0 and take ~7 instructions) with
// the value first: pmin(x, c) = c < x ? c : x keeps a NaN x, so a diverging run still shows NaN.

// exp with Cephes' single-precision polynomial (range reduction by ln 2): relative error under 1e-7 on [-88, 88].
// 2^n is built by adding n + 127 to 2^23 and shifting the float's bits: wasm's float-to-int conversion saturates,
// which V8 lowers to a long instruction sequence on x64.
static inline v128_t v_exp(v128_t x) {
  x = wasm_f32x4_pmin(x, SPLAT(88.3762626647949f));
  x = wasm_f32x4_pmax(x, SPLAT(-88.3762626647949f));
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
  v128_t x = wasm_f32x4_pmax(wasm_f32x4_pmin(a, SPLAT(9.0f)), SPLAT(-9.0f));
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
  return wasm_f32x4_pmin(wasm_f32x4_pmax(y, SPLAT(0.0f)), SPLAT(1.0f));
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
  // The slice: rows b0..b1 (nb of them); its block of every time-major buffer starts at row b0·T.
  int b0, b1, nb;
} Fwd;

static Fwd fwd_of(const i32 *p, int gates, int state_width, int thread) {
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
  f.b0 = SLICE(p, thread, 0);
  f.b1 = SLICE(p, thread, 1);
  f.nb = f.b1 - f.b0;
  return f;
}

/**
 * Row of (t, b) in the time-major buffers: within the slice's block (b0·T .. b1·T), step t's rows are the nb rows
 * b0..b1 in order, so every step of the time loop reads and writes contiguous rows (a [B,T] layout put them T rows
 * apart: 100-150 KB at 100 steps, a cache miss and often a TLB miss per row).
 */
static inline int row_of(const Fwd *f, int t, int b) { return f->b0 * f->T + t * f->nb + (b - f->b0); }

/** Batch-major [B,T,F] rows of the slice into its time-major rows. */
static void to_time_major(const Fwd *f, const f32 *src, f32 *dst, int F) {
  for (int b = f->b0; b < f->b1; b++)
    for (int t = 0; t < f->T; t++) copy(dst + row_of(f, t, b) * F, src + (b * f->T + t) * F, F);
}

/** Step t's h rows (time-major, from row r) into TensorFlow.js's [B,T,U] output while they are in cache. */
static void h_out_step(const Fwd *f, f32 *out, int r, int t) {
  for (int b = f->b0; b < f->b1; b++) copy(out + (b * f->T + t) * f->U, f->h + (r + b - f->b0) * f->U, f->U);
}

static inline int is_real(const Fwd *f, int b, int t) { return !f->has_mask || f->mask[b * f->T + t] != 0; }

/**
 * One past the last row of b0..b1 that is real at step t (b0 when none is). Rows sorted by length, longest first
 * (the classifier sorts them so), make the real rows of every step a prefix of the slice: the step's products then
 * run on those rows only, not on the padding of the short ones.
 */
static int real_end(const Fwd *f, int t) {
  if (!f->has_mask) return f->b1;
  for (int b = f->b1; b > f->b0; b--)
    if (f->mask[(b - 1) * f->T + t] != 0) return b;
  return f->b0;
}

/**
 * Rows b0..end of step t (from row r of the state): bias + x_t · W, x read in place from TensorFlow.js's [B,T,E]
 * (row stride T·E). Step by step rather than one product over every step: the pre-activations stay in cache for
 * the recurrent product and the gates instead of going out to memory and back, and padding rows cost nothing.
 */
static void input_step(const Fwd *f, int r, int t, int end) {
  f32 *out = f->state + r * f->S;
  for (int b = f->b0; b < end; b++) copy(out + (b - f->b0) * f->S, f->bias, f->G);
  gemm(end - f->b0, f->G, f->E, f->x + (f->b0 * f->T + t) * f->E, f->T * f->E, 0, f->w, f->G, out, f->S, 1);
}

/**
 * The recurrent operand at step t for rows b0..end: h at the previous processed step (rows from r_prev), times the
 * recurrent dropout mask. Points into h directly when there is no mask to apply, else fills `tmp`. Row stride U.
 */
static const f32 *recurrent_operand(const Fwd *f, int end, int r_prev, f32 *tmp) {
  const int U = f->U;
  if (!f->has_rm) return f->h + r_prev * U;
  for (int b = f->b0; b < end; b++) mul_into(tmp + (b - f->b0) * U, f->h + (r_prev + b - f->b0) * U, f->rm + b * U, U);
  return tmp;
}

/** A padded (or all-padding) step: h and c (at c_offset in the state row; -1: none) carry over, zero at the first. */
static void carry(const Fwd *f, int row, int prow, int first, int c_offset) {
  const int U = f->U;
  f32 *h = f->h + row * U;
  if (first) fill(h, U, 0);
  else copy(h, f->h + prow * U, U);
  if (c_offset >= 0) {
    f32 *c = f->state + row * f->S + c_offset;
    if (first) fill(c, U, 0);
    else copy(c, f->state + prow * f->S + c_offset, U);
  }
}

// ---- LSTM ----

static void lstm_forward(const i32 *p, int thread) {
  const Fwd f = fwd_of(p, 4, 6, thread);
  const int b0 = f.b0, b1 = f.b1;
  if (b1 <= b0) return;
  f32 *scratch = PTR(p, P_SLICES + 4 * thread + 2);
  const int T = f.T, U = f.U, S = f.S;
  for (int s = 0; s < T; s++) {
    const int t = f.back ? T - 1 - s : s;
    const int t_prev = f.back ? t + 1 : t - 1;
    const int first = s == 0;
    const int end = real_end(&f, t);
    const int real = end > b0;
    const int r = row_of(&f, t, b0), rp = first ? 0 : row_of(&f, t_prev, b0);
    if (real) {
      input_step(&f, r, t, end);
      if (!first) gemm(end - b0, 4 * U, U, recurrent_operand(&f, end, rp, scratch), U, 0, f.rk, 4 * U, f.state + r * S, S, 1);
    }
    for (int b = b0; b < b1; b++) {
      const int row = r + (b - b0), prow = rp + (b - b0);
      if (b >= end || !is_real(&f, b, t)) {
        carry(&f, row, prow, first, 4 * U);
        continue;
      }
      f32 *g = f.state + row * S;
      const f32 *c_prev = first ? 0 : f.state + prow * S + 4 * U;
      f32 *h = f.h + row * U;
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
    h_out_step(&f, PTR(p, P_HOUT), r, t);
  }
}

typedef struct {
  Fwd f;
  const f32 *dy, *wt, *rkt;
  f32 *dx;
  // This step's gradients and recurrent operands (the slice's nb rows; backward scratch).
  f32 *dz, *hd, *rh;
  // The slice's partial weight gradients: dW [E,G], dU [U,G], db [G].
  f32 *dW, *dU, *db;
} Bwd;

static Bwd bwd_of(const i32 *p, int gates, int state_width, int thread, f32 *step_scratch) {
  Bwd k;
  k.f = fwd_of(p, gates, state_width, thread);
  const int nb = k.f.nb, U = k.f.U, G = k.f.G, E = k.f.E;
  k.dy = PTR(p, P_DY);
  k.wt = PTR(p, P_WT);
  k.rkt = PTR(p, P_RKT);
  k.dx = PTR(p, P_DXOUT);
  k.dz = step_scratch;
  k.hd = step_scratch + nb * G;
  k.rh = step_scratch + nb * (G + U);
  k.dW = PTR(p, P_SLICES + 4 * thread + 3);
  k.dU = k.dW + E * G;
  k.db = k.dU + U * G;
  fill(k.dW, (E + U + 1) * G, 0);
  return k;
}

/**
 * Step t's share of every gradient that is a sum over rows, taken while dz_t is in cache: dx_t = dz_t · Wᵀ (into
 * TensorFlow.js's [B,T,E] rows), dW += x_tᵀ · dz_t, dU += hd_tᵀ · dz_t (GRU: the h~ columns from (r⊙hd)_t), db.
 * Only rows b0..end (real_end: rows past it are padding at t) enter the products: the others have dz_t = 0, so
 * they add exact zeros to dW, dU and db and their dx_t rows are zero (written as such). With rows sorted longest
 * first that is the backward's share of the forward's saving on padding (a batch of sentences half padding did
 * every product on every row). At the first step (`first`) hd is zero, so dU gets nothing and is left alone.
 */
static void step_gradients(const Bwd *k, int t, int end, int first, int lstm) {
  const Fwd *f = &k->f;
  const int nb = f->nb, ne = end - f->b0, T = f->T, E = f->E, U = f->U, G = f->G;
  const f32 *x_t = f->x + (f->b0 * T + t) * E;
  f32 *dx_t = k->dx + (f->b0 * T + t) * E;
  gemm(ne, E, G, k->dz, G, 0, k->wt, E, dx_t, T * E, 0);
  for (int i = ne; i < nb; i++) fill(dx_t + i * T * E, E, 0);
  gemm(E, G, ne, x_t, T * E, 1, k->dz, G, k->dW, G, 1);
  if (first) {
    // hd = 0 (and r⊙hd = 0): no share of dU.
  } else if (lstm) {
    gemm(U, G, ne, k->hd, U, 1, k->dz, G, k->dU, G, 1);
  } else {
    gemm(U, 2 * U, ne, k->hd, U, 1, k->dz, G, k->dU, G, 1);
    gemm(U, U, ne, k->rh, U, 1, k->dz + 2 * U, G, k->dU + 2 * U, G, 1);
  }
  for (int i = 0; i < ne; i++) {
    const f32 *d = k->dz + i * G;
    int j = 0;
    for (; j + 4 <= G; j += 4) wasm_v128_store(k->db + j, wasm_f32x4_add(wasm_v128_load(k->db + j), wasm_v128_load(d + j)));
    for (; j < G; j++) k->db[j] += d[j];
  }
}

static void lstm_backward(const i32 *p, int thread) {
  const int nb = SLICE(p, thread, 1) - SLICE(p, thread, 0);
  if (nb <= 0) return;
  const int U = p[P_U];
  f32 *scratch = PTR(p, P_SLICES + 4 * thread + 2);
  f32 *dh_next = scratch, *dc_next = scratch + nb * U, *dhd = scratch + 2 * nb * U, *dh = scratch + 3 * nb * U;
  const Bwd k = bwd_of(p, 4, 6, thread, scratch + 4 * nb * U);
  const Fwd *f = &k.f;
  const int b0 = f->b0, b1 = f->b1;
  const int T = f->T, G = f->G, S = f->S;
  to_time_major(f, PTR(p, P_DYIN), (f32 *)k.dy, U);
  fill(dh_next, nb * U, 0);
  fill(dc_next, nb * U, 0);
  for (int s = T - 1; s >= 0; s--) {
    const int t = f->back ? T - 1 - s : s;
    const int t_prev = f->back ? t + 1 : t - 1;
    const int first = s == 0;
    const int r = row_of(f, t, b0), rp = first ? 0 : row_of(f, t_prev, b0);
    const int end = real_end(f, t);
    int any = 0;
    for (int b = b0; b < b1; b++) {
      const int row = r + (b - b0), prow = rp + (b - b0);
      f32 *dhb = dh + (b - b0) * U;
      // dh_t = what flows back from step t+1 plus the loss's own gradient at t.
      for (int j = 0; j < U; j += 4) {
        const int n = min_i(4, U - j);
        store_n(dhb + j, wasm_f32x4_add(load_n(dh_next + (b - b0) * U + j, n), load_n(k.dy + row * U + j, n)), n);
      }
      f32 *dz = k.dz + (b - b0) * G;
      f32 *hd = k.hd + (b - b0) * U;
      if (!is_real(f, b, t)) {
        // Padded step: h_t = h_prev and c_t = c_prev, so both gradients pass straight through.
        copy(dh_next + (b - b0) * U, dhb, U);
        if (b < end) {
          fill(dz, G, 0);
          fill(hd, U, 0);
        }
        continue;
      }
      any = 1;
      const f32 *st = f->state + row * S;
      const f32 *c_prev = first ? 0 : f->state + prow * S + 4 * U;
      const f32 *h_prev = first ? 0 : f->h + prow * U;
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
    step_gradients(&k, t, end, first, 1);
    if (first || !any) continue;
    // d(hd) = dz · Urᵀ for the slice's real rows at t, then through the recurrent dropout mask.
    gemm(end - b0, U, G, k.dz, G, 0, k.rkt, U, dhd, U, 0);
    for (int b = b0; b < end; b++) {
      if (!is_real(f, b, t)) continue;
      mul_into(dh_next + (b - b0) * U, dhd + (b - b0) * U, f->has_rm ? f->rm + b * U : 0, U);
    }
  }
}

// ---- GRU ----

static void gru_forward(const i32 *p, int thread) {
  const Fwd f = fwd_of(p, 3, 3, thread);
  const int b0 = f.b0, b1 = f.b1, nb = f.nb;
  if (b1 <= b0) return;
  const int T = f.T, U = f.U, S = f.S;
  f32 *scratch = PTR(p, P_SLICES + 4 * thread + 2);
  f32 *hd = scratch, *rh = scratch + nb * U;
  for (int s = 0; s < T; s++) {
    const int t = f.back ? T - 1 - s : s;
    const int t_prev = f.back ? t + 1 : t - 1;
    const int first = s == 0;
    const int end = real_end(&f, t);
    const int r = row_of(&f, t, b0), rp = first ? 0 : row_of(&f, t_prev, b0);
    if (end == b0) {
      for (int b = b0; b < b1; b++) carry(&f, r + (b - b0), rp + (b - b0), first, -1);
      h_out_step(&f, PTR(p, P_HOUT), r, t);
      continue;
    }
    const int ne = end - b0;
    f32 *rows = f.state + r * S;
    input_step(&f, r, t, end);
    if (first) {
      fill(hd, ne * U, 0);
    } else {
      for (int b = b0; b < end; b++) mul_into(hd + (b - b0) * U, f.h + (rp + b - b0) * U, f.has_rm ? f.rm + b * U : 0, U);
      // [z | r] pre-activations += hd · Ur[:, 0:2U]
      gemm(ne, 2 * U, U, hd, U, 0, f.rk, 3 * U, rows, S, 1);
    }
    for (int b = b0; b < end; b++) {
      f32 *g = f.state + (r + b - b0) * S;
      const f32 *hdb = hd + (b - b0) * U;
      f32 *rhb = rh + (b - b0) * U;
      if (!is_real(&f, b, t)) {
        fill(rhb, U, 0);
        continue;
      }
      for (int j = 0; j < U; j += 4) {
        const int n = min_i(4, U - j);
        v128_t z = v_gate(load_n(g + j, n), f.sigmoid);
        v128_t rr = v_gate(load_n(g + U + j, n), f.sigmoid);
        store_n(g + j, z, n);
        store_n(g + U + j, rr, n);
        store_n(rhb + j, wasm_f32x4_mul(rr, load_n(hdb + j, n)), n);
      }
    }
    // h~ pre-activation += (r⊙hd) · Ur[:, 2U:3U] (zero at the first step: hd is zero there)
    if (!first) gemm(ne, U, U, rh, U, 0, f.rk + 2 * U, 3 * U, rows + 2 * U, S, 1);
    for (int b = b0; b < b1; b++) {
      const int row = r + (b - b0);
      if (b >= end || !is_real(&f, b, t)) {
        carry(&f, row, rp + (b - b0), first, -1);
        continue;
      }
      f32 *g = f.state + row * S;
      const f32 *hdb = hd + (b - b0) * U;
      f32 *h = f.h + row * U;
      for (int j = 0; j < U; j += 4) {
        const int n = min_i(4, U - j);
        v128_t z = load_n(g + j, n);
        v128_t hh = v_tanh(load_n(g + 2 * U + j, n));
        store_n(g + 2 * U + j, hh, n);
        store_n(h + j, wasm_f32x4_add(wasm_f32x4_mul(z, load_n(hdb + j, n)), wasm_f32x4_mul(wasm_f32x4_sub(SPLAT(1), z), hh)), n);
      }
    }
    h_out_step(&f, PTR(p, P_HOUT), r, t);
  }
}

static void gru_backward(const i32 *p, int thread) {
  const int nb = SLICE(p, thread, 1) - SLICE(p, thread, 0);
  if (nb <= 0) return;
  const int U = p[P_U];
  f32 *scratch = PTR(p, P_SLICES + 4 * thread + 2);
  f32 *dh_next = scratch, *dh = scratch + nb * U, *tmp = scratch + 2 * nb * U;
  const Bwd k = bwd_of(p, 3, 3, thread, scratch + 3 * nb * U);
  const Fwd *f = &k.f;
  const int b0 = f->b0, b1 = f->b1;
  const int T = f->T, G = f->G, S = f->S;
  to_time_major(f, PTR(p, P_DYIN), (f32 *)k.dy, U);
  fill(dh_next, nb * U, 0);
  for (int s = T - 1; s >= 0; s--) {
    const int t = f->back ? T - 1 - s : s;
    const int t_prev = f->back ? t + 1 : t - 1;
    const int first = s == 0;
    const int r = row_of(f, t, b0), rp = first ? 0 : row_of(f, t_prev, b0);
    const int end = real_end(f, t), ne = end - b0;
    int any = 0;
    for (int b = b0; b < b1; b++) {
      const int row = r + (b - b0);
      f32 *dhb = dh + (b - b0) * U;
      f32 *hd = k.hd + (b - b0) * U;
      f32 *dz = k.dz + (b - b0) * G;
      const f32 *h_prev = first ? 0 : f->h + (rp + b - b0) * U;
      for (int j = 0; j < U; j += 4) {
        const int n = min_i(4, U - j);
        store_n(dhb + j, wasm_f32x4_add(load_n(dh_next + (b - b0) * U + j, n), load_n(k.dy + row * U + j, n)), n);
      }
      if (!is_real(f, b, t)) {
        if (b < end) {
          fill(dz, G, 0);
          fill(hd, U, 0);
          fill(k.rh + (b - b0) * U, U, 0);
        }
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
      step_gradients(&k, t, end, first, 0);
      continue;
    }
    // d(r⊙hd) = dh~ · U_hᵀ (U_hᵀ = rows 2U..3U of Urᵀ); hd is zero at the first step, so nothing flows there.
    if (!first) gemm(ne, U, U, k.dz + 2 * U, G, 0, k.rkt + 2 * U * U, U, tmp, U, 0);
    for (int b = b0; b < b1; b++) {
      const int row = r + (b - b0);
      f32 *dnb = dh_next + (b - b0) * U;
      const f32 *dhb = dh + (b - b0) * U;
      if (!is_real(f, b, t)) {
        // Padded step: h_t = h_prev, the gradient passes straight through.
        copy(dnb, dhb, U);
        continue;
      }
      const f32 *st = f->state + row * S;
      const f32 *hd = k.hd + (b - b0) * U;
      const f32 *drh = tmp + (b - b0) * U;
      f32 *dz = k.dz + (b - b0) * G;
      f32 *rh = k.rh + (b - b0) * U;
      for (int j = 0; j < U; j += 4) {
        const int n = min_i(4, U - j);
        v128_t z = load_n(st + j, n), rr = load_n(st + U + j, n), hh = load_n(st + 2 * U + j, n);
        v128_t hdj = load_n(hd + j, n), d = load_n(dhb + j, n);
        v128_t dr = first ? SPLAT(0) : load_n(drh + j, n);
        store_n(dz + j, wasm_f32x4_mul(wasm_f32x4_mul(d, wasm_f32x4_sub(hdj, hh)), v_gate_grad(z, f->sigmoid)), n);
        store_n(dz + U + j, wasm_f32x4_mul(wasm_f32x4_mul(dr, hdj), v_gate_grad(rr, f->sigmoid)), n);
        store_n(rh + j, wasm_f32x4_mul(rr, hdj), n);
        // The parts of d(hd) that need no product: through z⊙hd and through r⊙hd.
        store_n(dnb + j, wasm_f32x4_add(wasm_f32x4_mul(d, z), wasm_f32x4_mul(dr, rr)), n);
      }
    }
    step_gradients(&k, t, end, first, 0);
    if (first) continue;
    // ... plus [dz | dr] · U_zrᵀ (rows 0..2U of Urᵀ), then through the recurrent dropout mask.
    gemm(ne, U, 2 * U, k.dz, G, 0, k.rkt, U, tmp, U, 0);
    for (int b = b0; b < end; b++) {
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
