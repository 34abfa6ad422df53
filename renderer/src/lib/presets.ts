// Train view presets used when the engine does not list its own (and to order and describe those it does).
import type { TrainPreset, TrainSettings } from '../../../shared/api.ts';
import type { TrainingConfig } from '../../../shared/training.ts';
import { MODEL_PRESETS } from '../../../shared/presets.ts';

/** The model presets and their descriptions, shared with the engine (shared/presets.ts). */
export const FALLBACK_PRESETS: TrainPreset[] = [...MODEL_PRESETS];

/** The ensemble, offered after the single models (the engine's preset list may not name it). */
export const ENSEMBLE_PRESET: TrainPreset = {
  name: 'ensemble',
  title: 'Ensemble',
  kind: 'model',
  description: 'Combines the probabilities of the linear model and one or more finished neural runs, weighted by how well each does on the validation split.',
  defaults: {},
};

/** The presets with the ensemble among the models (after the last model preset, before the recipes). */
export function withEnsemble(presets: readonly TrainPreset[]): TrainPreset[] {
  if (presets.some((p) => p.name === 'ensemble')) return [...presets];
  const models = presets.filter((p) => p.kind === 'model');
  return [...models, ENSEMBLE_PRESET, ...presets.filter((p) => p.kind !== 'model')];
}

/** The knobs shown without opening "Advanced". */
export const MAIN_KNOBS = ['epochs', 'learningRate', 'batchSize'] as const;

export type Knobs = Omit<TrainSettings, 'project'>;

/** Settings for training.start: the preset's name in the right field plus the knobs the user set (blank = default). */
export function settingsFor(project: string, preset: TrainPreset, knobs: Knobs): TrainSettings {
  const clean: Knobs = {};
  for (const [k, v] of Object.entries(knobs) as Array<[keyof Knobs, unknown]>) {
    if (v === '' || v === undefined || v === null || (typeof v === 'number' && !Number.isFinite(v))) continue;
    (clean as Record<string, unknown>)[k] = v;
  }
  if (preset.kind === 'recipe') return { ...clean, project, recipe: preset.name };
  return { ...clean, project, model: preset.name as TrainSettings['model'] };
}

/** The Train form's fields, as the resolved settings name them. */
const KNOB_KEYS = [
  'epochs', 'batchSize', 'learningRate', 'optimizer', 'loss', 'k', 'classWeights', 'labelSmoothing', 'clipNorm', 'earlyStop', 'patience',
  'schedule', 'weightDecay', 'units', 'layers', 'embeddingDim', 'dropout', 'recurrentDropout', 'embeddingDropout', 'pooling', 'pretrain', 'l2', 'tokens',
  'sequenceLength', 'minCount', 'maxVocab', 'lowercase', 'seed', 'backend', 'repair', 'features', 'linearLoss', 'C', 'cvFolds', 'minDf',
] as const satisfies ReadonlyArray<keyof Knobs & keyof TrainingConfig>;

/**
 * A run's resolved settings as the form's knobs, i.e. what training.start takes to train the same again. Values
 * the API cannot take back are left blank (the linear model's n-gram tokens, an automatic L2 or sequence length).
 */
export function knobsFromConfig(c: TrainingConfig): Knobs {
  const k: Record<string, unknown> = {};
  for (const key of KNOB_KEYS) {
    const v = c[key];
    if (v === null || v === undefined) continue;
    if (key === 'tokens' && v === 'ngrams') continue;
    k[key] = v;
  }
  return k as Knobs;
}

/** The preset a run was trained with: its recipe, else its model. */
export function presetOf(presets: readonly TrainPreset[], c: Pick<TrainingConfig, 'model' | 'recipe'>): TrainPreset | null {
  return (c.recipe ? presets.find((p) => p.kind === 'recipe' && p.name === c.recipe) : presets.find((p) => p.kind === 'model' && p.name === c.model)) ?? null;
}

/** A blank field's placeholder: the value the preset trains with when the field is left blank. */
export function placeholderOf(preset: TrainPreset, key: keyof TrainingConfig): string {
  const v = preset.config?.[key];
  if (v === undefined) return 'default';
  if (v === null) return key === 'clipNorm' ? 'off' : 'auto';
  return String(v);
}
