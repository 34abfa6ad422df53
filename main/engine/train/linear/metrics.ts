// Macro-F1 from class ids, as scikit-learn's f1_score(average='macro') computes it: the mean F1 over the
// classes that occur in the truth or the predictions. Cross-validation scores thousands of these.

export function macroF1(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, classes: number): number {
  const tp = new Float64Array(classes);
  const support = new Float64Array(classes);
  const predicted = new Float64Array(classes);
  for (let i = 0; i < yTrue.length; i++) {
    support[yTrue[i]!]!++;
    predicted[yPred[i]!]!++;
    if (yTrue[i] === yPred[i]) tp[yTrue[i]!]!++;
  }
  let sum = 0;
  let count = 0;
  for (let c = 0; c < classes; c++) {
    if (!support[c] && !predicted[c]) continue;
    count++;
    const denom = support[c]! + predicted[c]!;
    if (denom) sum += (2 * tp[c]!) / denom;
  }
  return count ? sum / count : 0;
}
