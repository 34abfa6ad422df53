// A zoo GRU/LSTM trained in the worker runs on the fused kernels (its checkpoint holds TextbenchFusedGRU/LSTM), and
// its exported bundle is plain TensorFlow.js: a fresh Node process that imports nothing from the project (so the fused
// classes are unknown there) reads model.json + weights.bin with tf.loadLayersModel and predicts what the run does.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { parse } from 'csv-parse/sync';
import { Workbench } from '../../main/engine/workbench.ts';
import { openWorkspaceDb, type Db } from '../../main/engine/store/db.ts';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { loadRunModel, resolveRunId } from '../../main/engine/store/runs.ts';
import { modelFromArtifacts } from '../../main/engine/train/artifacts.ts';
import { predictProbabilities } from '../../main/engine/train/loop.ts';
import { pipelineFromJSON } from '../../main/engine/text/pipeline.ts';
import { csvField } from '../../main/engine/bundle/batch.ts';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '../..');
const DATA = path.resolve(repoRoot, '../shared/datasets/uci_sentiment_labelled_sentences/uci_sentiment.csv');
const CLI = path.join(repoRoot, 'main/cli/textbench.mjs');
const BACKEND = 'wasm';
// The script lives in a temp folder, so it imports the repository's @tensorflow/tfjs by its resolved file URL.
const TFJS = pathToFileURL(createRequire(path.join(repoRoot, 'package.json')).resolve('@tensorflow/tfjs')).href;

let tmp: string;
let ws: string;
let wb: Workbench;
/** The test's own connection to the workspace, to look at stored rows (the Workbench keeps its own private). */
let db: Db;
let texts: string[];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-train-fused-'));
  ws = path.join(tmp, 'workspace');
  const rows = parse(fs.readFileSync(DATA), { columns: true }) as Array<Record<string, string>>;
  const slice = [...rows.filter((r) => r.split === 'train').slice(0, 240), ...rows.filter((r) => r.split === 'test').slice(0, 60)];
  const file = path.join(tmp, 'sentiment.csv');
  fs.writeFileSync(file, ['text,label,split', ...slice.map((r) => [r.text, r.label, r.split].map((v) => csvField(v!, ',')).join(','))].join('\n') + '\n');
  wb = Workbench.open({ workspace: ws });
  db = openWorkspaceDb(wb.dir);
  await wb.data.importFile(file, { project: 'sentiment', text: ['text'], label: 'label', split: 'split' });
  texts = slice.slice(-60).map((r) => r.text!);
  await initBackend(BACKEND);
});

afterAll(async () => {
  db?.close();
  wb?.models.dispose();
  await wb?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('fused recurrent layers in training and export', () => {
  for (const [model, fusedClass, standardClass] of [
    ['gru', 'TextbenchFusedGRU', 'GRU'],
    ['lstm', 'TextbenchFusedLSTM', 'LSTM'],
  ] as const) {
    it(`${model}: trains with ${fusedClass}, and its bundle loads with plain tf.loadLayersModel`, async () => {
      const result = await wb.training.train({ project: 'sentiment', model, epochs: 1, embeddingDim: 8, units: 8, backend: BACKEND, seed: 3, threads: 2 });
      expect(result.status).toBe('finished');
      // The run records the threads its recurrent kernels ran on, and its throughput.
      expect(result.threads).toBe(2);
      expect(result.samplesPerSecond).toBeGreaterThan(0);
      expect(wb.training.get(result.run).config.threads).toBe(2);
      const stored = loadRunModel(db, resolveRunId(db, result.run));
      expect(JSON.stringify(stored.artifacts.topology)).toContain(`"class_name":"${fusedClass}"`);
      const net = await modelFromArtifacts(stored.artifacts);
      const pipeline = pipelineFromJSON(stored.pipeline);
      const encoded = pipeline.encode(texts, 'truncate').inputs;
      expect(encoded).toHaveLength(1);
      const expected = Array.from(await predictProbabilities(net, encoded));
      net.dispose();

      const bundle = path.join(tmp, `${model}-bundle`);
      await run(process.execPath, [CLI, 'export', result.run, '--out', bundle, '--json', '--workspace', ws], { cwd: repoRoot, maxBuffer: 64 << 20 });
      const modelJson = fs.readFileSync(path.join(bundle, 'model.json'), 'utf8');
      expect(modelJson).not.toContain('TextbenchFused');
      expect(modelJson).toContain(`"class_name":"${standardClass}"`);

      // A fresh process with only @tensorflow/tfjs: the fused classes are not registered there.
      const idsFile = path.join(tmp, `${model}-ids.json`);
      fs.writeFileSync(idsFile, JSON.stringify({ data: Array.from(encoded[0]!.data), shape: encoded[0]!.shape }));
      const script = path.join(tmp, `${model}-load.mjs`);
      fs.writeFileSync(
        script,
        `import fs from 'node:fs';
import path from 'node:path';
import * as tf from ${JSON.stringify(TFJS)};
await tf.setBackend('cpu');
const [dir, idsFile] = process.argv.slice(2);
const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
const bin = fs.readFileSync(path.join(dir, 'weights.bin'));
const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
const m = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
const ids = JSON.parse(fs.readFileSync(idsFile, 'utf8'));
const y = m.predict(tf.tensor(ids.data, ids.shape, 'int32'));
process.stdout.write(JSON.stringify({ classes: m.layers.map((l) => l.getClassName()), probs: Array.from(await y.data()) }));
`,
      );
      const { stdout } = await run(process.execPath, [script, bundle, idsFile], { cwd: repoRoot, maxBuffer: 64 << 20 });
      const fresh = JSON.parse(stdout) as { classes: string[]; probs: number[] };
      expect(fresh.classes).toContain(standardClass);
      expect(fresh.probs).toHaveLength(expected.length);
      fresh.probs.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 5));
    });
  }
});
