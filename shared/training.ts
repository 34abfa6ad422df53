// Training contract shared by the engine, the CLI, the server and the renderer. Free of Node and DOM imports.
import type { DoctorAction, Evaluation, Finding, RunStatus, Split, SplitMetrics, TrainingEpoch } from './domain.ts';
import type { DeviceInfo } from './compute.ts';

// The options, their limits and the resolved config are stated once in train-options.ts.
export {
  MODEL_NAMES,
  TRAIN_FIELDS,
  TRAINING_DEFAULTS,
  TrainOptionsSchema,
  TrainingConfigSchema,
  type ModelName,
  type TrainOptions,
  type TrainingConfig,
  type OptimizerName,
  type LossName,
  type ClassWeightsMode,
  type EarlyStopMonitor,
  type SequenceTokens,
  type BackendRequest,
} from './train-options.ts';
import type { TrainingConfig, TrainOptions } from './train-options.ts';
import type { LinearSearchReport } from './linear.ts';

/** A choice the Train view offers: a model with its defaults, or a recipe. */
export interface TrainPreset {
  /** Value of `model` (or of `recipe` when kind is "recipe"). */
  name: string;
  title: string;
  kind: 'model' | 'recipe';
  description: string;
  defaults: Partial<Omit<TrainOptions, 'project'>>;
  /** Every setting this preset trains with when the form leaves it blank (the Train form's placeholders). */
  config?: TrainingConfig;
}

export interface RunSummary {
  id: string;
  projectId: string;
  name: string;
  model: string;
  status: RunStatus;
  backend: string | null;
  /** What the run trained on ("GPU: NVIDIA …", "GPU (software): …", "CPU: wasm, 1 thread"); null before it started. */
  device: DeviceInfo | null;
  epochs: number;
  bestEpoch: number | null;
  validation: SplitMetrics | null;
  test: SplitMetrics | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Marked by the user as a run that matters. */
  starred: boolean;
}

export interface RunDetail extends RunSummary {
  config: TrainingConfig;
  labels: string[];
  /** Tokenizer summary: kind, vocabulary size (or hash buckets) and sequence length. */
  pipeline: { tokens: string; inputDim: number; sequenceLength: number } | null;
  /** Where validation came from: the project's validation split, a seeded hold-out of train, or (linear, no
   * validation split) the cross-validation on the whole train split. */
  validationSource: 'split' | 'train-holdout' | 'cross-validation' | null;
  curve: TrainingEpoch[];
  findings: Finding[];
  actions: DoctorAction[];
  evaluation: Evaluation | null;
  hasCheckpoint: boolean;
  /** Linear runs: the cross-validation table, the chosen settings and what the search cost; null otherwise. */
  linear: LinearSearchReport | null;
}

/** What `train --json` prints and TrainingService.train resolves to. */
export interface TrainResult {
  run: string;
  status: 'finished' | 'stopped' | 'failed';
  backend: string;
  /** What it trained on: "GPU: NVIDIA …", "GPU (software): …", "CPU: wasm, 1 thread". */
  device: string;
  model: string;
  epochs: number;
  bestEpoch: number;
  validation: SplitMetrics;
  test: SplitMetrics;
  findings: Finding[];
  actions: DoctorAction[];
  /** Training examples per second over the run's epochs (the training part of each; null before the first epoch). */
  samplesPerSecond: number | null;
  /** Threads the recurrent layers' kernels ran on (null where they do not serve the run's backend). */
  threads: number | null;
  error?: string;
}

/** Examples per second over all epochs: the harmonic mean of each epoch's rate (every epoch sees the same examples). */
export function runSamplesPerSecond(curve: readonly TrainingEpoch[]): number | null {
  const rates = curve.map((e) => e.samplesPerSecond).filter((r) => Number.isFinite(r) && r > 0);
  return rates.length ? rates.length / rates.reduce((s, r) => s + 1 / r, 0) : null;
}

export interface EvaluateRequest {
  run: string;
  split?: Split;
}
