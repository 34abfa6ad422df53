// One Adam step in 128-bit SIMD, for ../adam.ts. This module imports the tfjs wasm backend's own memory and works
// on its tensors in place of reading them out: the pointers are tensors' heap offsets. It therefore must not touch
// memory it was not given: no static data, no stack (build.mjs links it with a zero-size stack and the build test
// checks that no code reads __stack_pointer).
//
// The arithmetic is tf.train.adam's in the same order, each operation in float32 (wasm has no fused multiply-add,
// so nothing is contracted): the results equal tfjs's bit for bit.
#include <stdint.h>
#include <wasm_simd128.h>

typedef float f32;

static inline f32 step1(f32 w, f32 g, f32 *m, f32 *v, f32 b1, f32 c1, f32 b2, f32 c2, f32 d1, f32 d2, f32 eps, f32 neg_lr) {
  const f32 m1 = *m * b1 + g * c1;
  const f32 v1 = *v * b2 + (g * g) * c2;
  *m = m1;
  *v = v1;
  return (m1 / d1) / (__builtin_sqrtf(v1 / d2) + eps) * neg_lr + w;
}

/**
 * new value, first and second moment of n weights into ow, om, ov. b1 = beta1, c1 = 1 - beta1, b2 = beta2,
 * c2 = 1 - beta2, d1 = 1 - beta1^t, d2 = 1 - beta2^t, neg_lr = -learning rate (all float32, as tfjs makes them).
 */
__attribute__((export_name("adam"))) void adam(const f32 *w, const f32 *g, const f32 *m, const f32 *v, f32 *ow, f32 *om, f32 *ov, int32_t n, f32 b1, f32 c1, f32 b2,
                                               f32 c2, f32 d1, f32 d2, f32 eps, f32 neg_lr) {
  const v128_t B1 = wasm_f32x4_splat(b1), C1 = wasm_f32x4_splat(c1), B2 = wasm_f32x4_splat(b2), C2 = wasm_f32x4_splat(c2);
  const v128_t D1 = wasm_f32x4_splat(d1), D2 = wasm_f32x4_splat(d2), EPS = wasm_f32x4_splat(eps), NLR = wasm_f32x4_splat(neg_lr);
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t gi = wasm_v128_load(g + i);
    const v128_t m1 = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), B1), wasm_f32x4_mul(gi, C1));
    const v128_t v1 = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), B2), wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), C2));
    const v128_t denom = wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_div(v1, D2)), EPS);
    const v128_t step = wasm_f32x4_mul(wasm_f32x4_div(wasm_f32x4_div(m1, D1), denom), NLR);
    wasm_v128_store(ow + i, wasm_f32x4_add(step, wasm_v128_load(w + i)));
    wasm_v128_store(om + i, m1);
    wasm_v128_store(ov + i, v1);
  }
  for (; i < n; i++) {
    f32 mi = m[i], vi = v[i];
    ow[i] = step1(w[i], g[i], &mi, &vi, b1, c1, b2, c2, d1, d2, eps, neg_lr);
    om[i] = mi;
    ov[i] = vi;
  }
}

/**
 * The sum of the squares of n floats as tfjs's Sum adds up a Square on wasm: one float32 accumulator from 0, first
 * to last (tests/unit/compute-grad-norm.test.ts checks the two agree bit for bit). Blocks of 16 zeros are skipped:
 * adding +0 (the square of ±0) to a sum of squares leaves it as it is, and an embedding's gradient is zero in every
 * row the batch did not use (9 of 10 rows of the O*NET task sentences' 7,010 words at batch 32).
 */
__attribute__((export_name("sum_squares"))) f32 sum_squares(const f32 *g, int32_t n) {
  f32 s = 0;
  int32_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const v128_t any = wasm_v128_or(wasm_v128_or(wasm_v128_load(g + i), wasm_v128_load(g + i + 4)), wasm_v128_or(wasm_v128_load(g + i + 8), wasm_v128_load(g + i + 12)));
    if (!wasm_v128_any_true(any)) continue;
    for (int32_t j = i; j < i + 16; j++) s += g[j] * g[j];
  }
  for (; i < n; i++) s += g[i] * g[i];
  return s;
}
