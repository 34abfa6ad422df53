// What a model trains on, prepared once for every caller: the run's data (splits, labels, validation hold-out),
// its text pipeline, the settings that depend on the data (linear's L2 and n-gram cut-off, the neural presets'
// epochs and patience), and the network (with word vectors pretrained on the project's texts when asked).
// A training run (job.ts) and the learning-rate finder (lrfind.ts) both start here, so that lr-find suggests a
// rate for exactly the model the run will train.
import type * as tf from '@tensorflow/tfjs';
import type { Db } from '../store/db.ts';
import type { ModelName, TrainingConfig } from '../../../shared/training.ts';
import { describeLength, fitPipeline, pipelineFromJSON, type LengthChoice } from '../text/pipeline.ts';
import type { PipelineJSON, TextPipeline } from '../text/types.ts';
import { TextbenchError } from '../errors.ts';
import { findRecipe } from './config.ts';
import { loadRunData, type RunData } from './data.ts';
import { modelBuilder, MODEL_INPUT } from './models.ts';
import { loadVectors } from './vectors.ts';
import { pretrainEmbeddings, type PretrainProgress } from './pretrain.ts';
import type { LoopSettings } from './loop.ts';
import type { ModelDims, Recipe } from './types.ts';

/**
 * Which training path a model takes. 'neural': a TensorFlow.js LayersModel trained by the loop (loop.ts), with
 * checkpoints, the doctor and lr-find. 'linear': TF-IDF features and an exact solver chosen by cross-validation
 * (train/linear/), no epochs, no learning rate. job.ts and lrfind.ts switch on it.
 */
export type ModelFamily = 'neural' | 'linear' | 'ensemble';
export const MODEL_FAMILY: Record<ModelName, ModelFamily> = {
  linear: 'linear',
  baseline: 'neural',
  lstm: 'neural',
  gru: 'neural',
  bilstm: 'neural',
  bigru: 'neural',
  ensemble: 'ensemble',
};

export interface PreparedRun {
  /** The run's settings with what depends on the data filled in (l2 for linear; embeddingDim from --vectors). */
  config: TrainingConfig;
  recipe: Recipe | undefined;
  data: RunData;
  pipeline: TextPipeline;
}

/**
 * Optimizer steps a neural preset's run is planned for when --epochs is not given. The models are small (tens of
 * thousands of weights besides the word vectors) and Adam fits them within a few hundred steps; what differs
 * between data sets is how many passes those steps are. Measured with the warm-up + cosine schedule at 0.005:
 * O*NET jobs (23 steps a pass) peaked after 20-25 passes, UCI sentiment (68) after 5-8, O*NET tasks (442) after
 * 2-3; 1,000 steps covers each with room for early stopping to find the peak.
 */
export const STEP_BUDGET = 1000;
/** Fewest and most passes the step budget may ask for: large data still gets a few passes, tiny data a bound. */
export const EPOCH_RANGE: readonly [number, number] = [4, 60];

/** Epochs for a neural preset: about STEP_BUDGET optimizer steps, within EPOCH_RANGE. */
export function autoEpochs(trainSize: number, batchSize: number): number {
  const steps = Math.max(1, Math.ceil(trainSize / Math.max(1, batchSize)));
  return Math.max(EPOCH_RANGE[0], Math.min(EPOCH_RANGE[1], Math.ceil(STEP_BUDGET / steps)));
}

/**
 * Early stopping's patience for a neural preset: a quarter of the epochs, at least 3. Validation macro-F1 on a
 * small validation split (83 job ads over 22 labels) moves by several points from one epoch to the next, so a
 * long run must be allowed a few flat epochs before its peak.
 */
export function autoPatience(epochs: number): number {
  return Math.max(3, Math.ceil(epochs / 4));
}

