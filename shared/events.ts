// Events the engine pushes to its callers (CLI, Electron renderer, browser). Free of Node and DOM imports.
import type { DoctorAction, Finding, Progress, RunStatus, SplitMetrics, TrainingEpoch } from './domain.ts';

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
  | TrainingFindingEvent
  | TrainingActionEvent
  | RunFinishedEvent
  | RunFailedEvent
  | TaskProgressEvent;

export type WorkbenchEventType = WorkbenchEvent['type'];
