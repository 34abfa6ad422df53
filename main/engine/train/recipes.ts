// Ready-made recipes: well-known architectures for three common training problems (a low ceiling with
// overfitting, a plateau from a too-low learning rate, collapse or NaN in character-level LSTMs), each a pure
// builder plus the training settings it comes with. A user runs them on their own data and sees them on the same
// leaderboard as the linear model, and judges them honestly.
// Dropout layers get no seed (as in models.ts): a seeded tfjs dropout draws the same mask every step; the loop
// seeds Math.random per epoch instead.
import * as tf from '@tensorflow/tfjs';
import type { ModelDims, Recipe } from './types.ts';
import { recurrentLayer, type RecurrentLayerArgs } from '../compute/fused-rnn.ts';

type Initializer = ReturnType<typeof tf.initializers.glorotUniform>;

/**
 * What a recipe builder is told. `trainExamples` (passed by the training job and lr-find) lets `chars-lstm`
 * scale its LSTM to the amount of data; without it the recipe uses a modest default.
 */
export type RecipeDims = ModelDims;

// Orthogonal recurrent initialisation (the Keras default) runs a QR decomposition in pure TensorFlow.js ops,
// which takes minutes for a 100-unit LSTM here; Glorot-uniform is what tfjs-node users fall back to as well.
function init(seed: number, i: number): Initializer {
  return tf.initializers.glorotUniform({ seed: seed * 131 + i });
}

function he(seed: number, i: number): Initializer {
  return tf.initializers.heUniform({ seed: seed * 131 + i });
}

function embedding(dims: ModelDims, outputDim: number, seed: number, options: { frozen?: boolean } = {}): tf.layers.Layer {
  const pre = dims.embeddings;
  if (pre) {
    return tf.layers.embedding({
      inputDim: dims.inputDim,
      outputDim: pre.dim,
      inputLength: dims.sequenceLength,
      weights: [tf.tensor2d(pre.matrix, [dims.inputDim, pre.dim])],
      trainable: options.frozen ? false : pre.trainable,
      name: 'embedding',
    });
  }
  return tf.layers.embedding({
    inputDim: dims.inputDim,
    outputDim,
    inputLength: dims.sequenceLength,
    embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: seed * 131 }),
    trainable: !options.frozen,
    name: 'embedding',
  });
}

/** An LSTM layer: the fused FusedLSTM where the backend has its kernels (compute/fused-rnn.ts; same math, weights
 * and dropout draws), tf.layers.lstm otherwise. */
function lstm(units: number, seed: number, i: number, extra: Partial<RecurrentLayerArgs> = {}): tf.layers.Layer {
  return recurrentLayer('lstm', { units, kernelInitializer: init(seed, i), recurrentInitializer: init(seed, i + 50), ...extra });
}

function softmax(dims: ModelDims, seed: number): tf.layers.Layer {
  return tf.layers.dense({ units: dims.classes, activation: 'softmax', kernelInitializer: init(seed, 99), name: 'output' });
}

function sequential(name: string, layers: tf.layers.Layer[]): tf.LayersModel {
  const model = tf.sequential({ name });
  for (const layer of layers) model.add(layer);
  return model;
}

/**
 * Character input as the char-rnn stories fed it: one-hot vectors. An embedding whose matrix is the identity
 * and that never trains is exactly a one-hot encoding, and keeps int32 ids as the model input like every other
 * model. Past 256 distinct ids (someone used word tokens) one-hot gets too wide; fall back to a learned embedding.
 */
function charInput(dims: ModelDims, seed: number): tf.layers.Layer {
  if (dims.inputDim <= 256 && !dims.embeddings) {
    return tf.layers.embedding({
      inputDim: dims.inputDim,
      outputDim: dims.inputDim,
      inputLength: dims.sequenceLength,
      embeddingsInitializer: tf.initializers.identity({ gain: 1 }),
      trainable: false,
      name: 'one_hot_chars',
    });
  }
  return embedding(dims, 64, seed);
}

