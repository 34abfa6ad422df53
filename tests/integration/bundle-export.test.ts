// Export -> load in a fresh process -> the same probabilities as the in-workspace model on the test split.
// Real parts: a workspace in a temp folder, a real import of a slice of the UCI sentiment data, a real (tiny)
// training run in the training worker, the CLI and a plain Node script in child processes.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { Workbench } from '../../main/engine/workbench.ts';
import { openWorkspaceDb, type Db } from '../../main/engine/store/db.ts';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { loadRunModel, resolveRunId } from '../../main/engine/store/runs.ts';
import { listSplitExamples } from '../../main/engine/store/examples.ts';
import { modelFromArtifacts } from '../../main/engine/train/artifacts.ts';
import { predictProbabilities } from '../../main/engine/train/loop.ts';
import { pipelineFromJSON } from '../../main/engine/text/pipeline.ts';
import { countPredictions, listPredictions, textHash } from '../../main/engine/store/predictions.ts';
import { csvField } from '../../main/engine/bundle/batch.ts';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '../..');
const DATA = path.resolve(repoRoot, '../shared/datasets/uci_sentiment_labelled_sentences/uci_sentiment.csv');
const CLI = path.join(repoRoot, 'main/cli/textbench.mjs');
const BACKEND = 'wasm';

let tmp: string;
let ws: string;
let wb: Workbench;
/** The test's own connection to the workspace, to look at stored rows (the Workbench keeps its own private). */
let db: Db;
let runId: string;
let bundle: string;
let testTexts: string[];
let testLabels: string[];
let storedTest: { accuracy: number; macroF1: number };

async function cli(args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  const child = run(process.execPath, [CLI, ...args, '--workspace', ws], { cwd: repoRoot, maxBuffer: 64 << 20 });
  if (input !== undefined) {
    child.child.stdin!.end(input);
  }
  return child;
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-bundle-export-'));
  ws = path.join(tmp, 'workspace');
  const rows = parse(fs.readFileSync(DATA), { columns: true }) as Array<Record<string, string>>;
  const slice = [...rows.filter((r) => r.split === 'train').slice(0, 320), ...rows.filter((r) => r.split === 'test').slice(0, 80)];
  const file = path.join(tmp, 'sentiment.csv');
  fs.writeFileSync(file, ['text,label,split', ...slice.map((r) => [r.text, r.label, r.split].map((v) => csvField(v!, ',')).join(','))].join('\n') + '\n');

  wb = Workbench.open({ workspace: ws });
  db = openWorkspaceDb(wb.dir);
  await wb.data.importFile(file, { project: 'sentiment', text: ['text'], label: 'label', split: 'split' });
  const result = await wb.training.train({ project: 'sentiment', model: 'baseline', epochs: 2, embeddingDim: 16, backend: BACKEND, seed: 7 });
  expect(result.status).toBe('finished');
  runId = result.run;
  storedTest = result.test;
  await initBackend(BACKEND);
  const projectId = wb.projects.get('sentiment').id;
  const test = listSplitExamples(db, projectId, 'test');
  testTexts = test.map((e) => e.text);
  testLabels = test.map((e) => e.label);
  expect(testTexts.length).toBeGreaterThan(50);

  // Export through the CLI, in its own process.
  bundle = path.join(tmp, 'sentiment-model');
  const { stdout } = await cli(['export', runId, '--out', bundle, '--json']);
  const exported = JSON.parse(stdout) as { bundle: string; files: string[]; sha256: Record<string, string> };
  expect(Object.keys(exported).sort()).toEqual(['bundle', 'files', 'sha256']);
  expect(exported.bundle).toBe(bundle);
  expect(exported.files).toEqual(['README.md', 'manifest.json', 'model.json', 'vocab.json', 'weights.bin']);
  expect(Object.keys(exported.sha256).sort()).toEqual(exported.files);
});

