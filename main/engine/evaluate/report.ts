// A model's Evaluation on a split from its probabilities, whatever the model: metrics, confusion matrix, the
// most confident mistakes and the calibration error.
import type { Evaluation, Split } from '../../../shared/domain.ts';
import { classificationReport, listMistakes, type ExampleRef } from './metrics.ts';
import { calibrationReport } from './calibration.ts';

export function buildEvaluation(input: {
  run: string;
  split: Split;
  labels: string[];
  examples: readonly ExampleRef[];
  /** True class ids. */
  truth: Int32Array;
  /** Row-major probabilities, examples × labels. */
  probabilities: ArrayLike<number>;
}): Evaluation {
  const { labels, truth, probabilities } = input;
  const rep = classificationReport(labels, truth, probabilities);
  return {
    run: input.run,
    split: input.split,
    accuracy: rep.accuracy,
    macroF1: rep.macroF1,
    weightedF1: rep.weightedF1,
    loss: rep.loss,
    perClass: rep.perClass,
    confusion: rep.confusion,
    mistakes: listMistakes(labels, input.examples, truth, probabilities),
    ece: calibrationReport(truth, probabilities, labels.length).ece,
  };
}
