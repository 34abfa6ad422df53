// The typed message protocol between TrainingService (main thread) and the training worker.
import type { WorkbenchEvent } from '../../../shared/events.ts';
import type { Evaluation, Split } from '../../../shared/domain.ts';
import type { TrainResult } from '../../../shared/training.ts';
import type { LrFindResult } from '../../../shared/doctor.ts';
import type { LrFindOptions } from './lrfind.ts';

export interface WorkerInit {
  /** Workspace folder; the worker opens its own connection to its SQLite file. */
  workspace: string;
  /** Int32Array view; index 0 set to 1 asks the running job to stop after the current batch. */
  stopFlag: SharedArrayBuffer;
}

export type WorkerRequest =
  | { type: 'train'; id: number; run: string; resume: boolean }
  | { type: 'evaluate'; id: number; run: string; split: Split; backend?: string }
  | { type: 'lrFind'; id: number; options: Omit<LrFindOptions, 'log'> }
  | { type: 'shutdown' };

export interface WorkerError {
  message: string;
  code?: string;
  details?: Record<string, unknown>;
  stack?: string;
}

export type WorkerResult = { kind: 'train'; result: TrainResult } | { kind: 'evaluate'; result: Evaluation } | { kind: 'lrFind'; result: LrFindResult };

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'event'; event: WorkbenchEvent }
  | { type: 'log'; level: 'info' | 'debug'; message: string }
  | { type: 'result'; id: number; result: WorkerResult }
  | { type: 'error'; id: number; error: WorkerError };
