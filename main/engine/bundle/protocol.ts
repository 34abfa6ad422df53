// What ModelService (main thread) asks the classification worker, which owns TensorFlow.js so that classifying a
// big file never blocks the Electron main thread or the server. The transport is the engine's one worker protocol
// (tasks/wire.ts, tasks/worker-client.ts); this file only says what the requests, results and events are.
import type { Prediction, Progress } from '../../../shared/domain.ts';
import type { ClassifyFileResult } from '../../../shared/bundle.ts';
import type { TextExplanation } from '../../../shared/linear.ts';
import type { ModelParts } from './model-parts.ts';
import type { ReadOptions } from '../../../shared/data.ts';

/** Which model: a bundle folder the worker reads itself, or parts the main thread read from the workspace. */
export type ModelSource = { kind: 'bundle'; dir: string } | { kind: 'parts'; key: string; parts: ModelParts | null };

export interface ClassifyInit {
  /** --backend, or undefined for the best one that loads. */
  backend?: string;
}

export type ClassifyJob =
  /** Builds the model (and drops it); with texts, also answers their probabilities (a bundle's self-test at export). */
  | { type: 'check'; source: ModelSource; texts?: string[] }
  | { type: 'classify'; source: ModelSource; texts: string[] }
  | { type: 'scores'; source: ModelSource; texts: string[] }
  /** Linear models: the n-grams behind each text's label (or behind `label`), `k` each way. */
  | { type: 'explain'; source: ModelSource; texts: string[]; label?: string; k?: number }
  | { type: 'classifyFile'; source: ModelSource; file: string; out: string; column?: string; force?: boolean; read?: ReadOptions; keepFormulas?: boolean; stream: boolean };

/** Not a request: drop a cached model (no answer). */
export interface EvictMessage {
  type: 'evict';
  key: string;
}

export type ClassifyResult =
  | { kind: 'check'; labels: string[]; backend: string; probabilities?: Float64Array }
  | { kind: 'classify'; predictions: Prediction[] }
  | { kind: 'scores'; labels: string[]; probabilities: Float64Array }
  | { kind: 'explain'; explanations: TextExplanation[] }
  | { kind: 'classifyFile'; result: ClassifyFileResult };

export type ClassifyEvent =
  | { type: 'progress'; progress: Progress }
  /** A chunk of a file's predictions, in input order, for the main thread to store. */
  | { type: 'predictions'; predictions: Prediction[] };
