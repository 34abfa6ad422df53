// `npm run bench linear`: the default linear model against scikit-learn's TF-IDF (word 1-2 grams, sublinear tf)
// + LinearSVC / LogisticRegression on the dev datasets' fixed train/test splits, measured side by side in one run.
//
// For each dataset it prints
//  - what a user gets: `textbench train` with default settings (cross-validated choice of features, loss and C)
//    through a real workspace and the training worker, seeds 1 and 2, test macro-F1 and wall time (the two seeds
//    must give the same figures: the model is deterministic);
//  - the same training in this thread without the search: one fixed setting (words, SVM, C=1: 5
//    cross-validation fits for the calibration and the final fit), and the bare fit (TF-IDF + one one-vs-rest
//    SVM fit, what scikit-learn's LinearSVC does);
//  - scikit-learn's TF-IDF + LinearSVC and + LogisticRegression (defaults), and with LINEAR_BENCH_GRID=1 its
//    GridSearchCV over the same C grid and both losses;
//  - single-text classification latency (median, p99) of the seed-1 run's exported bundle, loaded with
//    loadBundle, one test text per call (issue 10: p99 under 2 ms);
//  - the ratios of textbench's times to scikit-learn's LinearSVC time (issue 10's goal: within 3x including
//    the search, on O*NET task sentences), and of CPU times (the run's stored cost, every thread, against
//    scikit-learn's process time): on a machine shared with other work the CPU ratio is the steadier figure,
//    the wall-time one also counts the cores the search's worker pool gets.
// LINEAR_BENCH_DATASETS=uci,jobs,tasks picks datasets (default: all three). Each dataset's table row is printed
// as soon as it is measured.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { Workbench } from '../../main/engine/workbench.ts';
import { TfidfVectorizer } from '../../main/engine/text/tfidf.ts';
import { classificationReport } from '../../main/engine/evaluate/metrics.ts';
import { fitOneVsRest } from '../../main/engine/train/linear/ovr.ts';
import { MatrixSolver } from '../../main/engine/train/linear/solver.ts';
import { DEFAULT_LINEAR, trainLinear, type LinearTrainOptions } from '../../main/engine/train/linear/train.ts';
import { poolRunner } from '../../main/engine/train/linear/fit-pool.ts';
import { argmax } from '../../main/engine/train/linear/select.ts';
import { macroF1 } from '../../main/engine/train/linear/metrics.ts';
import { loadBundle } from '../../main/engine/bundle/index.ts';
import { datasets } from '../fixtures/data.ts';

interface Dataset {
  key: string;
  name: string;
  file: string;
  text: string;
  label: string;
}

const DATASETS: Dataset[] = [
  { key: 'uci', name: 'UCI sentiment', file: 'uci_sentiment_labelled_sentences/uci_sentiment.csv', text: 'text', label: 'label' },
  { key: 'jobs', name: 'O*NET jobs (descriptions)', file: 'onet_tasks/onet_jobs.csv', text: 'description', label: 'major_group' },
  { key: 'tasks', name: 'O*NET task sentences', file: 'onet_tasks/onet_tasks_split.csv', text: 'task', label: 'major_group' },
];

const SKLEARN = path.join(import.meta.dirname, 'linear_sklearn.py');

interface SklearnFigures {
  train: number;
  test: number;
  classes: number;
  svm: { macroF1: number; seconds: number; cpuSeconds: number };
  lr: { macroF1: number; seconds: number };
  grid?: { macroF1: number; seconds: number; chosen: string };
}

function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}