afterAll(async () => {
  db?.close();
  wb?.models.dispose();
  await wb?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('export and offline classification', () => {
  it('the manifest describes the run', () => {
    const m = JSON.parse(fs.readFileSync(path.join(bundle, 'manifest.json'), 'utf8'));
    const detail = wb.training.get(runId);
    expect(m.labels).toEqual(detail.labels);
    expect(m.training.run).toBe(runId);
    expect(m.training.backend).toBe(BACKEND);
    expect(m.training.dataHash).toMatch(/\S/);
    expect(m.model.type).toBe('baseline');
    expect(m.metrics.test.accuracy).toBe(storedTest.accuracy);
    expect(fs.readFileSync(path.join(bundle, 'README.md'), 'utf8')).toContain(`${(storedTest.accuracy * 100).toFixed(1)}%`);
  });

  it('a fresh Node process with only the bundle gives the probabilities of the in-workspace model on the test split', async () => {
    // In-workspace: the training engine's own forward pass over the run's stored weights.
    const stored = loadRunModel(db, resolveRunId(db, runId));
    const net = await modelFromArtifacts(stored.artifacts);
    const pipeline = pipelineFromJSON(stored.pipeline);
    const expected = await predictProbabilities(net, pipeline.encode(testTexts, 'truncate').inputs);
    net.dispose();

    // Fresh process: the few lines of Node from the bundle's README, nothing from the workspace.
    const textsFile = path.join(tmp, 'texts.json');
    fs.writeFileSync(textsFile, JSON.stringify(testTexts));
    const script = path.join(tmp, 'classify.mts');
    fs.writeFileSync(
      script,
      `import fs from 'node:fs';
import { initBackend } from ${JSON.stringify(path.join(repoRoot, 'main/engine/compute/backend.ts'))};
import { loadBundle } from ${JSON.stringify(path.join(repoRoot, 'main/engine/bundle/index.ts'))};
await initBackend(${JSON.stringify(BACKEND)});
const model = await loadBundle(process.argv[2]);
const preds = await model.classify(JSON.parse(fs.readFileSync(process.argv[3], 'utf8')));
process.stdout.write(JSON.stringify({ labels: model.labels, preds }));
model.dispose();
`,
    );
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script, bundle, textsFile], { cwd: repoRoot, maxBuffer: 64 << 20 });
    const fresh = JSON.parse(stdout) as { labels: string[]; preds: Array<{ text: string; label: string; probability: number; probabilities: Record<string, number> }> };
    expect(fresh.labels).toEqual(stored.labels);
    expect(fresh.preds).toHaveLength(testTexts.length);
    let maxDiff = 0;
    fresh.preds.forEach((p, i) => {
      expect(p.text).toBe(testTexts[i]);
      stored.labels.forEach((l, j) => {
        maxDiff = Math.max(maxDiff, Math.abs(p.probabilities[l]! - expected[i * stored.labels.length + j]!));
      });
    });
    expect(maxDiff).toBe(0);
    // And the same accuracy as the run measured on its test split.
    const correct = fresh.preds.filter((p, i) => p.label === testLabels[i]).length;
    expect(correct / testTexts.length).toBeCloseTo(storedTest.accuracy, 12);
  });

  it('classify --bundle --json prints one line per text with the stable fields, and stores nothing', async () => {
    const before = countPredictions(db);
    const texts = testTexts.slice(0, 3);
    const { stdout } = await cli(['classify', '--bundle', bundle, '--json', '--backend', BACKEND], texts.join('\n') + '\n');
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    for (const [i, l] of lines.entries()) {
      expect(Object.keys(l)).toEqual(['text', 'label', 'probability', 'probabilities']);
      expect(l.text).toBe(texts[i]);
      expect(Object.keys(l.probabilities as object)).toEqual(wb.training.get(runId).labels);
      expect(l.probability).toBe(Math.max(...Object.values(l.probabilities as Record<string, number>)));
    }
    // A text longer than the sequence length says how it was handled.
    const long = testTexts.join(' ');
    const { stdout: longOut } = await cli(['classify', '--bundle', bundle, '--json', '--backend', BACKEND, long]);
    expect(JSON.parse(longOut)).toMatchObject({ text: long, long: 'truncated' });

    // A file, through the same classification worker: the same labels, a progress line, and still nothing stored.
    const input = path.join(tmp, 'to-classify.csv');
    fs.writeFileSync(input, ['text', ...texts.map((t) => csvField(t, ','))].join('\n') + '\n');
    const out = path.join(tmp, 'to-classify.out.csv');
    const file = await cli(['classify', '--bundle', bundle, '--file', input, '--out', out, '--json', '--backend', BACKEND]);
    expect(JSON.parse(file.stdout)).toMatchObject({ rows: 3, out, stored: 0 });
    expect(file.stderr).toMatch(/100%/);
    const rows = parse(fs.readFileSync(out), { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((r) => r.predicted_label)).toEqual(lines.map((l) => l.label));
    expect(countPredictions(db)).toBe(before);
  });

  it('classify with the run stores predictions under a models row made for the run', async () => {
    const texts = testTexts.slice(0, 5);
    const preds = await wb.models.classify({ run: runId, texts, source: 'test' });
    const models = wb.models.list('sentiment').filter((m) => m.runId === runId);
    expect(models).toHaveLength(1);
    expect(models[0]!.source).toBe('run');
    const stored = listPredictions(db, models[0]!.id);
    expect(stored).toHaveLength(5);
    expect(stored[2]).toMatchObject({ textHash: textHash(texts[2]!), label: preds[2]!.label, probability: preds[2]!.probability, source: 'test' });
    expect(stored[2]!.probabilities).toEqual(preds[2]!.probabilities);
    // A second call reuses the same model row.
    await wb.models.classify({ run: runId, texts: texts.slice(0, 1) });
    expect(wb.models.list('sentiment').filter((m) => m.runId === runId)).toHaveLength(1);
    expect(countPredictions(db, models[0]!.id)).toBe(6);
  });

  it('classifying a file with the run stores one prediction per row and reports progress', async () => {
    const file = path.join(tmp, 'new.csv');
    fs.writeFileSync(file, ['id,review', ...testTexts.slice(0, 40).map((t, i) => `${i},${csvField(t, ',')}`)].join('\n') + '\n');
    const events: number[] = [];
    const off = wb.onEvent((e) => {
      if (e.type === 'task.progress') events.push(e.done);
    });
    const r = await wb.models.classifyFile({ run: runId, file });
    off();
    expect(r.out).toBe(path.join(tmp, 'new.classified.csv'));
    expect(r.rows).toBe(40);
    expect(r.stored).toBe(40);
    expect(r.column).toBe('review');
    expect(events.at(-1)).toBe(fs.statSync(file).size);
    const modelId = wb.models.list('sentiment').find((m) => m.runId === runId)!.id;
    const last = listPredictions(db, modelId, { textHash: textHash(testTexts[39]!) }).at(-1)!;
    expect(last.source).toBe('file:new.csv');
    const out = parse(fs.readFileSync(r.out), { columns: true }) as Array<Record<string, string>>;
    expect(out[39]!.predicted_label).toBe(last.label);
  });

  it('import-bundle adds the bundle as a model that classifies and evaluates on the project like the run', async () => {
    const { stdout } = await cli(['import-bundle', bundle, '--project', 'sentiment', '--json', '--backend', BACKEND]);
    const { model, evaluation } = JSON.parse(stdout) as { model: { id: string; source: string; labels: string[] }; evaluation: { accuracy: number; macroF1: number; examples: number } };
    expect(model.source).toBe('bundle');
    expect(evaluation.examples).toBe(testTexts.length);
    expect(evaluation.accuracy).toBeCloseTo(storedTest.accuracy, 12);
    expect(evaluation.macroF1).toBeCloseTo(storedTest.macroF1, 12);
    // The stored model classifies without the folder.
    fs.renameSync(bundle, bundle + '-moved');
    try {
      const viaModel = await wb.models.classify({ model: model.id, texts: testTexts.slice(0, 4) });
      const viaRun = await wb.models.classify({ run: runId, texts: testTexts.slice(0, 4) });
      expect(viaModel.map((p) => p.probabilities)).toEqual(viaRun.map((p) => p.probabilities));
      expect(countPredictions(db, model.id)).toBe(4);
    } finally {
      fs.renameSync(bundle + '-moved', bundle);
    }
    // `textbench models` lists both: the run's model (made when it classified) and the imported bundle.
    const listed = JSON.parse((await cli(['models', '--project', 'sentiment', '--json'])).stdout) as Array<{ id: string; source: string; runId: string | null }>;
    expect(listed.map((m) => m.source).sort()).toEqual(['bundle', 'run']);
    expect(listed.find((m) => m.source === 'bundle')!.id).toBe(model.id);
    expect(listed.find((m) => m.source === 'run')!.runId).toBe(runId);
  });

  it('a damaged bundle is refused with its reason, by the CLI and by the service', async () => {
    const copy = path.join(tmp, 'damaged');
    fs.cpSync(bundle, copy, { recursive: true });
    const weights = fs.readFileSync(path.join(copy, 'weights.bin'));
    fs.writeFileSync(path.join(copy, 'weights.bin'), weights.subarray(0, weights.length - 100));
    await expect(cli(['classify', '--bundle', copy, 'some text'])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`The file weights.bin in ${copy} is truncated`),
    });
    await expect(wb.models.classify({ bundle: copy, texts: ['x'] })).rejects.toMatchObject({ code: 'BUNDLE_FILE_TRUNCATED' });
    await expect(wb.models.importBundle(copy, 'sentiment')).rejects.toMatchObject({ code: 'BUNDLE_FILE_TRUNCATED' });
    // The worker is still fine after a refused request.
    expect(await wb.models.classify({ bundle, texts: ['fine'] })).toHaveLength(1);
  });

  it('export refuses an existing folder without --force and says so on stderr', async () => {
    await expect(cli(['export', runId, '--out', bundle])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('already exists. Choose another --out folder, or add --force to replace it.'),
    });
    const r = await wb.models.exportRun(runId, bundle, { force: true });
    expect(r.bundle).toBe(bundle);
  });

  it('after the run trains further, classify follows its kept weights (a new models row only if they changed)', async () => {
    const before = wb.models.list('sentiment').filter((m) => m.runId === runId && m.source === 'run');
    expect(before).toHaveLength(1);
    wb.training.resume(runId, { epochs: 3 });
    const r = await wb.training.wait(runId);
    expect(r.epochs).toBe(3);
    await wb.models.classify({ run: runId, texts: ['works great'] });
    const after = wb.models.list('sentiment').filter((m) => m.runId === runId && m.source === 'run');
    // The run keeps its best epoch: epoch 3 replaces the weights only if it did better on validation.
    if (r.bestEpoch === 3) {
      expect(after).toHaveLength(2);
      const fresh = after.find((m) => m.id !== before[0]!.id)!;
      expect(fresh.checksum).not.toBe(before[0]!.checksum);
      expect(countPredictions(db, fresh.id)).toBe(1);
    } else {
      expect(after.map((m) => m.id)).toEqual([before[0]!.id]);
    }
    const [viaRun] = await wb.models.classify({ run: runId, texts: [testTexts[0]!] });
    const stored = loadRunModel(db, runId);
    const net = await modelFromArtifacts(stored.artifacts);
    const expected = await predictProbabilities(net, pipelineFromJSON(stored.pipeline).encode([testTexts[0]!], 'truncate').inputs);
    net.dispose();
    stored.labels.forEach((l, j) => expect(viaRun!.probabilities[l]).toBe(expected[j]));
  });
});
