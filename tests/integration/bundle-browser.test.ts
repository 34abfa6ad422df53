// model.json + weights.bin are TensorFlow.js's own layers format: a real Chromium loads them with plain
// tf.loadLayersModel over HTTP (no Textbench code in the page) and predicts what Node predicts.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import * as tf from '@tensorflow/tfjs';
import { fitPipeline } from '../../main/engine/text/pipeline.ts';
import { modelBuilder } from '../../main/engine/train/models.ts';
import { modelToArtifacts } from '../../main/engine/train/artifacts.ts';
import { writeBundle } from '../../main/engine/bundle/writer.ts';
import { topologyInputs } from '../../main/engine/bundle/format.ts';
import { loadBundle } from '../../main/engine/bundle/index.ts';

const CHROMIUM = '/usr/bin/chromium';
const repoRoot = path.resolve(import.meta.dirname, '../..');
const TF_JS = path.join(repoRoot, 'node_modules/@tensorflow/tfjs/dist/tf.min.js');
const LABELS = ['billing', 'bug', 'feature'];
const TEXTS = ['the invoice is wrong', 'app crashes on start', 'please add dark mode', 'charged twice and it crashes'];

let tmp: string;
let bundle: string;
let server: http.Server;
let base: string;
let browser: Browser | undefined;

beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-bundle-browser-'));
  const pipeline = fitPipeline([...TEXTS, 'refund my payment', 'error when saving', 'export to pdf please'], { tokens: 'words', sequenceLength: 8 });
  const net = modelBuilder('gru', { embeddingDim: 8, units: 6, dropout: 0 })({ inputDim: pipeline.inputDim, sequenceLength: 8, classes: LABELS.length }, 3);
  const artifacts = await modelToArtifacts(net);
  net.dispose();
  bundle = path.join(tmp, 'bundle');
  await writeBundle(bundle, {
    name: 'tickets',
    artifacts,
    pipeline: pipeline.toJSON(),
    labels: LABELS,
    inputs: topologyInputs(artifacts.topology as Record<string, unknown>),
    model: { type: 'gru', config: {} },
    training: { run: null, project: null, dataHash: null, backend: 'cpu', epoch: null, checkpoint: null },
    metrics: null,
  });
  server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const file = url === '/tf.min.js' ? TF_JS : url.startsWith('/bundle/') ? path.join(bundle, path.basename(url)) : null;
    if (url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script src="/tf.min.js"></script>');
    } else if (file && fs.existsSync(file)) {
      res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'application/octet-stream' }).end(fs.readFileSync(file));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await browser?.close();
  server?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!fs.existsSync(CHROMIUM))('bundle in a browser', () => {
  it('tf.loadLayersModel reads model.json + weights.bin and predicts what loadBundle predicts in Node', async () => {
    const model = await loadBundle(bundle);
    const enc = model.pipeline!.encode(TEXTS, 'truncate');
    const { probabilities } = await model.scores(TEXTS);
    model.dispose();
    const input = enc.inputs[0]!;

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    const page = await browser.newPage();
    await page.goto(base + '/');
    const fromBrowser = await page.evaluate(
      async ({ ids, shape }) => {
        const t = (globalThis as unknown as { tf: typeof tf }).tf;
        await t.setBackend('cpu');
        const m = await t.loadLayersModel('/bundle/model.json');
        const y = m.predict(t.tensor(ids, shape, 'int32')) as tf.Tensor;
        return Array.from(await y.data());
      },
      { ids: Array.from(input.data), shape: input.shape },
    );
    expect(fromBrowser).toHaveLength(TEXTS.length * LABELS.length);
    fromBrowser.forEach((p, i) => expect(p).toBeCloseTo(probabilities[i]!, 6));
  });
});
