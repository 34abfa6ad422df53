// The model zoo: each model is a pure function of its hyperparameters, the data's dimensions and a seed.
// Every recurrent layer (single, stacked, bidirectional, with recurrent dropout) is the fused LSTM/GRU of
// compute/fused-rnn.ts where the backend has their kernels (wasm, cpu): same math, weight names, shapes,
// initializers and dropout draws as tf.layers.lstm/gru. Checkpoints keep the fused class names (artifacts.ts
// registers them); exported bundles carry the standard twins (bundle/format.ts), so every bundle still loads with
// plain TensorFlow.js anywhere. All other layers are standard.
// Dropout layers get no seed on purpose: a seeded tfjs dropout draws the same mask every step; the loop seeds
// Math.random (which unseeded tfjs random ops draw from) per epoch instead, so runs stay reproducible.
//
// Sequence models take token ids of any length ([batch, null]): padding (id 0) is masked in the recurrent layers
// (the embedding's maskZero) and in pooling (pooling.ts), so a batch trimmed to its longest text (the loop's
// length buckets) gives exactly the outputs of the full-length one. The recurrent presets read out from masked
// pooling over all hidden states, not from the last state alone: on long texts the last state has forgotten
// most of the text (O*NET jobs, ~290 words: GRU test macro-F1 0.111 with the last state).
import * as tf from '@tensorflow/tfjs';
import type { ModelBuilder, ModelDims } from './types.ts';
import type { ModelName } from '../../../shared/training.ts';
import { bidirectionalLayer, recurrentLayer } from '../compute/fused-rnn.ts';
import { paddingBias, pool, maskedMax, type Pooling } from './pooling.ts';

export interface ModelHyperparams {
  embeddingDim: number;
  units: number;
  /** Stacked recurrent layers. */
  layers: number;
  /** Dropout on the pooled features before the output layer (and between stacked recurrent layers). */
  dropout: number;
  recurrentDropout: number;
  /** Spatial dropout on the word vectors: whole embedding channels dropped for a whole text. */
  embeddingDropout: number;
  /** How the recurrent presets read out their hidden states over time. */
  pooling: Pooling;
  /** Recurrent presets: also feed the output layer the max over the word vectors (the baseline's features). */
  wordFeatures: boolean;
  /** L2 penalty: on the linear model's weights, on the output layer's kernel for the others. */
  l2: number;
}

export const DEFAULT_HYPERPARAMS: ModelHyperparams = {
  embeddingDim: 64,
  units: 64,
  layers: 1,
  dropout: 0.2,
  recurrentDropout: 0,
  embeddingDropout: 0,
  pooling: 'max-mean',
  wordFeatures: false,
  l2: 0,
};

/** Which input the model expects: token ids (words/chars) or hashed n-gram ids with their TF-IDF weights. */
export const MODEL_INPUT: Record<ModelName, 'sequence' | 'ngrams'> = {
  linear: 'ngrams',
  baseline: 'sequence',
  lstm: 'sequence',
  gru: 'sequence',
  bilstm: 'sequence',
  bigru: 'sequence',
  // Not a network: it combines the probabilities of trained runs (train/ensemble/), each reading its own input.
  ensemble: 'sequence',
};

function seeded(seed: number, i: number): number {
  return (seed * 7919 + i * 104729) % 2147483647;
}

function embedding(dims: ModelDims, dim: number, seed: number, extra: Partial<Parameters<typeof tf.layers.embedding>[0]> = {}): tf.layers.Layer {
  const pre = dims.embeddings;
  if (pre && pre.dim !== dim) throw new Error(`Pretrained vectors have ${pre.dim} dimensions but the model asks for ${dim}.`);
  return tf.layers.embedding({
    name: 'embedding',
    inputDim: dims.inputDim,
    outputDim: pre ? pre.dim : dim,
    embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: seeded(seed, 1) }),
    trainable: pre ? pre.trainable : true,
    ...(pre ? { weights: [tf.tensor2d(pre.matrix, [dims.inputDim, pre.dim])] } : {}),
    ...extra,
  });
}

/** Token ids of any length, the masked word vectors (spatial dropout applied) and the padding bias for pooling. */
function sequenceInput(dims: ModelDims, hp: ModelHyperparams, seed: number, maskZero: boolean) {
  const tokens = tf.input({ name: 'tokens', shape: [null], dtype: 'int32' });
  let x = embedding(dims, hp.embeddingDim, seed, { maskZero }).apply(tokens) as tf.SymbolicTensor;
  if (hp.embeddingDropout > 0) x = tf.layers.spatialDropout1d({ name: 'embedding_dropout', rate: hp.embeddingDropout }).apply(x) as tf.SymbolicTensor;
  return { tokens, x, bias: paddingBias(tokens, dims.inputDim) };
}

function output(dims: ModelDims, hp: ModelHyperparams, seed: number): tf.layers.Layer {
  return tf.layers.dense({
    name: 'output',
    units: dims.classes,
    activation: 'softmax',
    kernelInitializer: tf.initializers.glorotUniform({ seed: seeded(seed, 99) }),
    ...(hp.l2 > 0 ? { kernelRegularizer: tf.regularizers.l2({ l2: hp.l2 }) } : {}),
  });
}

