// The public entry point for classifying with an exported bundle from any Node program:
//
//   import { loadBundle } from 'textbench';   (dist/library.js: this file bundled by tools/build.mjs)
//   const model = await loadBundle('./industry-model');
//   const [p] = await model.classify(['Senior accountant for a regional hospital group']);
//   model.dispose();
//
// It needs only @tensorflow/tfjs, node builtins and the text pipeline: no workspace, no SQLite, no Electron,
// no network; a linear bundle needs no TensorFlow.js at all (it is never imported for one). Loading verifies
// the manifest and every checksum first and never executes anything from the folder.
// It uses whatever TensorFlow.js backend is current (tfjs's default, or one set with tf.setBackend).
import { pipelineFromJSON } from '../text/pipeline.ts';
import path from 'node:path';
import { readBundle } from './reader.ts';
import { loadEnsembleFolder, readEnsembleManifest } from './ensemble.ts';
import type { LoadedModel } from './model-parts.ts';
import type { ClassifierOptions } from './classifier.ts';
import { isLinearParts, linearModelFromParts } from './linear.ts';

export type { LoadedModel as LoadedBundle } from './model-parts.ts';
export type { BundleManifest } from '../../../shared/bundle.ts';
export type { Prediction } from '../../../shared/domain.ts';
export type { TextExplanation } from '../../../shared/linear.ts';
export { TextbenchError } from '../errors.ts';

/** Reads, verifies and loads the bundle folder `dir`; throws TextbenchError (with `code`) if it is not sound. */
export async function loadBundle(dir: string, options: ClassifierOptions = {}): Promise<LoadedModel> {
  const ensemble = readEnsembleManifest(dir);
  if (ensemble) {
    // Each member is an ordinary bundle, loaded (and verified) by this same function.
    const e = await loadEnsembleFolder(path.resolve(dir), ensemble, (memberDir) => loadBundle(memberDir, options));
    const first = e.members[0]!;
    return { ...e.combined, manifest: e.manifest as unknown as LoadedModel['manifest'], pipeline: first.pipeline };
  }
  const b = readBundle(dir);
  const parts = { origin: `the bundle ${b.dir}`, ...b };
  if (isLinearParts(b)) return linearModelFromParts(parts);
  const { modelFromParts } = await import('./loader.ts');
  return modelFromParts(parts, pipelineFromJSON, options);
}