/** What the loop runs with: the resolved config's loop settings (epochs and patience resolved by prepareRun). */
export function loopSettings(config: TrainingConfig): LoopSettings {
  if (config.epochs === null || config.patience === null) throw new Error('loopSettings() needs a prepared config (epochs and patience resolved).');
  return {
    epochs: config.epochs,
    batchSize: config.batchSize,
    optimizer: config.optimizer,
    learningRate: config.learningRate,
    loss: config.loss,
    k: config.k,
    classWeights: config.classWeights,
    labelSmoothing: config.labelSmoothing,
    clipNorm: config.clipNorm,
    earlyStop: config.earlyStop,
    patience: config.patience,
    seed: config.seed,
    repair: config.repair,
    schedule: config.schedule,
    weightDecay: config.weightDecay,
  };
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
          // The recipes keep the first tokens of a long text, as their stories did; the presets keep head and tail.
          ...(recipe ? { cut: recipe.pipeline?.cut ?? 'head' } : {}),
        },
      );
  const choice = (pipeline as { lengthChoice?: LengthChoice }).lengthChoice;
  log(`text: ${pipeline.options.tokens}, ${pipeline.inputDim} input ids, ${choice ? describeLength(choice, pipeline.options.tokens) : `sequence length ${pipeline.sequenceLength}`}`);
  if (config.l2 === null) config.l2 = autoL2(data.train.length);
  if (config.epochs === null) {
    config.epochs = autoEpochs(data.train.length, config.batchSize);
    log(`epochs: ${config.epochs} (about ${STEP_BUDGET} steps of ${config.batchSize} examples)`);
  }
  if (config.patience === null) config.patience = autoPatience(config.epochs);
  return { config, recipe, data, pipeline };
}

export interface BuildHooks {
  log?(message: string): void;
  /** Progress of the pretraining step (--pretrain subword), at most ten times a second. */
  onPretrain?(p: PretrainProgress): void;
  /** Polled during pretraining: true stops it early (the model then starts from the vectors so far). */
  shouldStop?(): boolean;
}

/** A fresh network for a prepared neural run: the recipe's or the zoo's, with pretrained vectors when asked. */
export async function buildNeuralModel(prep: PreparedRun, hooks: BuildHooks = {}): Promise<tf.LayersModel> {
  const log = hooks.log ?? (() => {});
  const { config, pipeline, data, recipe } = prep;
  const dims: ModelDims = { inputDim: pipeline.inputDim, sequenceLength: pipeline.sequenceLength, classes: data.labels.length, trainExamples: data.train.length };
  if (config.vectors && config.pretrain !== 'none') {
    throw new TextbenchError('Choose one source of word vectors: --vectors FILE or --pretrain subword, not both.', 'BAD_OPTION', { field: 'pretrain' });
  }
  if (config.pretrain === 'subword') {
    if (pipeline.options.tokens !== 'words') throw new TextbenchError('Pretrained word vectors (--pretrain subword) need word tokens (--tokens words).', 'BAD_OPTION', { field: 'pretrain' });
    const corpus = data.train.map((e) => e.text);
    const v = await pretrainEmbeddings(corpus, pipeline.toJSON().vocabulary, {
      dim: config.embeddingDim,
      seed: config.seed,
      lowercase: pipeline.options.lowercase,
      onProgress: hooks.onPretrain,
      shouldStop: hooks.shouldStop,
    });
    dims.embeddings = { matrix: v.matrix, dim: v.dim, trainable: !config.freezeVectors };
    log(
      `pretraining: subword skip-gram on ${corpus.length} texts (${v.tokens} words, ${v.epochs} passes) in ${v.seconds.toFixed(1)}s; ` +
        `${v.found} of ${pipeline.inputDim - 2} vocabulary words seen, ${v.missing} without any known n-gram`,
    );
  }
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
        embeddingDropout: config.embeddingDropout,
        pooling: config.pooling,
        l2: config.l2 ?? 0,
      });
  return build(dims, config.seed);
}
