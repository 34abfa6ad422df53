// Classification metrics from true class ids and predicted probabilities. Plain arrays in, plain JSON out.
import type { ClassMetrics, Evaluation, Mistake } from '../../../shared/domain.ts';

/** The metric part of an Evaluation (`loss`: mean cross-entropy of the true class), plus the argmax per example. */
export interface ClassificationReport extends Pick<Evaluation, 'accuracy' | 'macroF1' | 'weightedF1' | 'loss' | 'perClass' | 'confusion'> {
  /** Predicted class id per example (argmax). */
  predicted: Int32Array;
}

const EPS = 1e-7;

export function argmaxRows(probs: ArrayLike<number>, n: number, classes: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[i * classes + c]! > probs[i * classes + best]!) best = c;
    out[i] = best;
  }
  return out;
}

/** Rows are true classes, columns predicted classes. */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]!]![yPred[i]!]! += 1;
  return m;
}

/**
 * Accuracy, macro-F1 (averaged over the classes that occur in the truth or the predictions, as scikit-learn does),
 * support-weighted F1, per-class precision/recall/F1 and the confusion matrix.
 */
export function classificationReport(labels: readonly string[], yTrue: ArrayLike<number>, probs: ArrayLike<number>): ClassificationReport {
  const n = yTrue.length;
  const C = labels.length;
  const predicted = argmaxRows(probs, n, C);
  const matrix = confusionMatrix(yTrue, predicted, C);
  let correct = 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    if (predicted[i] === yTrue[i]) correct++;
    loss -= Math.log(Math.min(1 - EPS, Math.max(EPS, probs[i * C + yTrue[i]!]!)));
  }
  const perClass: ClassMetrics[] = [];
  let f1Sum = 0;
  let f1Count = 0;
  let weighted = 0;
  for (let c = 0; c < C; c++) {
    const tp = matrix[c]![c]!;
    const support = matrix[c]!.reduce((a, b) => a + b, 0);
    let predictedC = 0;
    for (let r = 0; r < C; r++) predictedC += matrix[r]![c]!;
    const precision = predictedC ? tp / predictedC : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    perClass.push({ label: labels[c]!, precision, recall, f1, support });
    if (support || predictedC) {
      f1Sum += f1;
      f1Count++;
    }
    weighted += f1 * support;
  }
  return {
    accuracy: n ? correct / n : 0,
    macroF1: f1Count ? f1Sum / f1Count : 0,
    weightedF1: n ? weighted / n : 0,
    loss: n ? loss / n : 0,
    perClass,
    confusion: { labels: [...labels], matrix },
    predicted,
  };
}

/** Entropy (nats) of the distribution of predicted classes: 0 when the model always says the same class. */
export function predictionEntropy(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / total) * Math.log(c / total);
  return h;
}

export interface ExampleRef {
  id: number;
  text: string;
}

/** Misclassified examples, the most confident mistakes first, at most `cap`. */
export function listMistakes(
  labels: readonly string[],
  examples: readonly ExampleRef[],
  yTrue: ArrayLike<number>,
  probs: ArrayLike<number>,
  cap = 200,
): Mistake[] {
  const C = labels.length;
  const predicted = argmaxRows(probs, examples.length, C);
  const wrong: Array<{ i: number; p: number }> = [];
  for (let i = 0; i < examples.length; i++) if (predicted[i] !== yTrue[i]) wrong.push({ i, p: probs[i * C + predicted[i]!]! });
  wrong.sort((a, b) => b.p - a.p || a.i - b.i);
  return wrong.slice(0, cap).map(({ i, p }) => {
    const probabilities: Record<string, number> = {};
    for (let c = 0; c < C; c++) probabilities[labels[c]!] = round(probs[i * C + c]!);
    return { exampleId: examples[i]!.id, text: examples[i]!.text, label: labels[yTrue[i]!]!, predicted: labels[predicted[i]!]!, probability: round(p), probabilities };
  });
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
