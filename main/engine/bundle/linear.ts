// Classifying with a linear model's parts (a bundle folder, the models table, a run): no TensorFlow.js, only
// the TF-IDF vocabulary and the weights. loadBundle reaches this without importing TensorFlow.js at all.
import type { Prediction } from '../../../shared/domain.ts';
import { TextbenchError } from '../errors.ts';
import { BAG_CHARS } from '../text/clip.ts';
import { LinearModel } from '../train/linear/model.ts';
import { isLinearTopology, linearFromParts } from '../store/linear-parts.ts';
import type { LoadedModel, ModelParts } from './model-parts.ts';
import { checkSelfTest } from './selftest.ts';

/**
 * Parts of an exact linear model (store/linear-parts.ts). Told by the topology, not by the manifest's model
 * type: bundles exported before this model replaced the hashed-feature network also say "linear", and they
 * load as the TensorFlow.js networks they are.
 */
export function isLinearParts(parts: Pick<ModelParts, 'topology'>): boolean {
  return isLinearTopology(parts.topology);
}

export async function linearModelFromParts(parts: ModelParts): Promise<LoadedModel> {
  let model: LinearModel;
  try {
    const { json, weights } = linearFromParts(parts);
    model = LinearModel.fromJSON(json, weights);
  } catch (err) {
    throw new TextbenchError(
      `The linear model in ${parts.origin} could not be read: ${(err as Error).message}. Export the model again with this version of Textbench.`,
      'BUNDLE_MODEL_INVALID',
      { origin: parts.origin },
    );
  }
  if (model.labels.join('\u0000') !== parts.manifest.labels.join('\u0000')) {
    throw new TextbenchError(`${parts.origin}: the manifest's labels differ from the model's. Export the model again.`, 'MODEL_LABELS_MISMATCH', { origin: parts.origin });
  }
  let disposed = false;
  const scores = async (texts: readonly string[]) => {
    if (disposed) throw new Error('This classifier was disposed; load the bundle again.');
    const long: Prediction['long'][] = texts.map((t) => (t.length > BAG_CHARS ? 'truncated' : 'fits'));
    return { probabilities: model.predictProba(texts), long };
  };
  const labels = model.labels;
  // Same check as every other bundle kind (selftest.ts): the weights, vocabulary and label order belong together.
  await checkSelfTest(parts.manifest, parts.origin, async (texts) => (await scores(texts)).probabilities);
  return {
    labels,
    manifest: parts.manifest,
    linear: model,
    scores,
    async classify(texts) {
      const { probabilities, long } = await scores(texts);
      const C = labels.length;
      return texts.map((text, i) => {
        const probs: Record<string, number> = {};
        let best = 0;
        for (let j = 0; j < C; j++) {
          probs[labels[j]!] = probabilities[i * C + j]!;
          if (probabilities[i * C + j]! > probabilities[i * C + best]!) best = j;
        }
        return { text, label: labels[best]!, probability: probabilities[i * C + best]!, probabilities: probs, long: long[i] };
      });
    },
    explain: async (text, options) => model.explain(text, options),
    dispose() {
      disposed = true;
    },
  };
}
