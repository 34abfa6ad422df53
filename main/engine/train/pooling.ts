// Pooling over time with the padding masked, built from standard TensorFlow.js layers only, so that a model that
// uses it still loads with plain tf.loadLayersModel (bundles must; see DESIGN.md, "Model bundle").
//
// Sequences are padded with id 0 (on the left, see text/pipeline.ts). A non-trainable one-column embedding turns
// the token ids into an additive bias: 0 for a real token, PAD_BIAS for padding. Added to the hidden states before
// a max over time it keeps padding from ever winning; added to the scores before a softmax over time it gives
// padding zero weight, so "mean" is the softmax of the bias alone (equal weights on the real tokens) and
// "attention" is the softmax of a learned score plus the bias. Every row has at least one real token (the
// pipeline encodes an empty text as one unknown word), so no row is all padding.
//
// tfjs masks: the recurrent layers take their mask from the embedding (maskZero). Merging the bias in *first*
// (add([bias, x])) makes tfjs-layers' Merge drop the mask there, and Dot never passes one on, so the pooled
// outputs carry no mask into layers that do not support one (GlobalMaxPooling1D, Flatten).
import * as tf from '@tensorflow/tfjs';
import { POOLINGS } from '../../../shared/train-options.ts';

/** Added to padded steps: far below any hidden state or score (tanh states are in (-1, 1)), exp() of it is 0. */
export const PAD_BIAS = -1e4;

export type Pooling = (typeof POOLINGS)[number];
export { POOLINGS };

/** [batch, time, 1]: 0 for real tokens, PAD_BIAS for padding (id 0). Built once per model from its token input. */
export function paddingBias(tokens: tf.SymbolicTensor, inputDim: number): tf.SymbolicTensor {
  const table = new Float32Array(inputDim);
  table[0] = PAD_BIAS;
  return tf.layers
    .embedding({ name: 'padding_bias', inputDim, outputDim: 1, trainable: false, weights: [tf.tensor2d(table, [inputDim, 1])] })
    .apply(tokens) as tf.SymbolicTensor;
}

/** Max over time of the real steps: [batch, time, d] → [batch, d]. */
export function maskedMax(x: tf.SymbolicTensor, bias: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  const shifted = tf.layers.add({ name: `${name}_masked` }).apply([bias, x]) as tf.SymbolicTensor;
  return tf.layers.globalMaxPooling1d({ name }).apply(shifted) as tf.SymbolicTensor;
}

/** Weighted sum over time with weights softmax(scores + bias) over time: [batch, time, d] → [batch, d]. */
function weightedSum(x: tf.SymbolicTensor, scores: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  // tfjs's softmax runs over the last axis only: [batch, time, 1] → [batch, 1, time], then a batched dot with x.
  // An Activation layer, not tf.layers.softmax: tfjs-layers' predict() hands a layer the mask of the last masked
  // layer before it (a stale kwargs.mask), and the Softmax layer applies any mask it is given (broadcasting it into
  // the wrong shape here); Activation ignores masks.
  const row = tf.layers.permute({ name: `${name}_scores`, dims: [2, 1] }).apply(scores) as tf.SymbolicTensor;
  const weights = tf.layers.activation({ name: `${name}_weights`, activation: 'softmax' }).apply(row) as tf.SymbolicTensor;
  const summed = tf.layers.dot({ name: `${name}_sum`, axes: [2, 1] }).apply([weights, x]) as tf.SymbolicTensor;
  return tf.layers.flatten({ name }).apply(summed) as tf.SymbolicTensor;
}

/** Mean over the real steps: [batch, time, d] → [batch, d]. */
export function maskedMean(x: tf.SymbolicTensor, bias: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return weightedSum(x, bias, name);
}

/**
 * Attention pooling (a learned score per step, softmax over the real steps, weighted mean): [batch, time, d] →
 * [batch, d]. The score is one dense unit on the state, as in Yang et al. 2016's word attention without the
 * extra tanh projection, which adds d² weights for no gain at these sizes.
 */
export function attentionPool(x: tf.SymbolicTensor, bias: tf.SymbolicTensor, name: string, seed: number): tf.SymbolicTensor {
  const score = tf.layers
    .dense({ name: `${name}_score`, units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed }) })
    .apply(x) as tf.SymbolicTensor;
  const masked = tf.layers.add({ name: `${name}_masked` }).apply([bias, score]) as tf.SymbolicTensor;
  return weightedSum(x, masked, name);
}

/** The readout of a recurrent stack's states over all time steps. */
export function pool(kind: Pooling, x: tf.SymbolicTensor, bias: tf.SymbolicTensor, seed: number): tf.SymbolicTensor {
  if (kind === 'max') return maskedMax(x, bias, 'max_pool');
  if (kind === 'attention') return attentionPool(x, bias, 'attention_pool', seed);
  const max = maskedMax(x, bias, 'max_pool');
  const mean = maskedMean(x, bias, 'mean_pool');
  return tf.layers.concatenate({ name: 'max_mean_pool' }).apply([max, mean]) as tf.SymbolicTensor;
}