function f(x: number, d = 3): string {
  return x.toFixed(d);
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** Single-text latency of the exported bundle (issue 10: p99 under 2 ms), one text per call, test texts in turn. */
async function singleTextLatency(dir: string, texts: string[]): Promise<{ median: number; p99: number; calls: number }> {
  const model = await loadBundle(dir);
  try {
    for (let i = 0; i < 50; i++) await model.classify([texts[i % texts.length]!]);
    const times: number[] = [];
    const calls = Math.max(1000, Math.min(texts.length, 3000));
    for (let i = 0; i < calls; i++) {
      const t = performance.now();
      await model.classify([texts[i % texts.length]!]);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return { median: quantile(times, 0.5), p99: quantile(times, 0.99), calls };
  } finally {
    model.dispose();
  }
}

interface UserRun {
  seed: number;
  macroF1: number;
  seconds: number;
  /** CPU seconds of the training, every thread (the run's stored cost): on a shared machine, steadier than wall time. */
  cpuSeconds: number;
  chosen: string;
}

async function userPath(d: Dataset, tmp: string, testTexts: string[]): Promise<{ runs: UserRun[]; latency: { median: number; p99: number; calls: number } }> {
  const wb = Workbench.open({ workspace: path.join(tmp, `ws-${d.key}`) });
  try {
    await wb.data.importFile(path.join(datasets, d.file), { project: d.key, text: [d.text], label: d.label, split: 'split' });
    const out = [];
    for (const seed of [1, 2]) {
      const t = performance.now();
      const r = await wb.training.train({ project: d.key, seed });
      const took = seconds(t);
      if (r.status !== 'finished') throw new Error(`${d.name}: the run ${r.status}: ${r.error ?? ''}`);
      const linear = wb.training.get(r.run).linear!;
      const c = linear.chosen;
      out.push({ seed, macroF1: r.test.macroF1, seconds: took, cpuSeconds: linear.cost.totalMs / 1000, chosen: `${c.featureSet}, ${c.loss}, C=${c.C}`, run: r.run });
    }
    const bundle = path.join(tmp, `bundle-${d.key}`);
    await wb.models.exportRun(out[0]!.run, bundle);
    const latency = await singleTextLatency(bundle, testTexts);
    return { runs: out.map(({ run: _r, ...u }) => u), latency };
  } finally {
    await wb.close();
  }
}

function printTable(rows: string[]): void {
  console.log(
    '\n| task | train rows | classes | sklearn SVM | sklearn LR | textbench linear (seed 1 / seed 2) | minus best sklearn | textbench train (with search) | its CPU | fixed setting (no search) | bare fit | sklearn SVM time | with search / sklearn | CPU / sklearn CPU | fixed / sklearn | bare / sklearn | single-text p99 |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const line of rows) console.log(line);
}

export async function run(): Promise<void> {
  const pick = (process.env.LINEAR_BENCH_DATASETS ?? 'uci,jobs,tasks').split(',');
  const grid = process.env.LINEAR_BENCH_GRID === '1';
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-bench-linear-'));
  const table: string[] = [];
  try {
    for (const d of DATASETS.filter((x) => pick.includes(x.key))) {
      const file = path.join(datasets, d.file);
      const rows = parse(fs.readFileSync(file), { columns: true }) as Record<string, string>[];
      const train = rows.filter((r) => r.split === 'train');
      const test = rows.filter((r) => r.split === 'test');
      const labels = [...new Set(train.map((r) => r[d.label]!))].sort();
      const y = Int32Array.from(train, (r) => labels.indexOf(r[d.label]!));
      const yTest = Int32Array.from(test, (r) => labels.indexOf(r[d.label]!));
      const texts = train.map((r) => r[d.text]!);
      const testTexts = test.map((r) => r[d.text]!);
      console.log(`\n${d.name}: ${train.length} train, ${test.length} test, ${labels.length} classes`);

      const sk = JSON.parse(
        execFileSync('/usr/bin/python3', [SKLEARN, file, d.text, d.label, ...(grid ? ['--grid'] : [])], {
          encoding: 'utf8',
          maxBuffer: 1 << 24,
          env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
        }),
      ) as SklearnFigures;
      console.log(`  scikit-learn TF-IDF + LinearSVC:          macro-F1 ${f(sk.svm.macroF1)}, ${f(sk.svm.seconds, 2)} s (${f(sk.svm.cpuSeconds, 2)} s CPU)`);
      console.log(`  scikit-learn TF-IDF + LogisticRegression: macro-F1 ${f(sk.lr.macroF1)}, ${f(sk.lr.seconds, 2)} s`);
      if (sk.grid) console.log(`  scikit-learn GridSearchCV (C grid x SVM/LR, 5 folds, words): macro-F1 ${f(sk.grid.macroF1)}, ${f(sk.grid.seconds, 2)} s, chose ${sk.grid.chosen}`);

      const { runs: user, latency } = await userPath(d, tmp, testTexts);
      console.log(`  single-text classification with the exported bundle (${latency.calls} calls): median ${f(latency.median, 2)} ms, p99 ${f(latency.p99, 2)} ms (issue 10: p99 under 2 ms)`);
      for (const u of user) console.log(`  textbench train --seed ${u.seed} (workspace + worker): macro-F1 ${f(u.macroF1)}, ${f(u.seconds, 2)} s (${f(u.cpuSeconds, 1)} s CPU, all threads), chose ${u.chosen}`);
      const same = user.every((u) => u.macroF1 === user[0]!.macroF1);
      console.log(`  seeds 1 and 2 give ${same ? 'identical' : 'DIFFERENT'} test macro-F1`);

      const inThread = async (options: LinearTrainOptions) => {
        const t = performance.now();
        const { model, report } = await trainLinear(texts, y, labels, options, { runner: poolRunner });
        const took = seconds(t);
        return { took, macroF1: classificationReport(labels, yTest, model.predictProba(testTexts)).macroF1, report };
      };
      const fixed = await inThread({ ...DEFAULT_LINEAR, search: { C: [1], losses: ['svm'], featureSets: ['words'] } });
      const t = performance.now();
      const { vectorizer, blocks } = TfidfVectorizer.fit(texts, { charNgrams: null });
      const all = Int32Array.from({ length: texts.length }, (_, i) => i);
      const sol = fitOneVsRest(new MatrixSolver(blocks.words), all, y, labels.length, { loss: 'svm', C: 1, classWeights: null, bias: 1, solver: DEFAULT_LINEAR.finalSolver });
      const bare = seconds(t);
      const xt = vectorizer.transformBlocks(testTexts).words;
      const m = labels.length === 2 ? 1 : labels.length;
      const dec = new Float64Array(test.length * labels.length);
      for (let i = 0; i < test.length; i++) {
        for (let p = 0; p < m; p++) {
          let s = sol.W[blocks.words.cols * m + p]!;
          for (let k = xt.indptr[i]!; k < xt.indptr[i + 1]!; k++) s += xt.data[k]! * sol.W[xt.indices[k]! * m + p]!;
          if (m === 1) dec[i * 2 + 1] = s;
          else dec[i * m + p] = s;
        }
      }
      const bareF1 = macroF1(yTest, argmax(dec, test.length, labels.length), labels.length);
      console.log(
        `  in this thread: words+SVM+C=1 with its calibration folds ${f(fixed.took, 2)} s (macro-F1 ${f(fixed.macroF1)}); bare TF-IDF + one SVM fit ${f(bare, 2)} s (macro-F1 ${f(bareF1)})`,
      );
      const ratio = (x: number) => `${f(x / sk.svm.seconds, 1)}x`;
      console.log(
        `  time / scikit-learn LinearSVC time: train with search ${ratio(user[0]!.seconds)} (CPU: ${f(user[0]!.cpuSeconds / sk.svm.cpuSeconds, 1)}x), fixed setting ${ratio(fixed.took)}, bare fit ${ratio(bare)}` +
          (sk.grid ? `; textbench train / scikit-learn GridSearchCV ${f(user[0]!.seconds / sk.grid.seconds, 2)}x` : ''),
      );
      const best = Math.max(sk.svm.macroF1, sk.lr.macroF1);
      table.push(
        `| ${d.name} | ${train.length} | ${labels.length} | ${f(sk.svm.macroF1)} | ${f(sk.lr.macroF1)} | ${user.map((u) => f(u.macroF1)).join(' / ')} | ${f(user[0]!.macroF1 - best, 3)} | ` +
          `${f(user[0]!.seconds, 1)} s | ${f(user[0]!.cpuSeconds, 1)} s | ${f(fixed.took, 1)} s | ${f(bare, 2)} s | ${f(sk.svm.seconds, 2)} s | ${ratio(user[0]!.seconds)} | ${f(user[0]!.cpuSeconds / sk.svm.cpuSeconds, 1)}x | ${ratio(fixed.took)} | ${ratio(bare)} | ${f(latency.p99, 2)} ms |`,
      );
      printTable(table);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
