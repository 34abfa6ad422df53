// Training contract shared by the engine, the CLI, the server and the renderer. Free of Node and DOM imports.
import type { DoctorAction, Evaluation, Finding, RunStatus, Split, SplitMetrics, TrainingEpoch } from './domain.ts';

export type ModelName = 'linear' | 'baseline' | 'lstm' | 'gru' | 'bilstm' | 'bigru';
export const MODEL_NAMES: readonly ModelName[] = ['linear', 'baseline', 'lstm', 'gru', 'bilstm', 'bigru'];

export type OptimizerName = 'adam' | 'rmsprop' | 'sgd';
export type LossName = 'crossentropy' | 'topk';
export type ClassWeightsMode = 'none' | 'balanced';
export type EarlyStopMonitor = 'val-loss' | 'macro-f1' | 'none';
export type SequenceTokens = 'words' | 'chars';
export type BackendRequest = 'webgpu' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** What a caller may ask for; everything is optional and filled from the model's defaults, then the recipe. */
export interface TrainOptions {
  /** Project id or name; default: the only or most recently used project. */
  project?: string;
  /** A display name for the run; default: model and time. */
  name?: string;
  model?: ModelName;
  /** A recipe name from train/recipes.ts: its architecture and training settings, overridable by the fields below. */
  recipe?: string;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  optimizer?: OptimizerName;
  loss?: LossName;
  /** Top-k loss: train on the k hardest examples of each batch. */
  k?: number;
  classWeights?: ClassWeightsMode;
  labelSmoothing?: number;
  /** Clip gradients by this global norm; null or 0 = off. */
  clipNorm?: number | null;
  earlyStop?: EarlyStopMonitor;
  patience?: number;
  units?: number;
  layers?: number;
  embeddingDim?: number;
  dropout?: number;
  recurrentDropout?: number;
  /** L2 penalty on the linear model's weights (and the dense output of the others). */
  l2?: number;
  tokens?: SequenceTokens;
  sequenceLength?: number | null;
  minCount?: number;
  maxVocab?: number;
  lowercase?: boolean;
  /** A local GloVe/fastText text file of word vectors. */
  vectors?: string;
  freezeVectors?: boolean;
  seed?: number;
  backend?: BackendRequest;
  /** Let the training doctor repair what it finds (default true). */
  repair?: boolean;
  /** Share of train held out for validation when the project has no validation split (default 0.1). */
  validationFraction?: number;
}

/** The fully resolved settings a run trained with (stored as runs.config). */
export interface TrainingConfig {
  model: ModelName;
  recipe: string | null;
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: OptimizerName;
  loss: LossName;
  k: number;
  classWeights: ClassWeightsMode;
  labelSmoothing: number;
  clipNorm: number | null;
  earlyStop: EarlyStopMonitor;
  patience: number;
  units: number;
  layers: number;
  embeddingDim: number;
  dropout: number;
  recurrentDropout: number;
  /** null (linear's default) = chosen from the train size: 0.5 / n (scikit-learn's C = 1) up to 5,000 examples, else 0. */
  l2: number | null;
  tokens: SequenceTokens | 'ngrams';
  sequenceLength: number | null;
  minCount: number;
  maxVocab: number;
  lowercase: boolean;
  vectors: string | null;
  freezeVectors: boolean;
  seed: number;
  backend: BackendRequest | null;
  repair: boolean;
  validationFraction: number;
}

export interface RunSummary {
  id: string;
  projectId: string;
  name: string;
  model: string;
  status: RunStatus;
  backend: string | null;
  epochs: number;
  bestEpoch: number | null;
  validation: SplitMetrics | null;
  test: SplitMetrics | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface RunDetail extends RunSummary {
  config: TrainingConfig;
  labels: string[];
  /** Tokenizer summary: kind, vocabulary size (or hash buckets) and sequence length. */
  pipeline: { tokens: string; inputDim: number; sequenceLength: number } | null;
  /** Where validation came from: the project's validation split, or a seeded hold-out of train. */
  validationSource: 'split' | 'train-holdout' | null;
  curve: TrainingEpoch[];
  findings: Finding[];
  actions: DoctorAction[];
  evaluation: Evaluation | null;
  hasCheckpoint: boolean;
}

/** What `train --json` prints and TrainingService.train resolves to. */
export interface TrainResult {
  run: string;
  status: 'finished' | 'stopped' | 'failed';
  backend: string;
  model: string;
  epochs: number;
  bestEpoch: number;
  validation: SplitMetrics;
  test: SplitMetrics;
  findings: Finding[];
  actions: DoctorAction[];
  error?: string;
}

export interface EvaluateRequest {
  run: string;
  split?: Split;
}
