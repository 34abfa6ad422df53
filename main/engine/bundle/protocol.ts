// The typed message protocol between ModelService (main thread) and the classification worker, which owns
// TensorFlow.js so that classifying a big file never blocks the Electron main thread or the server.
import type { Prediction, Progress } from '../../../shared/domain.ts';
import type { ClassifyFileResult } from '../../../shared/bundle.ts';
import type { ModelParts } from './loader.ts';
import type { ReadOptions } from '../../../shared/data.ts';

/** Which model: a bundle folder the worker reads itself, or parts the main thread read from the workspace. */
export type ModelSource = { kind: 'bundle'; dir: string } | { kind: 'parts'; key: string; parts: ModelParts | null };

export interface ClassifyInit {
  /** --backend, or undefined for the best one that loads. */
  backend?: string;
}

export type ClassifyRequest =
  /** Builds the model (and drops it); with texts, also answers their probabilities (a bundle's self-test at export). */
  | { type: 'check'; id: number; source: ModelSource; texts?: string[] }
  | { type: 'classify'; id: number; source: ModelSource; texts: string[] }
  | { type: 'scores'; id: number; source: ModelSource; texts: string[] }
  | { type: 'classifyFile'; id: number; source: ModelSource; file: string; out: string; column?: string; force?: boolean; read?: ReadOptions; keepFormulas?: boolean; stream: boolean }
  | { type: 'evict'; key: string }
  | { type: 'shutdown' };

export interface ClassifyError {
  message: string;
  code?: string;
  details?: Record<string, unknown>;
}

export type ClassifyResult =
  | { kind: 'check'; labels: string[]; backend: string; probabilities?: Float64Array }
  | { kind: 'classify'; predictions: Prediction[] }
  | { kind: 'scores'; labels: string[]; probabilities: Float64Array }
  | { kind: 'classifyFile'; result: ClassifyFileResult };

export type ClassifyMessage =
  | { type: 'ready'; backend: string }
  | { type: 'log'; message: string }
  | { type: 'progress'; id: number; progress: Progress }
  /** A chunk of a file's predictions, in input order, for the main thread to store. */
  | { type: 'predictions'; id: number; predictions: Prediction[] }
  | { type: 'result'; id: number; result: ClassifyResult }
  | { type: 'error'; id: number; error: ClassifyError };
