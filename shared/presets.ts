// The model presets the Train view offers, with the words that describe them: one list for the engine
// (main/engine/train/presets.ts adds each preset's resolved settings and the recipes) and for the renderer
// (renderer/src/lib/presets.ts shows it before the engine has answered). Plain data: no Node or DOM imports.
import type { TrainPreset } from './training.ts';

// The models start from their engine defaults (main/engine/train/config.ts): the neural presets choose their
// epochs from the train size, so no epoch count is suggested here.
export const MODEL_PRESETS: readonly TrainPreset[] = [
  { name: 'baseline', title: 'Baseline', kind: 'model', description: 'Embedding → max pooling over the words → dense: fast and smooth, the first thing to try.', defaults: {} },
  {
    name: 'linear',
    title: 'Linear (TF-IDF)',
    kind: 'model',
    description:
      'TF-IDF word (and, where it helps, character) n-grams with a linear SVM or logistic regression, chosen by cross-validation on the train split: the yardstick the neural models have to beat.',
    defaults: {},
  },
  { name: 'lstm', title: 'LSTM', kind: 'model', description: 'A recurrent network with long short-term memory cells, read out by pooling over every word.', defaults: {} },
  { name: 'gru', title: 'GRU', kind: 'model', description: 'A gated recurrent network: fewer weights than an LSTM and often as good; pooled over every word.', defaults: {} },
  { name: 'bigru', title: 'BiGRU', kind: 'model', description: 'A GRU that reads the text in both directions.', defaults: {} },
  { name: 'bilstm', title: 'BiLSTM', kind: 'model', description: 'An LSTM that reads the text in both directions.', defaults: {} },
];

/**
 * The ensemble, for a view that offers it: it trains nothing new of its own but a linear model on the train split,
 * and combines it with the project's finished recurrent runs (main/engine/train/ensemble/).
 */
export const ENSEMBLE_PRESET: TrainPreset = {
  name: 'ensemble',
  title: 'Ensemble (linear + recurrent)',
  kind: 'model',
  description:
    'Averages the calibrated probabilities of a linear model and your finished recurrent runs, with weights fitted on the validation split; the runs it combines are chosen by how much they add to the linear model there. Train a recurrent model first.',
  defaults: {},
};
