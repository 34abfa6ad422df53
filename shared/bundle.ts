// Model bundles, models in the workspace and classification: the contract between the engine, the CLI,
// the server and the renderer. Free of Node and DOM imports.
import type { Prediction, SplitMetrics, ClassMetrics } from './domain.ts';
import type { ReadOptions } from './data.ts';

/**
 * The bundle format this version of Textbench writes and the newest it can read. Version 2 adds the self-test
 * (required from version 2 on; version 1 bundles, written before it existed, load without one).
 */
export const BUNDLE_FORMAT_VERSION = 2;
export const BUNDLE_KIND = 'textbench-bundle';

/** Files every bundle of format 1 has besides manifest.json. */
export const BUNDLE_FILES = ['model.json', 'weights.bin', 'vocab.json', 'README.md'] as const;

/** How the model's output layer turns scores into a distribution; the classifier applies the rest. */
export type ModelOutputKind = 'softmax' | 'logits' | 'sigmoid';

export interface BundleTokenizer {
  tokens: string;
  lowercase: boolean;
  minCount: number;
  maxVocab: number;
  /** What happens to a text longer than the sequence length: cut it, or average the predictions of its windows. */
  long: 'truncate' | 'windows';
}

/**
 * A few texts and the probability the model gave each label for them at export, by label name (so that a
 * reordered label list shows). Loading classifies the texts again and refuses the bundle if any probability
 * moved by more than `tolerance`.
 */
export interface BundleSelfTest {
  texts: string[];
  probabilities: Array<Record<string, number>>;
  tolerance: number;
}

/** manifest.json: everything a receiver needs to know about the model, and the checksum of every other file. */
export interface BundleManifest {
  kind: typeof BUNDLE_KIND;
  formatVersion: number;
  name: string;
  createdAt: string;
  createdBy: string;
  /** Labels in model output order. */
  labels: string[];
  tokenizer: BundleTokenizer;
  vocabularyFile: string;
  vocabularySize: number;
  sequenceLength: number;
  model: {
    /** Model zoo name, e.g. "gru" or "baseline". */
    type: string;
    /** The training config the run was started with. */
    config: Record<string, unknown>;
    output: ModelOutputKind;
    inputs: string[];
  };
  training: {
    run: string | null;
    project: string | null;
    dataHash: string | null;
    backend: string | null;
    epoch: number | null;
    checkpoint: 'best' | 'last' | null;
  };
  /** The run's metrics as stored with it, e.g. {validation: {accuracy, macroF1}, test: {...}}. */
  metrics: Record<string, unknown> | null;
  /** sha256 and size of every other file in the folder. */
  files: Record<string, { sha256: string; bytes: number }>;
  /** Format 2 on: the self-test that loading checks (absent in format 1 and in manifests of workspace runs). */
  selfTest?: BundleSelfTest;
}

/** `textbench export RUN --out DIR --json` prints exactly this. */
export interface ExportResult {
  bundle: string;
  files: string[];
  sha256: Record<string, string>;
}

export interface ExportOptions {
  /** Replace an existing folder (written beside it first, then swapped in). */
  force?: boolean;
  /** Which checkpoint of the run: the best epoch (default) or the last one. */
  checkpoint?: 'best' | 'last';
}

/** Which model classifies: a run of the workspace, a model row of the workspace, or a bundle folder on disk. */
export type ModelRef = { run: string } | { model: string } | { bundle: string };

export type ClassifyRequest = ModelRef & { texts: string[]; source?: string };
/** Linear models: explain each text's label (or `label`), the `k` strongest n-grams each way. */
export type ExplainRequest = ModelRef & { texts: string[]; label?: string; k?: number };

export interface ClassifyFileRequest {
  /** Exactly one of run / model / bundle. */
  run?: string;
  model?: string;
  bundle?: string;
  file: string;
  /** The input column holding the text; default: the only text column, else the one with the longest texts. */
  column?: string;
  /** Output file; .jsonl/.ndjson writes JSON lines, anything else CSV (.tsv: tab-separated). */
  out: string;
  /** Input format, encoding, delimiter, header, sheet; default: sniffed as `textbench import` does. */
  read?: ReadOptions;
  /** Replace an existing output file. */
  force?: boolean;
  /** CSV/TSV: write cells that start like a spreadsheet formula as they are (default: a leading apostrophe makes them inert). */
  keepFormulas?: boolean;
}

export interface ClassifyFileResult {
  file: string;
  out: string;
  column: string;
  rows: number;
  format: 'csv' | 'tsv' | 'jsonl';
  /** How many texts were truncated or split into windows. */
  long: { fits: number; truncated: number; windows: number };
  labels: Record<string, number>;
  /** Rows stored in the workspace predictions table (0 for a bare bundle). */
  stored: number;
  /** Things about the input worth telling the user (e.g. cells without a column name were not copied). */
  warnings: string[];
}

export interface ModelInfo {
  id: string;
  name: string;
  projectId: string | null;
  runId: string | null;
  source: 'run' | 'bundle';
  bundlePath: string | null;
  labels: string[];
  checksum: string;
  metrics: Record<string, unknown> | null;
  createdAt: string;
}

export interface ModelEvaluation extends SplitMetrics {
  model: string;
  project: string;
  split: 'test';
  examples: number;
  perClass: ClassMetrics[];
  confusion: { labels: string[]; matrix: number[][] };
  /** Project labels the model has never seen; their examples count as mistakes. */
  unknownLabels: string[];
}

export type { Prediction };