/** The original char-LSTM size, and the size used for a data set of `trainExamples` texts. */
export const CHARS_LSTM_FULL_UNITS = 1024;
export function charsLstmUnits(trainExamples: number | undefined): number {
  // About 10 parameters' worth of data per LSTM weight is where a char-LSTM stops memorising outright:
  // 4·u² ≈ 2.5·n  →  u ≈ sqrt(2.5·n / 4)·2 rounded to a power of two, between 32 and the original 1024.
  if (!trainExamples || trainExamples <= 0) return 128;
  const u = Math.sqrt(2.5 * trainExamples);
  const pow = 2 ** Math.round(Math.log2(u));
  return Math.max(32, Math.min(CHARS_LSTM_FULL_UNITS, pow));
}

const CHAR_PIPELINE = { tokens: 'chars', lowercase: false, minCount: 1, maxVocab: 200 } as const;

export const RECIPES: Record<string, Recipe> = {
  'jobs-lstm-1': {
    name: 'jobs-lstm-1',
    title: 'Jobs LSTM 1: Embedding(80) → SpatialDropout1D(0.2) → LSTM(100, dropout 0.2) → softmax · Adam · batch 100',
    description:
      'An LSTM classifier written the way most tutorials write it (an 80-dimensional embedding, spatial dropout, one ' +
      'LSTM of 100 units with input and recurrent dropout, a softmax output, Adam, batches of 100). On many-class ' +
      'data such as job adverts by industry it tends to stop at a low ceiling while its training accuracy keeps ' +
      'climbing (overfitting). Use it as the starting point that the other recipes and the linear model are ' +
      'measured against.',
    story: 'overfitting',
    build: (dims, seed) =>
      sequential('jobs_lstm_1', [
        embedding(dims, 80, seed),
        tf.layers.spatialDropout1d({ rate: 0.2 }),
        lstm(100, seed, 1, { dropout: 0.2, recurrentDropout: 0.2 }),
        softmax(dims, seed),
      ]),
    training: { optimizer: 'adam', learningRate: 1e-3, batchSize: 100, loss: 'crossentropy', epochs: 5 },
  },
  'jobs-lstm-2': {
    name: 'jobs-lstm-2',
    title: 'Jobs LSTM 2: Embedding(80) → LSTM(100) → Dropout → Dense(128) → Dropout → Dense(64) → Dropout → softmax',
    description:
      'jobs-lstm-1 with a deeper head: two ReLU dense layers (He-uniform initialised) with heavy dropout (0.5) on ' +
      'top of the LSTM, the usual next try when an LSTM stops at a low ceiling. It mostly adds capacity to overfit ' +
      'with; run it to see on your own data whether a bigger head helps.',
    story: 'overfitting',
    build: (dims, seed) =>
      sequential('jobs_lstm_2', [
        embedding(dims, 80, seed),
        lstm(100, seed, 1),
        tf.layers.dropout({ rate: 0.5 }),
        tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: he(seed, 2) }),
        tf.layers.dropout({ rate: 0.5 }),
        tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: he(seed, 3) }),
        tf.layers.dropout({ rate: 0.5 }),
        softmax(dims, seed),
      ]),
    training: { optimizer: 'adam', learningRate: 1e-3, batchSize: 100, loss: 'crossentropy', epochs: 10 },
  },
  'jobs-lstm-3': {
    name: 'jobs-lstm-3',
    title: 'Jobs LSTM 3: frozen Embedding(80) → SpatialDropout1D(0.4) → LSTM(100) → 3× (Dense sigmoid → BatchNorm) → softmax',
    description:
      'jobs-lstm-1 with more regularisation: a frozen embedding (pretrained vectors when you give ' +
      'Textbench a word-vector file, otherwise fixed random vectors), stronger dropout (0.4) on the input and inside ' +
      'the LSTM, and a funnel of sigmoid dense layers (128, 64, 32) each followed by batch normalisation. It shows ' +
      'how regularisation piled on top of a model that is already at its ceiling changes little; compare it with ' +
      'jobs-minimal and the linear model.',
    story: 'overfitting',
    build: (dims, seed) =>
      sequential('jobs_lstm_3', [
        embedding(dims, 80, seed, { frozen: true }),
        tf.layers.spatialDropout1d({ rate: 0.4 }),
        lstm(100, seed, 1, { dropout: 0.4, recurrentDropout: 0.4 }),
        tf.layers.dense({ units: 128, activation: 'sigmoid', kernelInitializer: init(seed, 2) }),
        tf.layers.batchNormalization(),
        tf.layers.dense({ units: 64, activation: 'sigmoid', kernelInitializer: init(seed, 3) }),
        tf.layers.batchNormalization(),
        tf.layers.dense({ units: 32, activation: 'sigmoid', kernelInitializer: init(seed, 4) }),
        tf.layers.batchNormalization(),
        softmax(dims, seed),
      ]),
    training: { optimizer: 'adam', learningRate: 1e-3, batchSize: 100, loss: 'crossentropy', epochs: 10 },
  },
  'jobs-minimal': {
    name: 'jobs-minimal',
    title: 'Jobs minimal: Embedding(64) → LSTM(classes / 4) → softmax · top-k loss (k = 16) · batch 256',
    description:
      'The way out of a low ceiling on imbalanced many-class data: start from the smallest model that can work (an LSTM with only ' +
      'a quarter as many units as there are classes) and fight the class imbalance with the top-k loss, which trains ' +
      'each step only on the 16 hardest examples of a large batch (256) so that the rare classes, which the model gets ' +
      'wrong most, drive the gradient. Evaluation uses the ordinary loss. Grow it only when it stops improving.',
    story: 'overfitting',
    build: (dims, seed) =>
      sequential('jobs_minimal', [
        embedding(dims, 64, seed),
        lstm(Math.max(1, Math.ceil(dims.classes / 4)), seed, 1),
        softmax(dims, seed),
      ]),
    training: { optimizer: 'adam', learningRate: 5e-3, batchSize: 256, loss: 'topk', k: 16, epochs: 20 },
  },
  'sentiment-ffnn': {
    name: 'sentiment-ffnn',
    title: 'Sentiment FFNN: Embedding(32) → GlobalMaxPool1D → Dense(10, relu) → softmax · RMSprop',
    description:
      'A smooth feed-forward baseline over word embeddings (32 dimensions, max pooled over the text, a 10-unit ReLU ' +
      'layer) trained with RMSprop, made for short texts such as review sentences. Its loss falls steadily from the ' +
      'first epoch; put it next to sentiment-gru to tell a plateau from a model that cannot learn. ' +
      'The output is a softmax over the classes (two units for a binary label rather than a single sigmoid, ' +
      'so that it trains and exports like every other model).',
    story: 'plateau',
    build: (dims, seed) =>
      sequential('sentiment_ffnn', [
        embedding(dims, 32, seed),
        tf.layers.globalMaxPooling1d({}),
        tf.layers.dense({ units: 10, activation: 'relu', kernelInitializer: init(seed, 2) }),
        softmax(dims, seed),
      ]),
    training: { optimizer: 'rmsprop', learningRate: 1e-3, batchSize: 32, loss: 'crossentropy', epochs: 10 },
  },
  'sentiment-gru': {
    name: 'sentiment-gru',
    title: 'Sentiment GRU: Embedding(32) → GRU(32) → softmax · RMSprop · learning rate 0.001 (prone to plateaus)',
    description:
      'A 32-unit GRU over 32-dimensional word embeddings, trained with RMSprop, for short texts. ' +
      'With a learning rate that is too low its loss and accuracy sit still for many epochs and then suddenly learn; ' +
      'the learning rate is the first thing to look at, which is why it is shown in the title. Run it with ' +
      '--lr 1e-6 to watch the training doctor flag the plateau and raise the rate, or use `textbench lr-find` ' +
      'to pick one. Softmax output over the classes (two units for a binary label).',
    story: 'plateau',
    build: (dims, seed) =>
      sequential('sentiment_gru', [
        embedding(dims, 32, seed),
        recurrentLayer('gru', { units: 32, kernelInitializer: init(seed, 1), recurrentInitializer: init(seed, 51) }),
        softmax(dims, seed),
      ]),
    training: { optimizer: 'rmsprop', learningRate: 1e-3, batchSize: 32, loss: 'crossentropy', epochs: 10 },
  },
  'chars-lstm': {
    name: 'chars-lstm',
    title: 'Chars LSTM: one-hot characters → LSTM (scaled to your data, up to 1024 units) → softmax',
    description:
      'A character-level model: the text is read one character at a time (one-hot, the ' +
      'alphabet learned from the train split) by a single LSTM. Its usual size, 1024 units, on a few thousand ' +
      'examples memorises the data and is prone to exploding gradients; by default the LSTM is scaled to the size of ' +
      'your train split (32 to 1024 units, about sqrt(2.5 × examples) rounded to a power of two). ' +
      'The original size is the chars-lstm-full recipe.',
    story: 'characters',
    build: (dims: RecipeDims, seed) =>
      sequential('chars_lstm', [charInput(dims, seed), lstm(charsLstmUnits(dims.trainExamples), seed, 1), softmax(dims, seed)]),
    pipeline: CHAR_PIPELINE,
    training: { optimizer: 'adam', learningRate: 2e-3, batchSize: 64, loss: 'crossentropy', epochs: 10 },
  },
  'chars-lstm-full': {
    name: 'chars-lstm-full',
    title: 'Chars LSTM, original size: one-hot characters → LSTM(1024) → softmax',
    description:
      'The character-level LSTM at its usual size of 1024 units. Slow on a CPU and easy ' +
      'to overfit, collapse to one class or blow up to NaN on small data: run it with the training doctor watching for ' +
      'NaN, divergence and collapse. For everyday use chars-lstm scales the same model to your data.',
    story: 'characters',
    build: (dims, seed) =>
      sequential('chars_lstm_full', [charInput(dims, seed), lstm(CHARS_LSTM_FULL_UNITS, seed, 1), softmax(dims, seed)]),
    pipeline: CHAR_PIPELINE,
    training: { optimizer: 'adam', learningRate: 2e-3, batchSize: 64, loss: 'crossentropy', epochs: 10 },
  },
  'chars-lstm-2': {
    name: 'chars-lstm-2',
    title: 'Chars LSTM 2: one-hot characters → LSTM → TimeDistributed(Dense) → LSTM → softmax',
    description:
      'A deeper character-level model: two stacked LSTMs with a time-distributed dense ' +
      'layer between them (the first LSTM returns its whole sequence, the dense layer mixes each time step, the second ' +
      'LSTM reads the result). Deeper recurrent stacks are where gradients explode most easily: the doctor turns on ' +
      'clipping and lowers the learning rate when it sees it. Sized to your data like chars-lstm.',
    story: 'characters',
    build: (dims: RecipeDims, seed) => {
      const units = Math.max(32, Math.floor(charsLstmUnits(dims.trainExamples) / 2));
      return sequential('chars_lstm_2', [
        charInput(dims, seed),
        lstm(units, seed, 1, { returnSequences: true }),
        tf.layers.timeDistributed({ layer: tf.layers.dense({ units, activation: 'relu', kernelInitializer: he(seed, 2) }) }),
        lstm(units, seed, 3),
        softmax(dims, seed),
      ]);
    },
    pipeline: CHAR_PIPELINE,
    training: { optimizer: 'adam', learningRate: 2e-3, batchSize: 64, loss: 'crossentropy', epochs: 10 },
  },
};

