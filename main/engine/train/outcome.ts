// What every training path (neural job.ts, linear/job.ts, ensemble/job.ts) shares at its two ends: the hooks a job
// reports through, and the stored evaluation of a model's probabilities. Kept apart from job.ts, which dispatches to
// those paths, so that no path imports its dispatcher.
import type { Db } from '../store/db.ts';
import type { SplitExample } from '../store/examples.ts';
import { saveRunPredictions } from '../store/runPredictions.ts';
import { buildEvaluation } from '../evaluate/report.ts';
import type { WorkbenchEvent } from '../../../shared/events.ts';
import type { Evaluation, Split } from '../../../shared/domain.ts';
import { labelIds } from './data.ts';

export interface JobHooks {
  emit(event: WorkbenchEvent): void;
  shouldStop(): boolean;
  /** Progress lines for a person (backend choice, data sizes); the CLI prints them on stderr. */
  log?(message: string): void;
}

/** Accuracy, F1s, per-class metrics, confusion matrix and the most confident mistakes, for probabilities already computed (row-major, examples × labels). */
export function evaluateProbabilities(probs: ArrayLike<number>, examples: readonly SplitExample[], labels: string[], run: string, split: Split, db?: Db): Evaluation {
  const truth = labelIds(examples, labels);
  // Every prediction is kept (not only the mistakes listed below), so each confusion cell opens exactly its examples.
  if (db) saveRunPredictions(db, run, { split, exampleIds: examples.map((e) => e.id), truth, probabilities: probs, classes: labels.length });
  return buildEvaluation({ run, split, labels, examples, truth, probabilities: probs });
}
