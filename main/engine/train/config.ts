// From what a caller asked for (TrainOptions) to the full settings a run trains with (TrainingConfig):
// the model's defaults, then the recipe's, then the caller's explicit choices, each checked with a clear message.
import { TextbenchError } from '../errors.ts';
import { MODEL_NAMES, type ModelName, type TrainOptions, type TrainingConfig } from '../../../shared/training.ts';
import { getRecipe, RECIPES } from './recipes.ts';
import type { Recipe } from './types.ts';

/**
 * Defaults per model, tuned on the UCI sentiment split (see the issue note for the numbers they reach).
 * Early stopping on validation loss with restore of the best epoch keeps the epoch counts safe to overshoot.
 */
export const MODEL_DEFAULTS: Record<ModelName, Partial<TrainingConfig>> = {
  linear: { epochs: 40, batchSize: 32, learningRate: 0.02, l2: null, dropout: 0, patience: 4, earlyStop: 'val-loss' },
  baseline: { epochs: 30, batchSize: 32, learningRate: 0.003, embeddingDim: 64, dropout: 0.3, patience: 4, earlyStop: 'val-loss' },
  lstm: { epochs: 20, batchSize: 32, learningRate: 0.002, embeddingDim: 64, units: 64, dropout: 0.3, patience: 3, earlyStop: 'val-loss' },
  gru: { epochs: 20, batchSize: 32, learningRate: 0.002, embeddingDim: 64, units: 64, dropout: 0.3, patience: 3, earlyStop: 'val-loss' },
  bilstm: { epochs: 20, batchSize: 32, learningRate: 0.002, embeddingDim: 64, units: 64, dropout: 0.3, patience: 3, earlyStop: 'val-loss' },
  bigru: { epochs: 20, batchSize: 32, learningRate: 0.002, embeddingDim: 64, units: 64, dropout: 0.3, patience: 3, earlyStop: 'val-loss' },
};

const BASE: TrainingConfig = {
  model: 'linear',
  recipe: null,
  epochs: 20,
  batchSize: 32,
  learningRate: 0.003,
  optimizer: 'adam',
  loss: 'crossentropy',
  k: 16,
  classWeights: 'none',
  labelSmoothing: 0,
  clipNorm: null,
  earlyStop: 'val-loss',
  patience: 3,
  units: 64,
  layers: 1,
  embeddingDim: 64,
  dropout: 0.2,
  recurrentDropout: 0,
  l2: 0,
  tokens: 'words',
  sequenceLength: null,
  minCount: 2,
  maxVocab: 30000,
  lowercase: true,
  vectors: null,
  freezeVectors: false,
  seed: 42,
  backend: null,
  repair: true,
  validationFraction: 0.1,
};

export const DEFAULT_MODEL: ModelName = 'linear';

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function findRecipe(name: string): Recipe {
  const r = getRecipe(name);
  if (!r) {
    const known = Object.keys(RECIPES);
    throw new TextbenchError(
      `Unknown recipe "${name}". ${known.length ? `Known recipes: ${known.join(', ')}.` : 'No recipes are available in this build.'} Run \`textbench recipes\` to list them.`,
      'RECIPE_NOT_FOUND',
      { field: 'recipe', value: name },
    );
  }
  return r;
}