export function getRecipe(name: string): Recipe | undefined {
  return RECIPES[name];
}

export function recipeNames(): string[] {
  return Object.keys(RECIPES);
}

/** One row of a model summary: what tests and `textbench recipes --json` use to show a recipe's structure. */
export interface LayerSummary {
  className: string;
  name: string;
  outputShape: Array<number | null>;
  params: number;
  trainable: boolean;
  config: Record<string, unknown>;
}

const SUMMARY_KEYS = [
  'units', 'outputDim', 'inputDim', 'rate', 'dropout', 'recurrentDropout', 'activation', 'returnSequences',
  'kernelInitializer', 'trainable',
];

/** The layers of a model as plain data (class names and the config keys that define a recipe). */
export function summarizeModel(model: tf.LayersModel): LayerSummary[] {
  return model.layers.map((layer) => {
    const raw = layer.getConfig() as Record<string, unknown>;
    const config: Record<string, unknown> = {};
    for (const key of SUMMARY_KEYS) {
      if (raw[key] === undefined) continue;
      const value = raw[key];
      config[key] = value && typeof value === 'object' && 'className' in value ? (value as { className: string }).className : value;
    }
    if (raw.layer && typeof raw.layer === 'object') {
      const inner = raw.layer as { className?: string; config?: Record<string, unknown> };
      config.layer = { className: inner.className, units: inner.config?.units, activation: inner.config?.activation };
    }
    const shape = layer.outputShape;
    const outputShape = (Array.isArray(shape[0]) ? shape[0] : shape) as Array<number | null>;
    return { className: layer.getClassName(), name: layer.name, outputShape, params: layer.countParams(), trainable: layer.trainable, config };
  });
}
