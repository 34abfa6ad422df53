// A linear model in the shape every model has in the workspace and in bundles (bundle/loader.ts ModelParts):
// a topology (here the model's settings, labels and calibration), weight specs describing one float32 array,
// the weights, and a text pipeline JSON (here the TF-IDF vocabulary in `extra.tfidf`). So the models table,
// the classification worker, export and import carry linear models without a second storage format, and a
// bundle's model.json still has TensorFlow.js's outer layout (one weights file, described by its specs).
// Pure data, no runtime imports, nothing from above store/: the store (which keeps linear models in this shape) and the bundle code use it.
import type { PipelineJSON } from '../text/types.ts';
import type { TfidfJSON } from '../text/tfidf.ts';
import type { LinearFeatureSet, LinearLossName } from '../../../shared/linear.ts';

// The trained model's own stored form (train/linear/model.ts LinearModel.toJSON/fromJSON), declared here
// because the store keeps it (run_linear_models, the models table).
/**
 * How decision values become probabilities. 'temperature': softmax(a · scores) with a fitted on out-of-fold
 * decision values (both losses). 'ovr-sigmoid': logistic regression's own one-vs-rest sigmoids normalised to
 * sum to 1 (liblinear's predict_probability), used when there were no out-of-fold values to fit a on.
 */
export type ProbabilityMap = { kind: 'temperature'; a: number } | { kind: 'ovr-sigmoid' };

export interface LinearModelMeta {
  loss: LinearLossName;
  C: number;
  featureSet: LinearFeatureSet;
  classWeights: 'none' | 'balanced';
  bias: number;
  probability: ProbabilityMap;
}

/** Everything but the weights, as JSON. The weights travel as raw little-endian float32 beside it. */
export interface LinearModelJSON extends LinearModelMeta {
  version: 1;
  labels: string[];
  vectorizer: TfidfJSON;
  /** Length of the weight array: (features + 1) × problems. */
  weights: number;
}

export const LINEAR_FORMAT = 'textbench-linear';
export const LINEAR_WEIGHTS_NAME = 'linear/W';

export interface LinearParts {
  topology: Record<string, unknown>;
  weightSpecs: Array<{ name: string; shape: number[]; dtype: 'float32' }>;
  weights: Buffer;
  pipeline: PipelineJSON;
}

/** The model's settings without its vocabulary: what the topology carries. */
export type LinearTopology = Omit<LinearModelJSON, 'vectorizer'> & { format: typeof LINEAR_FORMAT };

export function isLinearTopology(topology: Record<string, unknown>): boolean {
  return topology.format === LINEAR_FORMAT;
}

export function linearParts(json: LinearModelJSON, weights: Float32Array): LinearParts {
  const { vectorizer, ...rest } = json;
  const m = json.labels.length === 2 ? 1 : json.labels.length;
  const topology: LinearTopology = { format: LINEAR_FORMAT, ...rest };
  const s = vectorizer.settings;
  return {
    topology: topology as unknown as Record<string, unknown>,
    weightSpecs: [{ name: LINEAR_WEIGHTS_NAME, shape: [json.weights / m, m], dtype: 'float32' }],
    weights: Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength),
    pipeline: {
      version: 1,
      // Only `tokens`, `lowercase` and `long` mean something here; the rest keeps PipelineOptions' shape.
      options: { tokens: 'tfidf', lowercase: s.lowercase, minCount: s.minDf, maxVocab: s.maxFeatures, sequenceLength: 1, long: 'truncate' },
      sequenceLength: 1,
      vocabulary: [],
      extra: { tfidf: vectorizer as unknown as Record<string, unknown> },
    },
  };
}

/** The model back from its parts; throws a plain Error saying what does not fit (callers add where it came from). */
export function linearFromParts(parts: { topology: Record<string, unknown>; weights: Buffer | Uint8Array; pipeline: PipelineJSON }): { json: LinearModelJSON; weights: Float32Array } {
  if (!isLinearTopology(parts.topology)) throw new Error(`the model is not a ${LINEAR_FORMAT} model`);
  const tfidf = parts.pipeline.extra?.tfidf as TfidfJSON | undefined;
  if (!tfidf || typeof tfidf !== 'object') throw new Error('the vocabulary file has no TF-IDF vocabulary');
  if (parts.weights.byteLength % 4 !== 0) throw new Error(`the weights hold ${parts.weights.byteLength} bytes, not a whole number of float32 values`);
  // A copy: the bytes need not be 4-byte aligned for a Float32Array view.
  const bytes = new Uint8Array(parts.weights.byteLength);
  bytes.set(parts.weights);
  const { format: _f, ...rest } = parts.topology as unknown as LinearTopology;
  return { json: { ...rest, vectorizer: tfidf }, weights: new Float32Array(bytes.buffer) };
}