/** The resolved configuration; throws TextbenchError naming the field for any out-of-range value. */
export function resolveConfig(options: TrainOptions): TrainingConfig {
  if (options.model !== undefined && !MODEL_NAMES.includes(options.model)) {
    throw new TextbenchError(`Unknown model "${String(options.model)}". Pick one of: ${MODEL_NAMES.join(', ')}.`, 'BAD_OPTION', { field: 'model' });
  }
  const recipe = options.recipe ? findRecipe(options.recipe) : undefined;
  const model: ModelName = options.model ?? (recipe ? 'gru' : DEFAULT_MODEL);
  const fromRecipe: Partial<TrainingConfig> = recipe
    ? defined({
        optimizer: recipe.training?.optimizer,
        learningRate: recipe.training?.learningRate,
        batchSize: recipe.training?.batchSize,
        loss: recipe.training?.loss,
        k: recipe.training?.k,
        epochs: recipe.training?.epochs,
        tokens: recipe.pipeline?.tokens === 'chars' || recipe.pipeline?.tokens === 'words' ? recipe.pipeline.tokens : undefined,
        sequenceLength: recipe.pipeline?.sequenceLength,
        minCount: recipe.pipeline?.minCount,
        maxVocab: recipe.pipeline?.maxVocab,
        lowercase: recipe.pipeline?.lowercase,
      })
    : {};
  const { project: _p, name: _n, vectors, ...rest } = options;
  const cfg: TrainingConfig = {
    ...BASE,
    ...MODEL_DEFAULTS[model],
    ...fromRecipe,
    ...defined(rest),
    model,
    recipe: recipe ? recipe.name : null,
    vectors: vectors ?? null,
  };
  if (model === 'linear' && !recipe) cfg.tokens = 'ngrams';
  if (cfg.tokens === 'ngrams' && model !== 'linear') {
    throw new TextbenchError(`Hashed n-grams feed only the linear model; ${model} reads words or chars (--tokens words|chars).`, 'BAD_OPTION', { field: 'tokens' });
  }
  if (options.tokens && model === 'linear' && !recipe) {
    throw new TextbenchError('The linear model reads TF-IDF word and character n-grams; --tokens applies to the neural models only.', 'BAD_OPTION', { field: 'tokens' });
  }
  if (cfg.clipNorm === 0) cfg.clipNorm = null;
  validate(cfg);
  return cfg;
}

function validate(c: TrainingConfig): void {
  const bad = (field: string, message: string) => {
    throw new TextbenchError(`Training option ${field}: ${message}`, 'BAD_OPTION', { field });
  };
  const int = (field: keyof TrainingConfig, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const v = c[field] as number;
    if (!Number.isInteger(v) || v < min || v > max) bad(field, `expected a whole number from ${min} to ${max}, got ${String(v)}.`);
  };
  const real = (field: keyof TrainingConfig, min: number, max: number, openMin = false) => {
    const v = c[field] as number;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (openMin && v === min)) bad(field, `expected a number ${openMin ? 'above' : 'from'} ${min} ${openMin ? 'and up to' : 'to'} ${max}, got ${String(v)}.`);
  };
  int('epochs', 1, 10000);
  int('batchSize', 1, 65536);
  real('learningRate', 0, 10, true);
  int('k', 1, 65536);
  real('labelSmoothing', 0, 0.99);
  if (c.clipNorm !== null) real('clipNorm', 0, 1e6, true);
  int('patience', 1, 1000);
  int('units', 1, 4096);
  int('layers', 1, 8);
  int('embeddingDim', 1, 2048);
  real('dropout', 0, 0.95);
  real('recurrentDropout', 0, 0.95);
  if (c.l2 !== null) real('l2', 0, 10);
  if (c.sequenceLength !== null) int('sequenceLength', 1, 100000);
  int('minCount', 1, 1e9);
  int('maxVocab', 1, 10_000_000);
  int('seed', 0, 2 ** 31 - 1);
  real('validationFraction', 0.01, 0.5);
  if (!['adam', 'rmsprop', 'sgd'].includes(c.optimizer)) bad('optimizer', `expected adam, rmsprop or sgd, got "${c.optimizer}".`);
  if (!['crossentropy', 'topk'].includes(c.loss)) bad('loss', `expected crossentropy (ce) or topk, got "${c.loss}".`);
  if (!['none', 'balanced'].includes(c.classWeights)) bad('classWeights', `expected none or balanced, got "${c.classWeights}".`);
  if (!['val-loss', 'macro-f1', 'none'].includes(c.earlyStop)) bad('earlyStop', `expected val-loss, macro-f1 or none, got "${c.earlyStop}".`);
  if (c.backend !== null && !['webgpu', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'].includes(c.backend)) {
    bad('backend', `expected webgpu, tensorflow-gpu, tensorflow, wasm or cpu, got "${c.backend}".`);
  }
}
