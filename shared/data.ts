// Requests and results of the data area: import, review, examples, label edits.
// Free of Node and DOM imports: the engine, the CLI, the server and the renderer all compile it.
import type { Example, ImportFormat, Split, TextEncoding } from './domain.ts';
import type { ExamplePrediction, PredictionFilter } from './evaluation.ts';

/** How to read a file; every field is optional and sniffed from the file when left out. */
export interface ReadOptions {
  format?: ImportFormat;
  encoding?: TextEncoding;
  /** XLSX: the sheet to read (default: the first one). */
  sheet?: string;
  /** CSV/TSV: the field delimiter (default: sniffed among comma, tab, semicolon, pipe). */
  delimiter?: string;
  /** CSV/TSV: whether the first row names the columns (default: sniffed; header-less files get column1, column2…). */
  header?: boolean;
  /** Longest cell (a text, a JSON Lines line) read, in characters; longer is refused with its line. Default 16 Mi. */
  maxCellChars?: number;
}

export interface ColumnGuess {
  textColumns: string[];
  labelColumn: string | null;
  splitColumn: string | null;
}

export interface ImportProblem {
  message: string;
  line?: number;
  column?: string;
}

export interface ImportPreview {
  file: string;
  format: ImportFormat;
  encoding: TextEncoding;
  delimiter?: string;
  /** CSV/TSV: whether `"` quotes fields (off for files such as the raw UCI sentences where quotes are plain text). */
  quoting?: boolean;
  /** Whether the first row named the columns (false: the columns are called column1, column2…). */
  header: boolean;
  /** XLSX: every sheet's name, in workbook order. */
  sheets?: string[];
  sheet?: string;
  columns: string[];
  /** The first rows, keyed by column name. */
  rows: Record<string, string>[];
  /** The same rows as cells in column order. */
  cells: string[][];
  /** The line (CSV/TSV/JSONL), row (XLSX) or object number (JSON) of each preview row, 1-based. */
  lines: number[];
  guess: ColumnGuess;
  sizeBytes: number;
  /** Problems seen in the sample that was read for the preview. */
  problems: ImportProblem[];
}

export interface ImportOptions extends ReadOptions {
  /** Project name or id; created when missing. Default: the file's name without extension. */
  project?: string;
  /** Text column(s); several are joined with a newline. Default: the guess. */
  text?: string[];
  /** Label column. Default: the guess. */
  label?: string;
  /** Split column, or 'none' / null to ignore one and make a stratified 80/10/10 split. Default: the guess. */
  split?: string | null;
  /** Seed of the automatic split (and of a validation part carved out of train). Default 42. */
  seed?: number;
  /** Largest file accepted, in bytes. Default 2 GiB. */
  maxBytes?: number;
  /** Name of the dataset inside the project. Default: the file's name. */
  datasetName?: string;
}

export interface ImportResult {
  project: string;
  projectId: string;
  dataset: string;
  datasetId: string;
  rows: number;
  /** Rows skipped because their text or label was empty. */
  skipped: number;
  skippedDetail: { emptyText: number; emptyLabel: number };
  labels: string[];
  splits: Record<Split, number>;
  /** How the split was made: from the file's column, from it with validation carved out of train, or automatic. */
  splitSource: 'column' | 'column+carved' | 'auto';
  seed: number | null;
  /** The columns used (the guess, or what the caller picked). */
  guess: ColumnGuess;
  format: ImportFormat;
  encoding: TextEncoding;
  warnings: string[];
  /** Seconds spent reading and staging the rows, assigning splits, and committing to the workspace. */
  timings?: { read: number; split: number; commit: number };
}

export interface LabelCount {
  label: string;
  count: number;
  splits: Record<Split, number>;
}

export type ExampleFlag = 'duplicate' | 'conflict' | 'empty' | 'short' | 'long' | 'rare' | 'leak' | 'edited';
export const EXAMPLE_FLAGS: readonly ExampleFlag[] = ['duplicate', 'conflict', 'empty', 'short', 'long', 'rare', 'leak', 'edited'];

