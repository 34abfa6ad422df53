// The cross-validation search on real data (the first 800 train sentences of UCI sentiment, words and
// words+chars): each (features, loss) walks C upwards from the smallest value and stops only after two values
// in a row that do not beat its best first-fold score; the chosen setting is the best one scored on every fold;
// and a pool of worker threads, which finishes fits in whatever order, gives exactly the result of fitting one
// after another in this thread (the search is deterministic); so does the final fit shared out between the
// pool's workers by ranges of one-vs-rest problems (O*NET job descriptions, 22 classes, SVM and logistic regression).
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { TfidfVectorizer, combineBlocks } from '../../main/engine/text/tfidf.ts';
import { emptyCsr, nnz } from '../../main/engine/text/tfidf-matrix.ts';
import { LocalRunner, type FitSettings } from '../../main/engine/train/linear/fit-runner.ts';
import { fitPool, poolWorkers } from '../../main/engine/train/linear/fit-pool.ts';
import { crossValidate, type CvOptions, type Matrices, type Setting } from '../../main/engine/train/linear/select.ts';
import { DEFAULT_LINEAR, DEFAULT_SEARCH, trainLinear } from '../../main/engine/train/linear/train.ts';
import { datasets, onetJobsTrain } from '../fixtures/data.ts';

const rows = (parse(fs.readFileSync(path.join(datasets, 'uci_sentiment_labelled_sentences/uci_sentiment.csv')), { columns: true }) as Record<string, string>[])
  .filter((r) => r.split === 'train')
  .slice(0, 800);
const labels = [...new Set(rows.map((r) => r.label!))].sort();
const y = Int32Array.from(rows, (r) => labels.indexOf(r.label!));
const { blocks } = TfidfVectorizer.fit(rows.map((r) => r.text!));
const matrices: Matrices = { words: blocks.words, 'words+chars': combineBlocks(blocks) };
const settings: FitSettings = { classes: labels.length, labels: y, classWeights: 'none', bias: 1, solver: DEFAULT_LINEAR.solver };
const options: CvOptions = { folds: 5, classWeights: 'none', bias: 1, solver: DEFAULT_LINEAR.solver };
const cost = (s: Setting) => nnz(matrices[s.featureSet]!);

describe('cross-validation search', () => {
  it('walks C upwards with patience 2, chooses the best fully scored setting, and a worker pool gives the same result', async () => {
    const local = await crossValidate(y, labels.length, DEFAULT_SEARCH, new LocalRunner(matrices, settings), options, cost);
    const grid = DEFAULT_SEARCH.C;
    for (const featureSet of DEFAULT_SEARCH.featureSets) {
      for (const loss of DEFAULT_SEARCH.losses) {
        const walk = local.rows.filter((r) => r.featureSet === featureSet && r.loss === loss);
        expect(walk.map((r) => r.C)).toEqual(grid.slice(0, walk.length));
        // Replay the rule on the first-fold scores: it stops exactly after the second miss in a row.
        let best = -Infinity;
        let misses = 0;
        walk.forEach((r, i) => {
          expect(misses, `${featureSet} ${loss}: the walk went on after two misses`).toBeLessThan(2);
          if (r.folds[0]! > best) [best, misses] = [r.folds[0]!, 0];
          else misses++;
          if (i === walk.length - 1 && walk.length < grid.length) expect(misses).toBe(2);
        });
      }
    }
    const complete = local.rows.filter((r) => r.folds.length === 5);
    expect(complete.length).toBeGreaterThanOrEqual(1);
    const best = complete.reduce((a, r) => (r.macroF1 > a.macroF1 ? r : a));
    expect(local.best).toEqual(best);
    expect(local.oof.length).toBe(y.length * labels.length);
    expect(local.cost.fits).toBeLessThanOrEqual(56);

    const pool = fitPool(matrices, settings, 2);
    try {
      const pooled = await crossValidate(y, labels.length, DEFAULT_SEARCH, pool, options, cost);
      expect(pooled.rows).toEqual(local.rows);
      expect(pooled.best).toEqual(local.best);
      expect(pooled.cost).toEqual(local.cost);
      expect(Buffer.from(pooled.oof.buffer).equals(Buffer.from(local.oof.buffer))).toBe(true);
    } finally {
      await pool.close?.();
    }
  });

  it('the final fit, shared out between two workers by ranges of problems, gives the same weights as in this thread', async () => {
    const { texts, labels: jobLabels, y: jy } = onetJobsTrain();
    for (const loss of ['svm', 'lr'] as const) {
      const opts = { ...DEFAULT_LINEAR, folds: 3, search: { C: [3], losses: [loss], featureSets: ['words' as const] } };
      const here = await trainLinear(texts, jy, jobLabels, opts);
      let parallel = 0;
      const pooled = await trainLinear(texts, jy, jobLabels, opts, {
        runner: (m, s) => {
          const pool = fitPool(m, s, 2);
          parallel = pool.parallel ?? 1;
          return pool;
        },
      });
      expect(parallel).toBe(2);
      expect(pooled.report.cost.passes).toBe(here.report.cost.passes);
      expect(Buffer.from(pooled.model.weights.buffer).equals(Buffer.from(here.model.weights.buffer)), loss).toBe(true);
    }
  }, 180_000);

  it('sizes the pool by memory: the matrices and the weights of every problem, per worker', () => {
    // UCI sentences: small, so the cores decide.
    expect(poolWorkers(matrices, labels.length, 4)).toBe(4);
    expect(poolWorkers(matrices, labels.length, 64)).toBe(8);
    // 42 classes over a million columns: about 1 GB of weights a worker, so two at most under 2 GB.
    const wide: Matrices = { 'words+chars': emptyCsr(12_600, 1_000_000) };
    expect(poolWorkers(wide, 42, 16)).toBe(2);
    expect(poolWorkers(wide, 2, 16)).toBe(8);
    expect(poolWorkers({ words: emptyCsr(12_600, 300_000) }, 42, 16)).toBe(7);
  });
});
