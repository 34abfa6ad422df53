// The linear model's contract: its cross-validation report and its explanations, as the engine stores and the
// API returns them. Free of Node and DOM imports.

export type LinearFeatureSet = 'words' | 'words+chars';
/** 'svm': L2-regularised squared-hinge SVM; 'lr': L2-regularised logistic regression. */
export type LinearLossName = 'svm' | 'lr';

/** One setting of the cross-validation grid and how it scored. */
export interface LinearCvRow {
  featureSet: LinearFeatureSet;
  loss: LinearLossName;
  C: number;
  /** Mean macro-F1 over the folds it was scored on. */
  macroF1: number;
  /** Standard deviation of those fold scores. */
  std: number;
  /** Macro-F1 of each fold it was scored on, in fold order. */
  folds: number[];
}

/** Stored with every linear run: what cross-validation compared, what it chose, and what it cost. */
export interface LinearSearchReport {
  folds: number;
  rows: LinearCvRow[];
  chosen: { featureSet: LinearFeatureSet; loss: LinearLossName; C: number };
  /** The chosen model's features: train rows, columns, stored (non-zero) entries. */
  size: { rows: number; features: number; nonzeros: number };
  /** Vocabulary sizes learned from train: word n-grams and character n-grams (0 when not used). */
  vocabulary: { words: number; chars: number };
  /** Softmax temperature factor fitted on out-of-fold decision values, and the cross-validated ECE it gives. */
  calibration: { method: 'temperature'; factor: number; ece: number };
  cost: { fits: number; passes: number; unconverged: number; featuresMs: number; searchMs: number; finalMs: number; totalMs: number };
}

export interface NgramWeight {
  /** A word n-gram ("good phone") or a character n-gram within a word (" goo", spaces mark word edges). */
  kind: 'word' | 'char';
  text: string;
  weight: number;
}

/** The n-grams that speak most for and against one class, from the model's weights. */
export interface ClassNgrams {
  label: string;
  positive: NgramWeight[];
  negative: NgramWeight[];
  /** The class's intercept (bias). */
  intercept: number;
}

export interface NgramContribution {
  kind: 'word' | 'char';
  text: string;
  /** Feature value × weight: this n-gram's share of the class's decision value. */
  contribution: number;
}

/** Why a text gets a label: the n-grams that pushed it there and away, and per-word shares to highlight. */
export interface TextExplanation {
  label: string;
  probability: number;
  /** The class's decision value: intercept + the sum of every contribution. */
  decision: number;
  intercept: number;
  towards: NgramContribution[];
  against: NgramContribution[];
  /** Spans of the text (character offsets, end exclusive) with their share of the decision. */
  spans: Array<{ start: number; end: number; weight: number }>;
}
