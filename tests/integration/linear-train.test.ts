// The default model end to end in a real workspace: a slice of the UCI sentiment dev dataset (600 train and
// 150 test sentences) imported from its CSV, trained through the training worker with default settings (the
// solvers themselves are compared with scikit-learn on the whole O*NET job descriptions in
// tests/unit/linear-solver-sklearn.test.ts). The run is deterministic whatever the seed, stores its cross-validation table, exports a bundle that
// a fresh Node process loads to the same probabilities, and bad training data is refused with the class named
// and nothing stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import type { Workbench } from '../../main/engine/workbench.ts';
import type { TrainResult } from '../../shared/training.ts';
import { loadLinearModel } from '../../main/engine/store/linearModels.ts';
import { main } from '../../main/cli/index.ts';
import { datasets, repoRoot, tempDir, tempWorkbench, toCsv, withWorkspaceDb, writeFile } from '../fixtures/data.ts';

const UCI = path.join(datasets, 'uci_sentiment_labelled_sentences/uci_sentiment.csv');
const run = promisify(execFile);

let wb: Workbench;
let cleanup: () => Promise<void>;
let tmp: string;
let first: TrainResult;
let second: TrainResult;
let testTexts: string[];

beforeAll(async () => {
  ({ wb, cleanup } = tempWorkbench());
  tmp = tempDir('tb-linear-');
  const rows = parse(fs.readFileSync(UCI), { columns: true }) as Record<string, string>[];
  const slice = [...rows.filter((r) => r.split === 'train').slice(0, 600), ...rows.filter((r) => r.split === 'test').slice(0, 150)];
  testTexts = slice.filter((r) => r.split === 'test').map((r) => r.text!);
  const file = writeFile(tmp, 'sentiment.csv', toCsv(['text', 'label', 'split'], slice.map((r) => [r.text!, r.label!, r.split!])));
  await wb.data.importFile(file, { project: 'sentiment', text: ['text'], label: 'label', split: 'split' });
  first = await wb.training.train({ project: 'sentiment', seed: 1 });
  second = await wb.training.train({ project: 'sentiment', seed: 2 });
}, 600_000);

afterAll(async () => {
  wb?.models.dispose();
  await cleanup?.();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the default linear model in a workspace', () => {
  it('is the exact linear model, and seeds 1 and 2 give the same figures and the same weights', () => {
    expect(first).toMatchObject({ status: 'finished', model: 'linear', epochs: 0, backend: 'wasm' });
    expect(second.status).toBe('finished');
    expect(second.test).toEqual(first.test);
    expect(second.validation).toEqual(first.validation);
    // It learns something real (scikit-learn's TF-IDF + LinearSVC scores about 0.8 on this slice).
    expect(first.test.macroF1).toBeGreaterThan(0.7);
    const [a, b] = withWorkspaceDb(wb, (db) => [loadLinearModel(db, first.run)!, loadLinearModel(db, second.run)!]);
    expect(Buffer.from(b.weights.buffer).equals(Buffer.from(a.weights.buffer))).toBe(true);
    expect(b.model).toEqual(a.model);
  });

  it('stores its cross-validation table; the chosen setting is the best scored on every fold; evaluation reports ECE', async () => {
    const d = wb.training.get(first.run);
    expect(d.validationSource).toBe('cross-validation');
    expect(d.device).toMatchObject({ kind: 'cpu' });
    const search = d.linear!;
    expect(search.folds).toBe(5);
    // The default grid: 2 feature sets x 2 losses x 7 values of C, each (features, loss) walked up C from 0.1
    // until it stops improving, so every walk in the table starts at the grid's smallest C and has no gaps.
    const grid = [0.1, 0.3, 1, 3, 10, 30, 100];
    for (const featureSet of ['words', 'words+chars']) {
      for (const loss of ['svm', 'lr']) {
        const walked = search.rows.filter((r) => r.featureSet === featureSet && r.loss === loss).map((r) => r.C);
        expect(walked).toEqual(grid.slice(0, walked.length));
        expect(walked.length).toBeGreaterThanOrEqual(3);
      }
    }
    const complete = search.rows.filter((r) => r.folds.length === 5);
    const best = complete.reduce((x, r) => (r.macroF1 > x.macroF1 ? r : x));
    expect(search.chosen).toEqual({ featureSet: best.featureSet, loss: best.loss, C: best.C });
    expect(first.validation.macroF1).toBeGreaterThan(0);
    expect(search.calibration.factor).toBeGreaterThan(0);
    const ev = await wb.training.evaluate(first.run, 'test');
    expect(ev.ece).toBeGreaterThanOrEqual(0);
    expect(ev.ece).toBeLessThan(0.5);
    expect(ev.macroF1).toBe(first.test.macroF1);
  });

  it('exports a bundle that a fresh Node process loads to the same probabilities, with a self-test', async () => {
    const out = path.join(tmp, 'sentiment-model');
    const exported = await wb.models.exportRun(first.run, out);
    expect(exported.files).toEqual(['README.md', 'manifest.json', 'model.json', 'vocab.json', 'weights.bin']);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.model.type).toBe('linear');
    expect(manifest.selfTest.texts.length).toBeGreaterThan(1);

    const texts = testTexts.slice(0, 40);
    const inWorkspace = await wb.models.classify({ run: first.run, texts });
    const textsFile = writeFile(tmp, 'texts.json', JSON.stringify(texts));
    const script = writeFile(
      tmp,
      'classify.mts',
      `import fs from 'node:fs';
import { loadBundle } from ${JSON.stringify(path.join(repoRoot, 'main/engine/bundle/index.ts'))};
const model = await loadBundle(process.argv[2]);
const texts = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const preds = await model.classify(texts);
const why = await model.explain(texts[0]);
process.stdout.write(JSON.stringify({ preds, why }));
model.dispose();
`,
    );
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script, out, textsFile], { cwd: repoRoot, maxBuffer: 64 << 20 });
    const fresh = JSON.parse(stdout) as { preds: typeof inWorkspace; why: { label: string; towards: Array<{ text: string; contribution: number }>; spans: unknown[] } };
    expect(fresh.preds).toHaveLength(texts.length);
    let maxDiff = 0;
    fresh.preds.forEach((p, i) => {
      expect(p.label).toBe(inWorkspace[i]!.label);
      const sum = Object.values(p.probabilities).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 6);
      for (const [l, v] of Object.entries(p.probabilities)) maxDiff = Math.max(maxDiff, Math.abs(v - inWorkspace[i]!.probabilities[l]!));
    });
    expect(maxDiff).toBeLessThan(1e-6);
    expect(fresh.why.label).toBe(fresh.preds[0]!.label);
    expect(fresh.why.towards.length).toBeGreaterThan(0);
    expect(fresh.why.towards[0]!.contribution).toBeGreaterThan(0);
    expect(fresh.why.spans.length).toBeGreaterThan(0);
  });
});

