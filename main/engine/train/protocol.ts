// What TrainingService (main thread) asks a training worker: one job per worker, which owns TensorFlow.js and its
// own connection to the workspace. The transport is the engine's one worker protocol (tasks/wire.ts).
import type { WorkbenchEvent } from '../../../shared/events.ts';
import type { Evaluation, Split } from '../../../shared/domain.ts';
import type { TrainResult } from '../../../shared/training.ts';
import type { LrFindResult } from '../../../shared/doctor.ts';
import type { LrFindOptions } from './lrfind.ts';
import type { TaskProgress } from '../tasks/tasks.ts';

export interface TrainInit {
  /** Workspace folder; the worker opens its own connection to its SQLite file. */
  workspace: string;
}

export type TrainJob =
  | { type: 'train'; run: string; resume: boolean }
  | { type: 'evaluate'; run: string; split: Split; backend?: string }
  | { type: 'lrFind'; options: Omit<LrFindOptions, 'log' | 'onStep' | 'cancelled'> };

export type TrainJobResult = { kind: 'train'; result: TrainResult } | { kind: 'evaluate'; result: Evaluation } | { kind: 'lrFind'; result: LrFindResult };

/** What a job pushes while it runs: the workbench's own events, and progress for its task. */
export type TrainJobEvent = { type: 'event'; event: WorkbenchEvent } | { type: 'progress'; progress: TaskProgress };
