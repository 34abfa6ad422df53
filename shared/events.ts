// Events the engine pushes to its callers (CLI, Electron renderer, browser). Free of Node and DOM imports.
import type { DoctorAction, Finding, Progress, RunStatus, SplitMetrics, TrainingEpoch } from './domain.ts';
import type { TaskChangedEvent } from './tasks.ts';

export type { TaskChangedEvent };

export interface ImportProgressEvent extends Progress {
  type: 'import.progress';
  projectId?: string;
}

export interface TrainingBatchEvent {
  type: 'training.batch';
  run: string;
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
  samplesPerSecond: number;
  etaSeconds: number | null;
}

export interface TrainingEpochEvent {
  type: 'training.epoch';
  run: string;
  metrics: TrainingEpoch;
  etaSeconds: number | null;
}

/** The pretraining step before the first epoch (--pretrain subword): skip-gram word vectors on the project's texts. */
export interface TrainingPretrainEvent {
  type: 'training.pretrain';
  run: string;
  /** Pass over the texts, 1-based, of `epochs`. */
  epoch: number;
  epochs: number;
  /** Share of the planned work done, 0..1; the last event of the step says 1. */
  fraction: number;
  tokensPerSecond: number;
  /** Mean skip-gram loss since the previous event (it falls as the vectors learn). */
  loss: number;
}

export interface TrainingFindingEvent {
  type: 'training.finding';
  run: string;
  finding: Finding;
}

export interface TrainingActionEvent {
  type: 'training.action';
  run: string;
  action: DoctorAction;
}

/**
 * Progress of a run that trains without epochs (the linear model): computing features, then each
 * cross-validation fit, then the final fit. At most one per 100 ms; the last has done === total.
 */
export interface TrainingProgressEvent {
  type: 'training.progress';
  run: string;
  phase: 'features' | 'search' | 'final';
  done: number;
  total: number;
  message: string;
  etaSeconds: number | null;
}

export interface RunFinishedEvent {
  type: 'run.finished';
  run: string;
  status: Exclude<RunStatus, 'queued' | 'running' | 'failed' | 'interrupted'>;
  validation: SplitMetrics | null;
  test: SplitMetrics | null;
}

export interface RunFailedEvent {
  type: 'run.failed';
  run: string;
  error: string;
}

export interface TaskProgressEvent extends Progress {
  type: 'task.progress';
}

export type WorkbenchEvent =
  | ImportProgressEvent
  | TrainingBatchEvent
  | TrainingEpochEvent
  | TrainingPretrainEvent
  | TrainingFindingEvent
  | TrainingActionEvent
  | TrainingProgressEvent
  | RunFinishedEvent
  | RunFailedEvent
  | TaskProgressEvent
  | TaskChangedEvent;

export type WorkbenchEventType = WorkbenchEvent['type'];
