// Contracts of the training doctor's tools: the learning-rate finder, the automatic search and compare.
// Free of Node and DOM imports (the renderer draws these).
import type { Finding, SplitMetrics } from './domain.ts';

/** `textbench lr-find --json`: the loss against the learning rate over an exponential sweep, and a suggestion. */
export interface LrFindResult {
  suggested: number;
  /** [learning rate, smoothed loss] per step of the sweep, in order. */
  curve: Array<[number, number]>;
  /** The raw (unsmoothed) loss of each step. */
  raw?: number[];
  /** How the suggestion was chosen: the steepest fall of the smoothed loss, or a tenth of the minimum's rate. */
  method?: 'steepest' | 'min-over-10';
  /** The rate where the smoothed loss was lowest. */
  minLoss?: { lr: number; loss: number };
  /** Why the sweep ended: all steps done, or the loss exploded (> 4× its minimum). */
  stoppedBy?: 'steps' | 'exploded';
  model?: string;
  recipe?: string | null;
  backend?: string;
  examples?: number;
}

/** One line of a search or compare leaderboard. */
export interface LeaderboardEntry {
  /** What was trained: a model name, a recipe name, or a search trial's description. */
  name: string;
  kind: 'model' | 'recipe' | 'trial';
  run: string | null;
  status: 'finished' | 'stopped' | 'failed' | 'pruned';
  /** Settings that define the entry (model family, units, layers, dropout, learning rate, batch size, loss…). */
  settings: Record<string, string | number | boolean | null>;
  validation: SplitMetrics | null;
  test: SplitMetrics | null;
  epochs: number;
  seconds: number;
  samplesPerSecond: number | null;
  backend: string | null;
  findings: Array<Pick<Finding, 'kind' | 'severity' | 'message'>>;
  error?: string;
}

/** `textbench compare --json`. Rows are sorted by test macro-F1, best first. */
export interface CompareResult {
  project: string;
  split: { train: number; validation: number; test: number };
  rows: LeaderboardEntry[];
}

/** `textbench train --model auto --json` (and runAutoSearch): the search's leaderboard and its pick. */
export interface SearchResult {
  project: string;
  budget: { seconds: number | null; trials: number | null };
  seconds: number;
  /** Sorted by validation macro-F1 (the only split the search looks at), best first. */
  leaderboard: LeaderboardEntry[];
  baseline: LeaderboardEntry | null;
  best: LeaderboardEntry | null;
  /** The run that holds the best model (kept; the others stay listed as ordinary runs). */
  run: string | null;
  /** Plain words: did a recurrent model beat the baseline on validation, and by how much. */
  verdict: string;
  recurrentBeatBaseline: boolean | null;
}

/** An automatic search started from the app (training.autoStart): its leaderboard so far, and its result. */
export interface AutoSearchStatus {
  id: string;
  project: string;
  /** 'stopping': Stop was asked and the running trial is being stopped; 'stopped': it ended on request, with a result. */
  status: 'running' | 'stopping' | 'stopped' | 'done' | 'failed';
  startedAt: string;
  /** The budget it was started with. */
  budget: { minutes: number | null; trials: number | null };
  /** Leaderboard entries as trials finish, one per trial (a trial continued to more epochs replaces its entry); validation metrics only. */
  entries: LeaderboardEntry[];
  /** The trial training now (its run streams training.* events like any run). */
  current: { name: string; run: string; settings: LeaderboardEntry['settings'] } | null;
  result: SearchResult | null;
  error: string | null;
}
