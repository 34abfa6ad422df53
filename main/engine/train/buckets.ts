// Length buckets: batches of texts of similar length, each trimmed to its longest text, so short texts do not pay
// for the padding of long ones. Valid only for models that take sequences of any length and mask their padding
// (models.ts): there a trimmed batch gives exactly the outputs of the full-length one. Rows are padded on the left
// (text/pipeline.ts), so trimming drops leading columns.
import * as tf from '@tensorflow/tfjs';
import type { EncodedInput } from '../text/types.ts';
import { shuffled } from './rng.ts';

/**
 * Batches are cut from pools of this many batches' worth of shuffled examples, each pool sorted by length: the
 * batches of a pool hold texts of similar length while the order across the epoch stays random (the
 * "bucket iterator" of torchtext and tf.data's bucket_by_sequence_length). 50 batches per pool makes the longest
 * text of a batch close to its median on long-tailed length distributions, and keeps every epoch's batches different.
 */
export const POOL_BATCHES = 50;

/** True when the model's single input is token ids of any length ([batch, null]), i.e. batches may be trimmed. */
export function acceptsAnyLength(model: tf.LayersModel, inputs: readonly EncodedInput[]): boolean {
  if (model.inputs.length !== 1 || inputs.length !== 1) return false;
  const shape = model.inputs[0]!.shape;
  const input = inputs[0]!;
  return shape.length === 2 && shape[1] === null && input.dtype === 'int32' && input.shape.length === 2;
}

/** Real tokens per row of a left-padded [rows, L] id matrix (padding is id 0). */
export function rowLengths(input: EncodedInput): Int32Array {
  const [rows, L] = input.shape as [number, number];
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let first = 0;
    while (first < L && input.data[r * L + first] === 0) first++;
    out[r] = L - first;
  }
  return out;
}

/**
 * One epoch's batches as lists of row indices: shuffled, then sorted by length within pools of POOL_BATCHES
 * batches, cut into batches, and the batches shuffled. Every row appears exactly once.
 */
export function bucketedBatches(lengths: Int32Array, batchSize: number, seed: number): Int32Array[] {
  const n = lengths.length;
  const order = shuffled(n, seed);
  const pool = batchSize * POOL_BATCHES;
  const batches: Int32Array[] = [];
  for (let start = 0; start < n; start += pool) {
    // Stable sort of a shuffled pool: ties keep their random order.
    const part = Array.from(order.subarray(start, Math.min(n, start + pool))).sort((a, b) => lengths[a]! - lengths[b]!);
    for (let b = 0; b < part.length; b += batchSize) batches.push(Int32Array.from(part.slice(b, b + batchSize)));
  }
  const shuffle = shuffled(batches.length, seed ^ 0x2545f491);
  return Array.from(shuffle, (i) => batches[i]!);
}

/** The width a batch of these rows needs: its longest row (at least one column). */
export function batchWidth(lengths: Int32Array, idx: ArrayLike<number>): number {
  let w = 1;
  for (let i = 0; i < idx.length; i++) w = Math.max(w, lengths[idx[i]!]!);
  return w;
}

/**
 * The width a bucketed batch is trimmed to: its longest row rounded up to the next step of the ladder 1, 2, 3, 4, 6,
 * 8, 12, 16, 24, … (powers of two and their halfway points), so an epoch's batches take at most about 2·log2(L)
 * distinct shapes, each at most half again as wide as its longest row. A GPU backend builds its kernels for each input
 * shape it meets: a 1-epoch GRU on 240 short texts (sequence length 12) on the webgpu backend (SwiftShader) did
 * not finish within 180 s with exact widths (every width from 1 to 12) and took 115 s with the ladder (7 widths).
 */
export function ladderWidth(width: number): number {
  if (width <= 2) return Math.max(1, width);
  const pow = 2 ** Math.floor(Math.log2(width));
  if (width === pow) return pow;
  return width <= pow * 1.5 ? Math.ceil(pow * 1.5) : pow * 2;
}

/** Backends that build kernels for each input shape they meet (shaders), so batch widths should be few. */
const SHAPE_COMPILING = new Set(['webgpu', 'webgl']);

/**
 * The width a bucketed batch is trimmed to on `backend`: the ladder where the backend builds kernels per shape,
 * the longest row itself elsewhere (wasm, cpu, tfjs-node run any shape at no cost, and every padding column is a
 * time step the recurrent layers and the pooling still pay for: on O*NET task sentences 14% of the (row, step)
 * pairs of ladder-wide batches were steps where every row is padding). The outputs are the same either way up to
 * float rounding: the padding is masked, but some sums over time are grouped from the batch's first column (the
 * pooling's batched products take time in blocks of 48), so long batches can round differently and a run on long
 * texts drifts apart over its epochs (O*NET job descriptions: the presets' seed-1 test scores moved; UCI sentences
 * and O*NET task sentences gave the same scores to the third decimal).
 */
export function trimWidth(width: number, backend: string): number {
  return SHAPE_COMPILING.has(backend) ? ladderWidth(width) : width;
}
