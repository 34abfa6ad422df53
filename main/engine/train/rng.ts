// Seeded randomness for reproducible runs: shuffling, hold-out splits, and the unseeded random ops of TensorFlow.js.

import { mulberry32 } from '../random.ts';

export { mulberry32 };

/** A seed derived from a base seed and a purpose (e.g. the epoch), so resumed runs replay the same stream. */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
  }
  return h >>> 0;
}

export function shuffled(n: number, seed: number): Int32Array {
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  const rand = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx;
}

/**
 * TensorFlow.js random ops without an explicit seed (dropout masks) draw their seed from Math.random.
 * Replacing it with a seeded generator for the duration of training makes those draws reproducible.
 * Returns the function that puts the original back.
 */
export function seedMathRandom(seed: number): () => void {
  const original = Math.random;
  Math.random = mulberry32(seed);
  return () => {
    Math.random = original;
  };
}
