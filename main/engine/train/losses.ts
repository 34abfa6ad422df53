// Losses of the custom loop. Models output softmax probabilities (so exported models classify directly);
// the per-example cross-entropy is computed from them, clipped like Keras does.
import * as tf from '@tensorflow/tfjs';
import type { LossName } from '../../../shared/training.ts';

const EPS = 1e-7;

export interface LossSpec {
  kind: LossName;
  /** Top-k: how many of the hardest examples of each batch to train on. */
  k: number;
  labelSmoothing: number;
}

/** Cross-entropy of each example: [n, classes] probabilities and int32 class ids → [n]. */
export function perExampleCrossEntropy(probs: tf.Tensor, labels: tf.Tensor, classes: number, labelSmoothing = 0): tf.Tensor1D {
  return tf.tidy(() => {
    let y = tf.oneHot(labels.toInt(), classes).toFloat();
    if (labelSmoothing > 0) y = y.mul(1 - labelSmoothing).add(labelSmoothing / classes);
    return tf.neg(tf.sum(tf.mul(y, tf.log(tf.clipByValue(probs, EPS, 1 - EPS))), -1)) as tf.Tensor1D;
  });
}

/**
 * The loss a step minimises. `exampleWeights` (class weights looked up per example) multiply each example's loss;
 * the mean is over the batch, as Keras does with class_weight. With top-k, only the k largest weighted losses count:
 * which examples those are is a constant mask, so the gradient of every other example is exactly zero.
 */
export function trainingLoss(perExample: tf.Tensor1D, exampleWeights: Float32Array | null, spec: LossSpec): tf.Scalar {
  const n = perExample.shape[0];
  const weighted = exampleWeights ? tf.mul(perExample, tf.tensor1d(exampleWeights)) : perExample;
  if (spec.kind !== 'topk' || spec.k >= n) return tf.mean(weighted) as tf.Scalar;
  const k = Math.max(1, Math.floor(spec.k));
  return tf.div(tf.sum(tf.mul(weighted, hardestMask(weighted as tf.Tensor1D, k))), k) as tf.Scalar;
}

/**
 * 1 for the k largest values (ties to the lower index, as tf.topk orders them), 0 elsewhere. Found on the device
 * rather than read back into JavaScript (the webgpu backend cannot read synchronously inside a gradient tape), and
 * a constant for the gradient: no gradient flows through which examples were selected.
 */
function hardestMask(values: tf.Tensor1D, k: number): tf.Tensor1D {
  const n = values.shape[0];
  const select = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const v = args[0] as tf.Tensor1D;
    return {
      value: tf.tidy(() => tf.sum(tf.oneHot(tf.topk(v, k).indices, n), 0).toFloat()) as tf.Tensor1D,
      gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
    };
  });
  return select(values) as tf.Tensor1D;
}

/** Balanced class weights n / (classes × count), as scikit-learn computes them; 0 for a class absent from train. */
export function balancedClassWeights(labels: ArrayLike<number>, classes: number): Float32Array {
  const counts = new Float64Array(classes);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]! += 1;
  const present = counts.filter((c) => c > 0).length || 1;
  return Float32Array.from(counts, (c) => (c > 0 ? labels.length / (present * c) : 0));
}
