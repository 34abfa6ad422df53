// The SVM's one-vs-rest problems solved side by side (wasm/solver.c, svm_dual_ovr) against the same problems solved
// one at a time (svm_dual), on a real dev dataset: every problem reaches the same objective within the tolerance and
// the models predict alike, for several C, with and without class weights; and a problem's solution is the same,
// bit for bit, whichever problems are solved beside it (the final fit is shared out between workers by ranges).
import { describe, expect, it } from 'vitest';
import { TfidfVectorizer } from '../../main/engine/text/tfidf.ts';
import { balancedWeights, decisionValues, fitOneVsRest, problemCount, svmSideBySide } from '../../main/engine/train/linear/ovr.ts';
import { MatrixSolver, primalObjective } from '../../main/engine/train/linear/solver.ts';
import { argmax, stratifiedFolds } from '../../main/engine/train/linear/select.ts';
import { onetJobsTrain } from '../fixtures/data.ts';

const { texts, labels, y } = onetJobsTrain();
const x = TfidfVectorizer.fit(
  texts,
  { charNgrams: null },
).blocks.words;
const classes = labels.length;
const m = problemCount(classes);
const solver = new MatrixSolver(x);
const fold = stratifiedFolds(y, classes, 5);
const train = Int32Array.from({ length: y.length }, (_, i) => i).filter((i) => fold[i] !== 0);
const opts = { eps: 0.01, maxIter: 1000 };

/** Problems [from, to) of one-vs-rest on `rows`, side by side (ovr.ts takes this path only where it is faster). */
function sideBySide(rows: Int32Array, C: number, cw: Float64Array | null, from = 0, to = m, start?: Float64Array) {
  const k = to - from;
  const yy = new Int8Array(rows.length * k);
  for (let i = 0; i < rows.length; i++) for (let c = 0; c < k; c++) yy[i * k + c] = y[rows[i]!] === from + c ? 1 : -1;
  const cp = Float64Array.from({ length: k }, (_, c) => C * (cw ? cw[from + c]! : 1));
  const alpha0 = start && Float64Array.from({ length: rows.length * k }, (_, v) => start[Math.floor(v / k) * m + from + (v % k)]!);
  return solver.solveSvmOvr({ rows, m: k, y: yy, cp, cn: new Float64Array(k).fill(C), bias: 1, alpha0 }, opts);
}

describe('the SVM one-vs-rest problems side by side (O*NET job descriptions, 22 classes)', () => {
  for (const C of [0.3, 3, 30])
    for (const balanced of [false, true])
      it(`C=${C}${balanced ? ', balanced class weights' : ''}: the objective and the predictions of one problem at a time`, () => {
        const cw = balanced ? balancedWeights(y, train, classes) : null;
        const joint = sideBySide(train, C, cw);
        expect(joint.converged.every((c) => c)).toBe(true);
        const Wsep = new Float64Array(joint.W.length);
        for (let c = 0; c < m; c++) {
          const yy = Int8Array.from(train, (r) => (y[r] === c ? 1 : -1));
          const p = { rows: train, y: yy, cp: C * (cw ? cw[c]! : 1), cn: C, bias: 1 };
          const sep = solver.solveSvm(p, opts);
          expect(sep.converged).toBe(true);
          for (let j = 0; j <= x.cols; j++) Wsep[j * m + c] = sep.w[j]!;
          const wj = Float64Array.from({ length: x.cols + 1 }, (_, j) => joint.W[j * m + c]!);
          const oj = primalObjective(x, p, wj, 'svm');
          const os = primalObjective(x, p, sep.w, 'svm');
          expect(Math.abs(oj - os) / os, `problem ${c}: side by side ${oj}, alone ${os}`).toBeLessThan(1e-3);
        }
        const test = Int32Array.from({ length: y.length }, (_, i) => i).filter((i) => fold[i] === 0);
        const pj = argmax(decisionValues(x, test, joint.W, classes, 1), test.length, classes);
        const ps = argmax(decisionValues(x, test, Wsep, classes, 1), test.length, classes);
        expect(pj.filter((v, i) => v === ps[i]).length / test.length).toBeGreaterThanOrEqual(0.99);
      });

  it('a problem gets the same weights, dual solution and passes, bit for bit, whatever is solved beside it', () => {
    // As the final fit runs: on every row, warm-started from a solution on four fifths of them, its problems
    // in one thread or shared out between workers by ranges.
    const params = { loss: 'svm' as const, C: 3, classWeights: balancedWeights(y, train, classes), bias: 1, solver: opts, sideBySide: true };
    const first = fitOneVsRest(solver, train, y, classes, { ...params, keepDual: true });
    const start = first.dual!;
    const all = Int32Array.from({ length: y.length }, (_, i) => i);
    const whole = fitOneVsRest(solver, all, y, classes, { ...params, start, keepDual: true });
    expect(whole.unconverged).toBe(0);
    for (const [from, to] of [
      [0, 1],
      [1, 4],
      [4, 13],
      [13, m],
    ] as const) {
      const part = fitOneVsRest(solver, all, y, classes, { ...params, start, problems: [from, to] });
      const k = to - from;
      expect(part.iterations).toEqual(whole.iterations.slice(from, to));
      let differ = 0;
      for (let j = 0; j <= x.cols; j++) for (let c = 0; c < k; c++) if (part.W[j * k + c] !== whole.W[j * m + from + c]) differ++;
      expect(differ, `problems [${from}, ${to})`).toBe(0);
      // Its dual solution alone, bit for bit, from problems solved side by side with no others.
      const alone = sideBySide(all, 3, params.classWeights, from, to, Float64Array.from(start));
      let dualDiffer = 0;
      for (let i = 0; i < all.length; i++) for (let c = 0; c < k; c++) if (Math.fround(alone.alpha[i * k + c]!) !== whole.dual![i * m + from + c]) dualDiffer++;
      expect(dualDiffer, `problems [${from}, ${to})`).toBe(0);
    }
  });

  it('the SVM takes the side-by-side path with six problems or more', () => {
    expect(svmSideBySide(m)).toBe(true);
    expect(svmSideBySide(6)).toBe(true);
    expect(svmSideBySide(5)).toBe(false);
    expect(svmSideBySide(1)).toBe(false);
  });
});
