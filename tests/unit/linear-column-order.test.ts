// The solver lays a matrix out most used columns first, each row's entries in that order (solver.ts,
// MatrixSolver): the weights it returns are in the matrix's own column order whatever that order is. On a real
// dev dataset, the same TF-IDF matrix with its columns shuffled gives, once the weights are shuffled back, the
// same decision values up to float rounding and the same predictions, for the SVM and logistic regression.
import { describe, expect, it } from 'vitest';
import { TfidfVectorizer, combineBlocks } from '../../main/engine/text/tfidf.ts';
import type { CsrMatrix } from '../../main/engine/text/tfidf-matrix.ts';
import { decisionValues, fitOneVsRest, problemCount } from '../../main/engine/train/linear/ovr.ts';
import { MatrixSolver } from '../../main/engine/train/linear/solver.ts';
import { argmax } from '../../main/engine/train/linear/select.ts';
import { onetJobsTrain } from '../fixtures/data.ts';

const { texts, labels, y } = onetJobsTrain();
const { blocks } = TfidfVectorizer.fit(
  texts,
  { charNgrams: [3, 4] },
);
const x = combineBlocks(blocks);
const classes = labels.length;
const m = problemCount(classes);
const all = Int32Array.from({ length: x.rows }, (_, i) => i);

/** x with column j moved to to[j] (entries keep their order within each row). */
function shuffledColumns(x: CsrMatrix, to: Int32Array): CsrMatrix {
  return { ...x, indices: Int32Array.from(x.indices, (j) => to[j]!) };
}

describe('the solver returns weights in the matrix column order, whatever it is (O*NET job descriptions, words+chars)', () => {
  let s = 12345;
  const to = Int32Array.from({ length: x.cols }, (_, j) => j);
  for (let j = x.cols - 1; j > 0; j--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const k = s % (j + 1);
    [to[j], to[k]] = [to[k]!, to[j]!];
  }
  const shuffled = shuffledColumns(x, to);

  for (const [loss, C] of [
    ['svm', 1],
    ['lr', 30],
  ] as const) {
    it(`${loss}, C=${C}: the fit on the shuffled columns, weights shuffled back, is the fit on the original`, () => {
      const params = { loss, C, classWeights: null, bias: 1, solver: { eps: 0.01, maxIter: 1000 } };
      const a = fitOneVsRest(new MatrixSolver(x), all, y, classes, params);
      const b = fitOneVsRest(new MatrixSolver(shuffled), all, y, classes, params);
      const back = new Float64Array(b.W.length);
      for (let j = 0; j < x.cols; j++) back.set(b.W.subarray(to[j]! * m, (to[j]! + 1) * m), j * m);
      back.set(b.W.subarray(x.cols * m), x.cols * m); // the bias stays last
      const da = decisionValues(x, all, a.W, classes, 1);
      const db = decisionValues(x, all, back, classes, 1);
      let worst = 0;
      for (let i = 0; i < da.length; i++) worst = Math.max(worst, Math.abs(da[i]! - db[i]!));
      expect(worst).toBeLessThan(1e-6);
      expect(argmax(db, x.rows, classes)).toEqual(argmax(da, x.rows, classes));
    });
  }

  // Row 0 is [1, 0, 1] both times: column 2 stored once, or twice as 0.25 + 0.75.
  it('a row that names a column twice keeps both entries', () => {
    const tiny: CsrMatrix = { rows: 2, cols: 3, indptr: Int32Array.from([0, 3, 4]), indices: Int32Array.from([2, 0, 2, 1]), data: Float32Array.from([0.25, 1, 0.75, 1]) };
    const twice = fitOneVsRest(new MatrixSolver(tiny), Int32Array.from([0, 1]), Int32Array.from([0, 1]), 2, { loss: 'svm', C: 1, classWeights: null, bias: 1, solver: { eps: 1e-6, maxIter: 10000 } });
    const once: CsrMatrix = { rows: 2, cols: 3, indptr: Int32Array.from([0, 2, 3]), indices: Int32Array.from([0, 2, 1]), data: Float32Array.from([1, 1, 1]) };
    const single = fitOneVsRest(new MatrixSolver(once), Int32Array.from([0, 1]), Int32Array.from([0, 1]), 2, { loss: 'svm', C: 1, classWeights: null, bias: 1, solver: { eps: 1e-6, maxIter: 10000 } });
    for (let j = 0; j < twice.W.length; j++) expect(twice.W[j]).toBeCloseTo(single.W[j]!, 4);
  });
});