/** Multinomial logistic regression on TF-IDF n-grams: a per-class weight per feature, summed with the feature weights. */
function linear(hp: ModelHyperparams): ModelBuilder {
  return (dims) => {
    const ids = tf.input({ name: 'ids', shape: [dims.sequenceLength], dtype: 'int32' });
    const weights = tf.input({ name: 'weights', shape: [dims.sequenceLength], dtype: 'float32' });
    // Zero start = plain logistic regression from the origin; ids never seen in train keep contributing nothing.
    const table = tf.layers.embedding({
      name: 'feature_weights',
      inputDim: dims.inputDim,
      outputDim: dims.classes,
      inputLength: dims.sequenceLength,
      embeddingsInitializer: 'zeros',
      ...(hp.l2 > 0 ? { embeddingsRegularizer: tf.regularizers.l2({ l2: hp.l2 }) } : {}),
    });
    const perFeature = table.apply(ids) as tf.SymbolicTensor; // [batch, L, classes]
    const logits = tf.layers.dot({ name: 'weighted_sum', axes: [1, 1] }).apply([weights, perFeature]) as tf.SymbolicTensor;
    const probs = tf.layers.activation({ name: 'softmax', activation: 'softmax' }).apply(logits) as tf.SymbolicTensor;
    return tf.model({ name: 'linear', inputs: [ids, weights], outputs: probs });
  };
}

/** Embedding → global max pooling over the real tokens → dense: trains smoothly and fast, the reference the recurrent nets must beat. */
function baseline(hp: ModelHyperparams): ModelBuilder {
  return (dims, seed) => {
    const input = sequenceInput(dims, hp, seed, false);
    const tokens = input.tokens;
    let x = maskedMax(input.x, input.bias, 'max_pool');
    if (hp.dropout > 0) x = tf.layers.dropout({ name: 'dropout', rate: hp.dropout }).apply(x) as tf.SymbolicTensor;
    const probs = output(dims, hp, seed).apply(x) as tf.SymbolicTensor;
    return tf.model({ name: 'baseline', inputs: tokens, outputs: probs });
  };
}

function recurrent(kind: 'lstm' | 'gru', bidirectional: boolean, hp: ModelHyperparams): ModelBuilder {
  return (dims, seed) => {
    const input = sequenceInput(dims, hp, seed, true);
    const tokens = input.tokens;
    let x = input.x;
    const layers = Math.max(1, Math.round(hp.layers));
    for (let i = 0; i < layers; i++) {
      const args = {
        units: hp.units,
        returnSequences: true,
        // Dropout between stacked layers (on the input of every layer after the first); the word vectors have
        // their own (spatial) dropout.
        dropout: i > 0 ? hp.dropout : 0,
        recurrentDropout: hp.recurrentDropout,
        kernelInitializer: tf.initializers.glorotUniform({ seed: seeded(seed, 10 + 3 * i) }),
        recurrentInitializer: tf.initializers.orthogonal({ seed: seeded(seed, 11 + 3 * i) }),
      };
      const name = `${bidirectional ? 'bi' : ''}${kind}_${i + 1}`;
      // Fused kernels for every layer where the backend has them (compute/fused-rnn.ts), standard layers elsewhere.
      const layer = bidirectional
        ? bidirectionalLayer(kind, { ...args, name: `${name}_inner` }, { name, mergeMode: 'concat' })
        : recurrentLayer(kind, { ...args, name });
      x = layer.apply(x) as tf.SymbolicTensor;
    }
    x = pool(hp.pooling, x, input.bias, seeded(seed, 90));
    if (hp.wordFeatures) {
      // The baseline's own features beside the recurrent ones: the output layer sees the max over the word
      // vectors too, so the recurrent preset contains the baseline and can only add to it.
      const words = maskedMax(input.x, input.bias, 'word_max_pool');
      x = tf.layers.concatenate({ name: 'readout' }).apply([x, words]) as tf.SymbolicTensor;
    }
    if (hp.dropout > 0) x = tf.layers.dropout({ name: 'dropout', rate: hp.dropout }).apply(x) as tf.SymbolicTensor;
    const probs = output(dims, hp, seed).apply(x) as tf.SymbolicTensor;
    return tf.model({ name: `${bidirectional ? 'bi' : ''}${kind}`, inputs: tokens, outputs: probs });
  };
}

export const MODEL_BUILDERS: Record<ModelName, (hp?: Partial<ModelHyperparams>) => ModelBuilder> = {
  linear: (hp) => linear({ ...DEFAULT_HYPERPARAMS, ...hp }),
  baseline: (hp) => baseline({ ...DEFAULT_HYPERPARAMS, ...hp }),
  lstm: (hp) => recurrent('lstm', false, { ...DEFAULT_HYPERPARAMS, ...hp }),
  gru: (hp) => recurrent('gru', false, { ...DEFAULT_HYPERPARAMS, ...hp }),
  bilstm: (hp) => recurrent('lstm', true, { ...DEFAULT_HYPERPARAMS, ...hp }),
  bigru: (hp) => recurrent('gru', true, { ...DEFAULT_HYPERPARAMS, ...hp }),
  ensemble: () => {
    throw new Error('An ensemble is not one network: it combines trained runs (train/ensemble/job.ts), and has no builder.');
  },
};

/** The builder for a model name with hyperparameters; throws a clear error for unknown names. */
export function modelBuilder(name: ModelName, hp: Partial<ModelHyperparams> = {}): ModelBuilder {
  const make = MODEL_BUILDERS[name];
  if (!make) throw new Error(`Unknown model "${String(name)}". Known models: ${Object.keys(MODEL_BUILDERS).join(', ')}.`);
  return make(hp);
}
