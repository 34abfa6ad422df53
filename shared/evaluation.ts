// What the Evaluate view asks beyond the Evaluation itself: the reliability of the predicted probabilities and
// the stored predictions behind a confusion-matrix cell. Free of Node and DOM imports.
import type { Split } from './domain.ts';

/** One confidence bin of a reliability diagram: the predictions whose top probability fell in [from, to). */
export interface ReliabilityBin {
  from: number;
  to: number;
  /** Predictions in the bin. */
  count: number;
  /** Share of them that were right (null for an empty bin). */
  accuracy: number | null;
  /** Their mean top probability (null for an empty bin). */
  confidence: number | null;
}

/** How far the model's probabilities can be taken at their word, on one split of one run. */
export interface Reliability {
  run: string;
  split: Split;
  examples: number;
  bins: ReliabilityBin[];
  /**
   * Expected calibration error: the count-weighted mean |accuracy − confidence| over the bins (0 = the
   * probabilities mean what they say; 0.1 = "90% sure" is right about 80% or 100% of the time).
   */
  ece: number;
  /** Mean top probability against accuracy over the split: > 0 means over-confident. */
  overconfidence: number;
}

/** The examples a run predicted on a split, narrowed to a true label and/or a predicted label (a cell). */
export interface PredictionFilter {
  run: string;
  split: Split;
  /** The true label at evaluation time (the confusion matrix's row). */
  label?: string;
  /** The predicted label (its column). */
  predicted?: string;
}

/** What the run predicted for one example (shown beside it in the Data view). */
export interface ExamplePrediction {
  label: string;
  probability: number;
}
