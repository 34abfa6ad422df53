// Contracts inside the training area shared by the model zoo (models.ts), the recipes (recipes.ts),
// the loop (loop.ts) and search. A model is always a pure function of its config and these dims.
import type * as tf from '@tensorflow/tfjs';
import type { PipelineOptions } from '../text/types.ts';

export interface ModelDims {
  /** Distinct input ids (vocabulary incl. padding/OOV, alphabet, or hash buckets). */
  inputDim: number;
  sequenceLength: number;
  classes: number;
  /** Size of the train split: lets a recipe scale its model to the data (chars-lstm). */
  trainExamples?: number;
  /** Optional pretrained word vectors, row i = vector of input id i. */
  embeddings?: { matrix: Float32Array; dim: number; trainable: boolean };
}

export type ModelBuilder = (dims: ModelDims, seed: number) => tf.LayersModel;

export interface RecipeTraining {
  optimizer?: 'adam' | 'rmsprop' | 'sgd';
  learningRate?: number;
  batchSize?: number;
  loss?: 'crossentropy' | 'topk';
  k?: number;
  epochs?: number;
}

/** A named, ready-made model for a common training problem: architecture plus the training settings it comes with. */
export interface Recipe {
  name: string;
  title: string;
  /** One paragraph: where it comes from and what it is for. */
  description: string;
  /** The training problem it is made for (shown in `textbench recipes`). */
  story: 'overfitting' | 'plateau' | 'collapse' | 'characters';
  build: ModelBuilder;
  pipeline?: Partial<PipelineOptions>;
  training?: RecipeTraining;
}
