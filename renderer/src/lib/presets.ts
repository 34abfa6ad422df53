// Train view presets used when the engine does not list its own (and to order and describe those it does).
import type { TrainPreset, TrainSettings } from '../../../shared/api.ts';

export const FALLBACK_PRESETS: TrainPreset[] = [
  { name: 'baseline', title: 'Baseline', kind: 'model', description: 'Embedding → global max pooling → dense. Fast, smooth, a strong first line.', defaults: { epochs: 10 } },
  { name: 'linear', title: 'Linear (TF-IDF)', kind: 'model', description: 'Hashed word and character n-grams with logistic regression: the honest yardstick.', defaults: { epochs: 10 } },
  { name: 'lstm', title: 'LSTM', kind: 'model', description: 'A recurrent network with long short-term memory cells.', defaults: { epochs: 10 } },
  { name: 'gru', title: 'GRU', kind: 'model', description: 'A gated recurrent network: fewer weights than an LSTM, often as good.', defaults: { epochs: 10 } },
  { name: 'bigru', title: 'BiGRU', kind: 'model', description: 'A GRU reading the text in both directions.', defaults: { epochs: 10 } },
];

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