describe('explanations', () => {
  it('the evaluation lists the strongest n-grams of each class, mirrored for two classes; `evaluate` prints them and the ECE', async () => {
    const ev = await wb.training.evaluate(first.run, 'test');
    const [neg, pos] = ev.ngrams!;
    expect([neg!.label, pos!.label]).toEqual(['negative', 'positive']);
    for (const c of [neg!, pos!]) {
      expect(c.positive.length).toBeGreaterThan(0);
      expect(c.positive.length).toBeLessThanOrEqual(15);
      expect(c.positive.every((g, i) => g.weight > 0 && (i === 0 || g.weight <= c.positive[i - 1]!.weight))).toBe(true);
      expect(c.negative.every((g, i) => g.weight < 0 && (i === 0 || g.weight >= c.negative[i - 1]!.weight))).toBe(true);
    }
    // One binary problem: what speaks for "positive" speaks against "negative", with the same weight.
    expect(neg!.negative.map((g) => [g.text, -g.weight])).toEqual(pos!.positive.map((g) => [g.text, g.weight]));

    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: () => {} };
    expect(await main(['evaluate', first.run, '--workspace', wb.dir], io)).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/expected calibration error 0\.\d{3}/);
    expect(text).toMatch(/What the linear model looks for/);
    expect(text).toMatch(/^positive\s+for: \S/m);
  });

  it('classify --explain shows the n-grams behind a label, and the words that carry it', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    const text = 'Great phone, I love it.';
    expect(await main(['classify', '--workspace', wb.dir, '--run', first.run, '--explain', '--json', text], io), err.join('\n')).toBe(0);
    const line = JSON.parse(out[0]!) as { label: string; probability: number; explanation: { label: string; probability: number; decision: number; intercept: number; towards: Array<{ contribution: number }>; against: Array<{ contribution: number }>; spans: Array<{ start: number; end: number; weight: number }> } };
    expect(line.label).toBe('positive');
    const why = line.explanation;
    expect(why.label).toBe('positive');
    expect(why.probability).toBeCloseTo(line.probability, 12);
    expect(why.towards[0]!.contribution).toBeGreaterThan(0);
    // The word "Great" carries a positive share of the decision.
    const great = why.spans.find((s) => text.slice(s.start, s.end) === 'Great');
    expect(great?.weight).toBeGreaterThan(0);

    out.length = 0;
    expect(await main(['classify', '--workspace', wb.dir, '--run', first.run, '--explain', text], io)).toBe(0);
    expect(out[0]).toMatch(/^positive\t[01]\.\d{3}\t/);
    expect(out[1]).toMatch(/^  for positive: .+\(\+\d+\.\d{3}\)/);
    expect(await main(['classify', '--workspace', wb.dir, '--run', first.run, '--explain', '--file', 'x.csv'], io)).not.toBe(0);
  });
});

describe('training data the linear model cannot learn from', () => {
  async function trainOn(project: string, rows: string[][], options: Record<string, unknown> = {}): Promise<TrainResult> {
    const file = writeFile(tmp, `${project}.csv`, toCsv(['text', 'label', 'split'], rows));
    await wb.data.importFile(file, { project, text: ['text'], label: 'label', split: 'split' });
    return wb.training.train({ project, ...options });
  }

  function storedModels(): number {
    return withWorkspaceDb(wb, (db) => (db.prepare('SELECT COUNT(*) AS n FROM run_linear_models').get() as { n: number }).n);
  }

  it('a label with a single train example is named, and nothing is stored for the run', async () => {
    const before = storedModels();
    const rows: string[][] = [];
    for (let i = 0; i < 12; i++) rows.push([`invoice number ${i} paid late by the customer`, 'billing', 'train'], [`the app crashes on start, attempt ${i}`, 'bug', 'train']);
    rows.push(['my password reset mail never arrives', 'account', 'train']);
    rows.push(['refund for invoice 7', 'billing', 'test'], ['crash when saving', 'bug', 'test']);
    const r = await trainOn('one-example', rows);
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/"account" has a single train example/);
    expect(wb.training.get(r.run).status).toBe('failed');
    expect(storedModels()).toBe(before);
  });

  it('texts that are empty once tokenised are refused with what to check', async () => {
    const rows: string[][] = [];
    for (let i = 0; i < 6; i++) rows.push(['a b c', 'x', 'train'], ['- + =', 'y', 'train']);
    rows.push(['a', 'x', 'test'], ['b', 'y', 'test']);
    const r = await trainOn('empty', rows, { features: 'words' });
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/Every train text is empty once tokenised/);
  });
});
