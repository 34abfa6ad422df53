// What a model trains on, prepared once for every caller: the run's data (splits, labels, validation hold-out),
// its text pipeline, the settings that depend on the data (linear's L2 and n-gram cut-off), and the network.
// A training run (job.ts) and the learning-rate finder (lrfind.ts) both start here, so that lr-find suggests a
// rate for exactly the model the run will train.
import type * as tf from '@tensorflow/tfjs';
import type { Db } from '../store/db.ts';
import type { ModelName, TrainingConfig } from '../../../shared/training.ts';
import { fitPipeline, pipelineFromJSON } from '../text/pipeline.ts';
import type { PipelineJSON, TextPipeline } from '../text/types.ts';
import { TextbenchError } from '../errors.ts';
import { findRecipe } from './config.ts';
import { loadRunData, type RunData } from './data.ts';
import { modelBuilder, MODEL_INPUT } from './models.ts';
import { loadVectors } from './vectors.ts';
import type { ModelDims, Recipe } from './types.ts';

/**
 * Which training path a model takes. 'neural': a TensorFlow.js LayersModel trained by the loop (loop.ts), with
 * checkpoints, the doctor and lr-find. 'linear': TF-IDF features and an exact solver chosen by cross-validation
 * (train/linear/), no epochs, no learning rate. job.ts and lrfind.ts switch on it.
 */
export type ModelFamily = 'neural' | 'linear';
export const MODEL_FAMILY: Record<ModelName, ModelFamily> = {
  linear: 'linear',
  baseline: 'neural',
  lstm: 'neural',
  gru: 'neural',
  bilstm: 'neural',
  bigru: 'neural',
};

export interface PreparedRun {
  /** The run's settings with what depends on the data filled in (l2 for linear; embeddingDim from --vectors). */
  config: TrainingConfig;
  recipe: Recipe | undefined;
  data: RunData;
  pipeline: TextPipeline;
}

/**
 * Linear's default L2: 0.5 / n (scikit-learn's C = 1) on small train sets, none on large ones. The penalty is a
 * dense update of the whole feature table every step; under Adam it shrinks rarely seen features hard. That helps
 * small data (UCI sentiment test accuracy 0.856 vs 0.837 without) and hurts large data (O*NET validation
 * macro-F1 0.46 vs 0.54 without, at a third of the speed); early stopping regularises there instead.
 */
export function autoL2(trainSize: number): number {
  return trainSize <= 5000 ? 0.5 / Math.max(1, trainSize) : 0;
}

/**
 * Linear's n-grams must occur in at least this many train texts: all of them on small data, where every
 * feature counts (UCI test accuracy 0.856 vs 0.835 with 2); on large data a feature seen once only costs
 * time (O*NET: half the feature table, same test macro-F1 0.546 vs 0.548).
 */
export function autoMinDf(trainSize: number): number {
  return trainSize <= 5000 ? 1 : 2;
}

/**
 * The data and text pipeline of a run. `stored` (a resumed run) keeps the labels and the fitted pipeline the run
 * started with; otherwise the pipeline is fitted on the train split.
 */
export function prepareRun(
  db: Db,
  projectId: string,
  settings: TrainingConfig,
  options: { stored?: { pipeline: PipelineJSON; labels: string[] } | null; log?: (message: string) => void } = {},
): PreparedRun {
  const log = options.log ?? (() => {});
  const stored = options.stored ?? null;
  const config: TrainingConfig = { ...settings };
  const data = loadRunData(db, projectId, { validationFraction: config.validationFraction, seed: config.seed, labels: stored?.labels });
  log(`data: ${data.train.length} train, ${data.validation.length} validation (${data.validationSource}), ${data.test.length} test, ${data.labels.length} labels`);
  const recipe = config.recipe ? findRecipe(config.recipe) : undefined;
  const ngrams = !recipe && MODEL_INPUT[config.model] === 'ngrams';
  const pipeline = stored
    ? pipelineFromJSON(stored.pipeline)
    : fitPipeline(
        data.train.map((e) => e.text),
        {
          ...(recipe?.pipeline ?? {}),
          tokens: ngrams ? 'ngrams' : config.tokens === 'ngrams' ? 'words' : config.tokens,
          lowercase: config.lowercase,
          ...(ngrams ? { ngrams: { minDf: autoMinDf(data.train.length) } } : { minCount: config.minCount, maxVocab: config.maxVocab }),
          sequenceLength: config.sequenceLength,
        },
      );
  log(`text: ${pipeline.options.tokens}, ${pipeline.inputDim} input ids, sequence length ${pipeline.sequenceLength}`);
  if (config.l2 === null) config.l2 = autoL2(data.train.length);
  return { config, recipe, data, pipeline };
}

/** A fresh network for a prepared neural run: the recipe's or the zoo's, with pretrained vectors when asked. */
export async function buildNeuralModel(prep: PreparedRun, log: (message: string) => void = () => {}): Promise<tf.LayersModel> {
  const { config, pipeline, data, recipe } = prep;
  const dims: ModelDims = { inputDim: pipeline.inputDim, sequenceLength: pipeline.sequenceLength, classes: data.labels.length, trainExamples: data.train.length };
  if (config.vectors) {
    if (pipeline.options.tokens !== 'words') throw new TextbenchError('Pretrained word vectors (--vectors) need word tokens (--tokens words).', 'BAD_OPTION', { field: 'vectors' });
    const v = await loadVectors(config.vectors, pipeline.toJSON().vocabulary, config.seed, pipeline.options.lowercase);
    dims.embeddings = { matrix: v.matrix, dim: v.dim, trainable: !config.freezeVectors };
    config.embeddingDim = v.dim;
    log(`vectors: ${v.found} of ${pipeline.inputDim - 2} words found in ${config.vectors} (${v.dim} dimensions, ${config.freezeVectors ? 'frozen' : 'trainable'})`);
  }
  const build = recipe
    ? recipe.build
    : modelBuilder(config.model, {
        embeddingDim: config.embeddingDim,
        units: config.units,
        layers: config.layers,
        dropout: config.dropout,
        recurrentDropout: config.recurrentDropout,
        l2: config.l2 ?? 0,
      });
  return build(dims, config.seed);
}
