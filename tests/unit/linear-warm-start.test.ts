// Warm starts of the dual solvers (select.ts: a setting's later cross-validation folds and the final fit start
// from its first-fold dual solution): on a real dev dataset, a fold started from another fold's solution
// reaches the same optimum as a cold start (same objective within the tolerance, same predictions) in fewer
// passes, for the SVM and for logistic regression; and a start on rows the solution never saw is ignored.
import { describe, expect, it } from 'vitest';
import { TfidfVectorizer } from '../../main/engine/text/tfidf.ts';
import { decisionValues, fitOneVsRest, problemCount, type LinearLoss } from '../../main/engine/train/linear/ovr.ts';
import { MatrixSolver, primalObjective } from '../../main/engine/train/linear/solver.ts';
import { argmax, stratifiedFolds } from '../../main/engine/train/linear/select.ts';
import { onetJobsTrain } from '../fixtures/data.ts';

const { texts, labels, y } = onetJobsTrain();
const { blocks } = TfidfVectorizer.fit(
  texts,
  { charNgrams: null },
);
const x = blocks.words;
const classes = labels.length;
const m = problemCount(classes);
const fold = stratifiedFolds(y, classes, 5);
const trainOf = (f: number) => Int32Array.from({ length: y.length }, (_, i) => i).filter((i) => fold[i] !== f);
const solver = new MatrixSolver(x);
const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);

function objectives(loss: LinearLoss, C: number, rows: Int32Array, W: Float64Array): number[] {
  return Array.from({ length: m }, (_, c) => {
    const w = Float64Array.from({ length: x.cols + 1 }, (_, j) => W[j * m + c]!);
    const yy = Int8Array.from(rows, (r) => (y[r] === c ? 1 : -1));
    return primalObjective(x, { rows, y: yy, cp: C, cn: C, bias: 1 }, w, loss);
  });
}

describe('warm starts of the dual solvers (O*NET job descriptions, 22 classes)', () => {
  for (const [loss, C] of [
    ['svm', 3],
    ['lr', 30],
  ] as const) {
    it(`${loss}, C=${C}: the second fold from the first fold's dual solution reaches the cold start's optimum in fewer passes`, () => {
      const solver01 = { eps: 0.01, maxIter: 1000 };
      const params = { loss, C, classWeights: null, bias: 1, solver: solver01 };
      const first = fitOneVsRest(solver, trainOf(0), y, classes, { ...params, keepDual: true });
      const dual = first.dual!;
      expect(dual.length).toBe(x.rows * m);
      // NaN exactly off the rows trained on.
      for (let r = 0; r < x.rows; r++) expect(Number.isNaN(dual[r * m]!), `row ${r}`).toBe(fold[r] === 0);

      const rows1 = trainOf(1);
      const cold = fitOneVsRest(solver, rows1, y, classes, params);
      const warm = fitOneVsRest(solver, rows1, y, classes, { ...params, start: dual });
      expect(cold.unconverged + warm.unconverged).toBe(0);
      expect(sum(warm.iterations)).toBeLessThan(sum(cold.iterations));
      const oc = objectives(loss, C, rows1, cold.W);
      const ow = objectives(loss, C, rows1, warm.W);
      for (let c = 0; c < m; c++) expect(Math.abs(ow[c]! - oc[c]!) / oc[c]!, `problem ${c}`).toBeLessThan(1e-3);
      const test = Int32Array.from({ length: y.length }, (_, i) => i).filter((i) => fold[i] === 1);
      const pc = argmax(decisionValues(x, test, cold.W, classes, 1), test.length, classes);
      const pw = argmax(decisionValues(x, test, warm.W, classes, 1), test.length, classes);
      expect(pw.filter((p, i) => p === pc[i]).length / test.length).toBeGreaterThanOrEqual(0.99);
    });
  }

  it('a start that is all NaN (no row in common) gives the cold start exactly', () => {
    for (const loss of ['svm', 'lr'] as const) {
      const params = { loss, C: 1, classWeights: null, bias: 1 };
      const cold = fitOneVsRest(solver, trainOf(2), y, classes, params);
      const none = fitOneVsRest(solver, trainOf(2), y, classes, { ...params, start: new Float32Array(x.rows * m).fill(Number.NaN) });
      expect(none.iterations).toEqual(cold.iterations);
      let differ = 0;
      for (let j = 0; j < cold.W.length; j++) if (none.W[j] !== cold.W[j]) differ++;
      expect(differ).toBe(0);
    }
  });
});
