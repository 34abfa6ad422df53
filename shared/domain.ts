// Domain types shared by the engine, the CLI, the server and the renderer.
// This file must stay free of Node and DOM imports: both sides compile it.
import type { ClassNgrams } from './linear.ts';

export type Split = 'train' | 'validation' | 'test';
export const SPLITS: readonly Split[] = ['train', 'validation', 'test'];

export interface Project {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  lastUsedAt: string;
  datasets: number;
  examples: number;
}

export type ImportFormat = 'csv' | 'tsv' | 'json' | 'jsonl' | 'xlsx';
export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

export interface Dataset {
  id: string;
  projectId: string;
  name: string;
  sourcePath: string;
  format: ImportFormat;
  encoding: TextEncoding;
  textColumns: string[];
  labelColumn: string;
  splitColumn: string | null;
  splitSeed: number | null;
  rows: number;
  skipped: SkippedCounts;
  createdAt: string;
}

export interface SkippedCounts {
  emptyText: number;
  emptyLabel: number;
}

export interface Example {
  id: number;
  datasetId: string;
  rowNumber: number;
  text: string;
  originalLabel: string;
  label: string;
  split: Split;
  contentHash: string;
}

export interface LabelEdit {
  id: number;
  exampleId: number;
  oldLabel: string;
  newLabel: string;
  author: string;
  createdAt: string;
  batchId: string;
  undoneAt: string | null;
}

/** Progress of a long task. Never moves backwards; the last event has done === total when total is known. */
export interface Progress {
  task: string;
  done: number;
  total: number | null;
  unit: 'bytes' | 'rows' | 'batches' | 'epochs' | 'trials' | 'runs';
  message?: string;
}

export interface TrainingEpoch {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  validationLoss: number;
  validationAccuracy: number;
  validationMacroF1: number;
  learningRate: number;
  seconds: number;
  samplesPerSecond: number;
  diagnostics?: Record<string, number | number[] | string | null>;
}

/** 'interrupted': the process training the run ended (killed, crashed) before the run did; it can be resumed. */
export type RunStatus = 'queued' | 'running' | 'finished' | 'stopped' | 'failed' | 'interrupted';

export type FindingKind = 'plateau' | 'divergence' | 'nan' | 'collapse' | 'overfitting' | 'imbalance' | 'data';
export type Severity = 'info' | 'warning' | 'error';

export interface Finding {
  kind: FindingKind;
  severity: Severity;
  epochs: [number, number];
  message: string;
  evidence: Record<string, unknown>;
  fix?: string;
}

export type ActionKind = 'rollback' | 'lr-change' | 'clip' | 'rebalance' | 'stop';

export interface DoctorAction {
  kind: ActionKind;
  epoch: number;
  before: unknown;
  after: unknown;
  reason?: string;
}

export interface SplitMetrics {
  accuracy: number;
  macroF1: number;
}

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Evaluation {
  run: string;
  split: Split;
  accuracy: number;
  macroF1: number;
  weightedF1: number;
  loss: number;
  perClass: ClassMetrics[];
  confusion: { labels: string[]; matrix: number[][] };
  mistakes: Mistake[];
  /**
   * Expected calibration error of the probabilities (any model): the examples binned by their top probability
   * into 10 equal bins, the example-weighted mean |accuracy − confidence| (the Reliability diagram's figure).
   * 0 = the probabilities mean what they say. Absent in evaluations stored before it existed.
   */
  ece?: number;
  /**
   * Linear models: for each class, the n-grams with the largest positive and negative weights (what the model
   * learned to look for). Absent for other models and for evaluations stored before it existed.
   */
  ngrams?: ClassNgrams[];
}

export interface Mistake {
  exampleId: number;
  text: string;
  label: string;
  predicted: string;
  probability: number;
  probabilities: Record<string, number>;
}

export interface Prediction {
  text: string;
  label: string;
  probability: number;
  probabilities: Record<string, number>;
  /** How a text longer than the model's sequence length was handled. */
  long?: 'fits' | 'truncated' | 'windows';
}
