// One seeded generator for the whole engine: splits at import, shuffling and dropout in training, search.
// Splits and runs record their seed, so the same seed must keep giving the same stream.

/** mulberry32: small, fast, good enough for shuffling and splitting; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
