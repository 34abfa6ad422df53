// Builds a ready classifier from verified bundle contents. Kept apart from index.ts so that the workspace
// (models table, runs) reuses it with contents that come from SQLite instead of a folder.
import * as tf from '@tensorflow/tfjs';
import type { TextPipeline } from '../text/types.ts';
import { TextbenchError } from '../errors.ts';
import { Classifier, type ClassifierOptions } from './classifier.ts';
// fused-rnn.ts registers the project's own layer classes (imports only @tensorflow/tfjs), for models read from run
// checkpoints; exported bundles carry their standard twins instead (format.ts portableTopology), which run on the
// fused kernels again where those are registered.
import { hasFusedKernels } from '../compute/fused-rnn.ts';
import { fusedTopology } from '../compute/recurrent-twin.ts';
import { detectOutputKind } from './format.ts';
import { checkSelfTest } from './selftest.ts';
import { isLinearParts, linearModelFromParts } from './linear.ts';
import type { LoadedModel, ModelParts, PipelineFactory } from './model-parts.ts';

export async function modelFromParts(parts: ModelParts, makePipeline: PipelineFactory, options: ClassifierOptions = {}): Promise<LoadedModel> {
  if (isLinearParts(parts)) return linearModelFromParts(parts);
  let pipeline: TextPipeline;
  try {
    pipeline = makePipeline(parts.pipeline);
  } catch (err) {
    throw new TextbenchError(
      `The vocabulary of ${parts.origin} could not be read: ${(err as Error).message}. Export the model again with this version of Textbench.`,
      'BUNDLE_VOCAB_INVALID',
      { origin: parts.origin },
    );
  }
  if (pipeline.sequenceLength !== parts.manifest.sequenceLength) {
    throw new TextbenchError(
      `${parts.origin}: the manifest says sequence length ${parts.manifest.sequenceLength} but the vocabulary file says ${pipeline.sequenceLength}. Export the model again.`,
      'BUNDLE_MANIFEST_INVALID',
      { origin: parts.origin, field: 'sequenceLength' },
    );
  }
  // The manifest says how to read the network's output; the network says what its last layer computes.
  // A manifest that disagrees (an edit, or parts of two exports) would give wrong probabilities: refuse it.
  let computed: string;
  try {
    computed = detectOutputKind(parts.topology);
  } catch {
    // An activation that gives no class scores: tf builds it below and the self-test judges its output.
    computed = parts.manifest.model.output;
  }
  if (computed !== parts.manifest.model.output) {
    throw new TextbenchError(
      `${parts.origin}: the manifest says the model outputs ${parts.manifest.model.output}, but its last layer computes ${computed}. ` +
        'The manifest was edited or belongs to another export; export the model again.',
      'BUNDLE_MANIFEST_INVALID',
      { origin: parts.origin, field: 'model.output' },
    );
  }
  const ab = parts.weights.buffer.slice(parts.weights.byteOffset, parts.weights.byteOffset + parts.weights.byteLength) as ArrayBuffer;
  let model: tf.LayersModel;
  try {
    // Where this backend has the fused recurrent kernels, the bundle's standard LSTM/GRU run on them (same numbers;
    // a 300-step GRU classifies ~10x faster than through tf.layers.gru's per-step ops).
    const fused = !options.standardLayers && hasFusedKernels('lstm') && hasFusedKernels('gru');
    const modelTopology = fused ? fusedTopology(parts.topology) : parts.topology;
    model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology, weightSpecs: parts.weightSpecs, weightData: ab }));
  } catch (err) {
    throw new TextbenchError(
      `The network in ${parts.origin} could not be built: ${(err as Error).message.split('\n')[0]}. ` +
        'It may use a layer this version of Textbench does not know; update Textbench or export the model again.',
      'BUNDLE_MODEL_INVALID',
      { origin: parts.origin },
    );
  }
  let classifier: Classifier;
  try {
    classifier = new Classifier(model, pipeline, parts.manifest.labels, parts.manifest.model.output, options);
  } catch (err) {
    model.dispose();
    throw err;
  }
  try {
    await checkSelfTest(parts.manifest, parts.origin, async (texts) => (await classifier.scores(texts)).probabilities);
  } catch (err) {
    classifier.dispose();
    throw err;
  }
  return {
    labels: classifier.labels,
    manifest: parts.manifest,
    pipeline,
    classify: (texts) => classifier.classify(texts),
    scores: (texts) => classifier.scores(texts),
    dispose: () => classifier.dispose(),
  };
}