export interface ExampleQuery {
  search?: string;
  label?: string;
  split?: Split;
  /** A flag, or a review check's id (plural forms such as "duplicates" are accepted). */
  flag?: ExampleFlag | string;
  ids?: number[];
  /** Only the examples a run predicted on a split, narrowed to a true and/or predicted label (a confusion cell). */
  prediction?: PredictionFilter;
  offset?: number;
  limit?: number;
}

export interface ExamplePage {
  total: number;
  offset: number;
  rows: Example[];
  /** With a prediction filter: what the run predicted for each row, by example id. */
  predictions?: Record<number, ExamplePrediction>;
}

/** A set of examples that belong together in a check: the same text, or the same text under different labels. */
export interface ReviewGroup {
  text: string;
  ids: number[];
  labels: string[];
  /** How many of the copies carry each label. */
  copies: Record<string, number>;
}

export type ReviewCheckId = 'duplicates' | 'conflicts' | 'leaks' | 'empty' | 'short' | 'long' | 'rare';

export interface ReviewCheck {
  /** Stable id; `examples --flag ID` lists the rows behind it. */
  id: ReviewCheckId;
  title: string;
  severity: 'ok' | 'info' | 'warning' | 'error';
  /** How many the check found: duplicates: extra copies; conflicts: examples; leaks: texts; rare: classes; else examples. */
  count: number;
  /** Plain words: what was found, why it matters, what to do. */
  message: string;
  /** The threshold the check used, in words, where it has one. */
  threshold?: string;
  /** Example ids behind the finding (at most `REVIEW_ID_LIMIT`). */
  ids: number[];
  groups?: ReviewGroup[];
  labels?: string[];
}

export const REVIEW_ID_LIMIT = 1000;

/** The review's thresholds (also what `examples --flag short|long|rare` use). */
export const REVIEW_THRESHOLDS = {
  /** Fewer words than this is "very short". */
  shortWords: 3,
  /** More words than this is "very long" (recurrent models here read the first 100-300 tokens). */
  longWords: 300,
  /** A class with fewer train examples than this is too rare to learn. */
  rareTrain: 10,
} as const;

export interface ReviewReport {
  project: string;
  total: number;
  classes: LabelCount[];
  /** Exact duplicates: examples whose normalised text already appeared earlier (extra copies). */
  duplicates: number;
  /** Distinct normalised texts that occur more than once. */
  duplicateTexts: number;
  /** Examples whose normalised text also appears with a different label (onet_tasks.csv: 67). */
  conflicts: number;
  /** Distinct normalised texts that carry two or more different labels (onet_tasks.csv: 22). */
  conflictTexts: number;
  checks: ReviewCheck[];
  /** Largest class count over smallest (1 = balanced; onet_tasks.csv: about 17.5). */
  imbalanceRatio: number | null;
  thresholds: { shortWords: number; longWords: number; rareTrain: number };
}

export interface RelabelResult {
  batchId: string;
  changed: number;
  /** Ids that already had the label (nothing recorded for them). */
  unchanged: number;
  /** True when the label did not exist in the project before. */
  newLabel: boolean;
}

export interface UndoResult {
  batchId: string | null;
  reverted: number;
  /** Edits not reverted because a later edit changed the example again. */
  skipped: number;
  /** What was undone (absent when there was nothing to undo). */
  kind?: EditBatchKind;
  summary?: string;
}

/** The kinds of change to a project's data, each recorded as one batch in the audit trail and undoable. */
export type EditBatchKind = 'relabel' | 'remove' | 'resplit';

/** One entry of the audit trail: a batch of changes made together. */
export interface EditBatch {
  id: string;
  kind: EditBatchKind;
  /** Plain words: "Relabelled 3 examples as “Legal”", "Removed 12 duplicate copies". */
  summary: string;
  /** Examples changed, removed or moved. */
  count: number;
  author: string;
  createdAt: string;
  undoneAt: string | null;
}

/** What a data repair did (remove duplicates, re-split): one batch, undoable with data.undo. */
export interface DataRepairResult {
  /** Null when there was nothing to change. */
  batchId: string | null;
  kind: EditBatchKind;
  changed: number;
  summary: string;
}
