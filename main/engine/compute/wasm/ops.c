// Element-wise and small-product kernels of a training step in 128-bit SIMD, for ../kernels.ts. Like adam.c this
// module imports the tfjs wasm backend's own memory and works on its tensors in place (pointers are heap offsets),
// so it must not touch memory it was not given: no static data, no stack (build.mjs links it with a zero-size
// stack and the build test checks that no code reads __stack_pointer).
//
// Each computes exactly what the tfjs kernel it stands in for computes, in the same order of float32 operations
// (wasm has no fused multiply-add, so nothing is contracted): tests/unit/compute-kernels.test.ts compares them
// bit for bit.
#include <stdint.h>
#include <wasm_simd128.h>

typedef float f32;

// tfjs's wasm BatchMatMul (its slow_batch_matmul, taken whenever a batch has more than one matrix) adds the
// products of one output in blocks of 48 along k: each block from 0 in order, the block sums onto the output in
// order, from 0.
#define K_BLOCK 48

/**
 * out[t][i][j] = Σ_k A[t][i][k] · B[t][k][j] for t < batch, i < m, j < n, with A[t][i][k] at
 * a + t*a_batch + i*a_row + k*a_k and B[t][k][j] at b + t*b_batch + k*b_k + j*b_col (strides in floats: a
 * transposed operand or a broadcast batch of one is only other strides); out is [batch, m, n], contiguous.
 * Four columns at a time: each lane is its own output with its own sum, so the order per output is the scalar one.
 */
__attribute__((export_name("batch_matmul"))) void batch_matmul(const f32 *a, const f32 *b, f32 *out, int32_t batch, int32_t m, int32_t k, int32_t n,
                                                               int32_t a_batch, int32_t a_row, int32_t a_k, int32_t b_batch, int32_t b_k, int32_t b_col) {
  for (int32_t t = 0; t < batch; t++) {
    const f32 *at = a + t * a_batch;
    const f32 *bt = b + t * b_batch;
    f32 *ot = out + t * m * n;
    for (int32_t i = 0; i < m; i++) {
      const f32 *ai = at + i * a_row;
      f32 *oi = ot + i * n;
      int32_t j = 0;
      for (; j + 4 <= n; j += 4) {
        const f32 *bj = bt + j * b_col;
        v128_t acc = wasm_f32x4_splat(0);
        for (int32_t k0 = 0; k0 < k; k0 += K_BLOCK) {
          const int32_t k1 = k0 + K_BLOCK < k ? k0 + K_BLOCK : k;
          v128_t s = wasm_f32x4_splat(0);
          if (b_col == 1) {
            for (int32_t q = k0; q < k1; q++) s = wasm_f32x4_add(s, wasm_f32x4_mul(wasm_f32x4_splat(ai[q * a_k]), wasm_v128_load(bj + q * b_k)));
          } else {
            for (int32_t q = k0; q < k1; q++) {
              const f32 *bq = bj + q * b_k;
              s = wasm_f32x4_add(s, wasm_f32x4_mul(wasm_f32x4_splat(ai[q * a_k]), wasm_f32x4_make(bq[0], bq[b_col], bq[2 * b_col], bq[3 * b_col])));
            }
          }
          acc = wasm_f32x4_add(acc, s);
        }
        wasm_v128_store(oi + j, acc);
      }
      for (; j < n; j++) {
        const f32 *bj = bt + j * b_col;
        f32 acc = 0;
        for (int32_t k0 = 0; k0 < k; k0 += K_BLOCK) {
          const int32_t k1 = k0 + K_BLOCK < k ? k0 + K_BLOCK : k;
          f32 s = 0;
          for (int32_t q = k0; q < k1; q++) s += ai[q * a_k] * bj[q * b_k];
          acc += s;
        }
        oi[j] = acc;
      }
    }
  }
}

/**
 * out[j] = a[j] OP b[j] ? 1 : 0 for j < n (float32 in, bool bytes out), OP by number as kernels.ts's COMPARISONS:
 * 0 ==, 1 !=, 2 >, 3 >=, 4 <, 5 <=, with IEEE semantics (NaN compares unequal to everything, -0 == 0), as tfjs.
 */
__attribute__((export_name("compare_f32"))) void compare_f32(int32_t op, const f32 *a, const f32 *b, uint8_t *out, int32_t n) {
  int32_t j = 0;
#define COMPARE_LOOP(VOP, SOP)                                                                                    \
  for (; j + 16 <= n; j += 16) {                                                                                  \
    const v128_t m0 = VOP(wasm_v128_load(a + j), wasm_v128_load(b + j));                                          \
    const v128_t m1 = VOP(wasm_v128_load(a + j + 4), wasm_v128_load(b + j + 4));                                  \
    const v128_t m2 = VOP(wasm_v128_load(a + j + 8), wasm_v128_load(b + j + 8));                                  \
    const v128_t m3 = VOP(wasm_v128_load(a + j + 12), wasm_v128_load(b + j + 12));                                \
    const v128_t bytes = wasm_i8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(m0, m1), wasm_i16x8_narrow_i32x4(m2, m3)); \
    wasm_v128_store(out + j, wasm_v128_and(bytes, wasm_i8x16_splat(1)));                                          \
  }                                                                                                               \
  for (; j < n; j++) out[j] = a[j] SOP b[j];
  switch (op) {
    case 0: COMPARE_LOOP(wasm_f32x4_eq, ==) break;
    case 1: COMPARE_LOOP(wasm_f32x4_ne, !=) break;
    case 2: COMPARE_LOOP(wasm_f32x4_gt, >) break;
    case 3: COMPARE_LOOP(wasm_f32x4_ge, >=) break;
    case 4: COMPARE_LOOP(wasm_f32x4_lt, <) break;
    default: COMPARE_LOOP(wasm_f32x4_le, <=) break;
  }
#undef COMPARE_LOOP
}

/**
 * out[o][i] = max over q < r of x[o][q][i] (x is [outer, r, inner], out [outer, inner]), as tfjs's wasm Max takes
 * it: the first value, then each later one that is greater or NaN (a NaN wins and stays; of equal values, such as
 * -0 and 0, the first stays).
 */
__attribute__((export_name("max_middle"))) void max_middle(const f32 *x, f32 *out, int32_t outer, int32_t r, int32_t inner) {
  for (int32_t o = 0; o < outer; o++) {
    const f32 *xo = x + o * r * inner;
    f32 *oo = out + o * inner;
    int32_t i = 0;
    for (; i + 4 <= inner; i += 4) {
      v128_t m = wasm_v128_load(xo + i);
      for (int32_t q = 1; q < r; q++) {
        const v128_t v = wasm_v128_load(xo + q * inner + i);
        m = wasm_v128_bitselect(v, m, wasm_v128_or(wasm_f32x4_gt(v, m), wasm_f32x4_ne(v, v)));
      }
      wasm_v128_store(oo + i, m);
    }
    for (; i < inner; i++) {
      f32 m = xo[i];
      for (int32_t q = 1; q < r; q++) {
        const f32 v = xo[q * inner + i];
        if (v > m || v != v) m = v;
      }
      oo[i] = m;
    }
  }
}
