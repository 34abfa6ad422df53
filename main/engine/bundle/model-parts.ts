// What a model is made of once its bundle (or its stored run, or its models-table row) has been read and
// verified, and what a loaded model offers: the shapes loader.ts builds from and returns, kept apart from it so
// that the kinds of model it builds (linear.ts; the TensorFlow.js networks in loader.ts) depend on the shapes,
// not on each other.
import type { BundleManifest } from '../../../shared/bundle.ts';
import type { Prediction } from '../../../shared/domain.ts';
import type { TextExplanation } from '../../../shared/linear.ts';
import type { PipelineJSON, TextPipeline } from '../text/types.ts';
import type { LinearModel } from '../train/linear/model.ts';
import type { WeightSpec } from './format.ts';

export type PipelineFactory = (json: PipelineJSON) => TextPipeline;

export interface ModelParts {
  /** Where the parts came from, for messages (a folder, "run X", "model Y"). */
  origin: string;
  manifest: BundleManifest;
  topology: Record<string, unknown>;
  weightSpecs: WeightSpec[];
  weights: Buffer;
  pipeline: PipelineJSON;
}

/** What loadBundle returns: labels, the manifest, classify() and dispose(). */
export interface LoadedModel {
  readonly labels: readonly string[];
  readonly manifest: BundleManifest;
  /** A neural model's text pipeline. */
  readonly pipeline?: TextPipeline;
  /** A linear model (TF-IDF vocabulary, weights, calibration): decision values, top n-grams, explanations. */
  readonly linear?: LinearModel;
  classify(texts: readonly string[]): Promise<Prediction[]>;
  /** texts x labels probabilities, row-major, and how each long text was handled. */
  scores(texts: readonly string[]): Promise<{ probabilities: Float64Array; long: Prediction['long'][] }>;
  /** Linear models: the n-grams behind a text's label (or behind `label`), and per-word shares to highlight. */
  explain?(text: string, options?: { k?: number; label?: string }): Promise<TextExplanation>;
  dispose(): void;
}
