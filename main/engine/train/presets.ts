// What the Train view offers: each model with the settings it starts from, then every recipe.
import type { ModelName, TrainPreset } from '../../../shared/training.ts';
import { MODEL_PRESETS } from '../../../shared/presets.ts';

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
