// What the Train view offers: each model with the settings it starts from, then every recipe.
import type { ModelName, TrainPreset } from '../../../shared/training.ts';

// The models start from their engine defaults (config.ts): the neural presets choose their epochs from the train
// size, so no epoch count is suggested here.
const MODEL_PRESETS: TrainPreset[] = [
  { name: 'baseline', title: 'Baseline', kind: 'model', description: 'Embedding → max pooling over the words → dense: fast and smooth, the first thing to try.', defaults: {} },
  { name: 'linear', title: 'Linear (TF-IDF)', kind: 'model', description: 'TF-IDF word (and, where it helps, character) n-grams with a linear SVM or logistic regression, chosen by cross-validation on the train split: the yardstick the neural models have to beat.', defaults: {} },
  { name: 'lstm', title: 'LSTM', kind: 'model', description: 'A recurrent network with long short-term memory cells, read out by pooling over every word.', defaults: {} },
  { name: 'gru', title: 'GRU', kind: 'model', description: 'A gated recurrent network: fewer weights than an LSTM and often as good; pooled over every word.', defaults: {} },
  { name: 'bigru', title: 'BiGRU', kind: 'model', description: 'A GRU that reads the text in both directions.', defaults: {} },
  { name: 'bilstm', title: 'BiLSTM', kind: 'model', description: 'An LSTM that reads the text in both directions.', defaults: {} },
];

/** The model presets, then every recipe with the settings it brings. */
export async function trainPresets(): Promise<TrainPreset[]> {
  // Loaded lazily: recipes build models with TensorFlow.js, which the caller's thread need not load to start.
  const [{ RECIPES }, { resolveConfig }] = await Promise.all([import('./recipes.ts'), import('./config.ts')]);
  const recipes = Object.values(RECIPES).map(
    (r): TrainPreset => ({
      name: r.name,
      title: r.title,
      kind: 'recipe',
      description: r.description,
      defaults: {
        ...(r.training?.epochs ? { epochs: r.training.epochs } : {}),
        ...(r.training?.learningRate ? { learningRate: r.training.learningRate } : {}),
        ...(r.training?.batchSize ? { batchSize: r.training.batchSize } : {}),
      },
    }),
  );
  // With the settings each trains with when the form is left blank, so the form shows the real defaults.
  return [...MODEL_PRESETS, ...recipes].map((p) => ({ ...p, config: resolveConfig(p.kind === 'recipe' ? { recipe: p.name } : { model: p.name as ModelName }) }));
}
