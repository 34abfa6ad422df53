// Every kind of model-zoo input survives the bundle: the two-input linear model on hashed TF-IDF n-grams,
// a recurrent model on words, and character tokens; and windows of long texts are averaged as the pipeline splits them.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import * as tf from '@tensorflow/tfjs';
import { fitPipeline, type FitOptions } from '../../main/engine/text/pipeline.ts';
import { modelBuilder } from '../../main/engine/train/models.ts';
import { modelToArtifacts } from '../../main/engine/train/artifacts.ts';
import { predictProbabilities } from '../../main/engine/train/loop.ts';
import { writeBundle } from '../../main/engine/bundle/writer.ts';
import { topologyInputs } from '../../main/engine/bundle/format.ts';
import { loadBundle } from '../../main/engine/bundle/index.ts';
import type { ModelName } from '../../shared/training.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const DATA = path.resolve(repoRoot, '../shared/datasets/uci_sentiment_labelled_sentences/uci_sentiment.csv');
const LABELS = ['negative', 'positive'];
let tmp: string;
let texts: string[];

beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-bundle-models-'));
  texts = (parse(fs.readFileSync(DATA), { columns: true }) as Array<{ text: string }>).slice(0, 200).map((r) => r.text);
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function roundTrip(name: ModelName, options: FitOptions, seed: number) {
  const pipeline = fitPipeline(texts, options);
  const net = modelBuilder(name, { embeddingDim: 8, units: 8, dropout: 0 })(
    { inputDim: pipeline.inputDim, sequenceLength: pipeline.sequenceLength, classes: LABELS.length },
    seed,
  );
  // Non-zero weights everywhere (the linear model starts at zero), so that a mixed-up input would show.
  net.setWeights(net.getWeights().map((w, i) => tf.randomUniform(w.shape, -0.5, 0.5, 'float32', seed + i)));
  const artifacts = await modelToArtifacts(net);
  const dir = path.join(tmp, `${name}-${options.tokens}-${options.long ?? 'truncate'}`);
  await writeBundle(dir, {
    name,
    artifacts,
    pipeline: pipeline.toJSON(),
    labels: LABELS,
    inputs: topologyInputs(artifacts.topology as Record<string, unknown>),
    model: { type: name, config: {} },
    training: { run: null, project: null, dataHash: null, backend: 'cpu', epoch: null, checkpoint: null },
    metrics: null,
  });
  return { pipeline, net, dir };
}

describe('bundles of each model input kind', () => {
  for (const [name, options] of [
    ['linear', { tokens: 'ngrams' }],
    ['gru', { tokens: 'words', sequenceLength: 16 }],
    ['baseline', { tokens: 'chars', sequenceLength: 64 }],
  ] as Array<[ModelName, FitOptions]>) {
    it(`${name} on ${options.tokens}: the loaded bundle predicts what the network did before export`, async () => {
      const { pipeline, net, dir } = await roundTrip(name, options, 11);
      const expected = await predictProbabilities(net, pipeline.encode(texts, 'truncate').inputs);
      net.dispose();
      const model = await loadBundle(dir);
      expect(model.manifest.model.inputs).toEqual(pipeline.encode(['x'], 'truncate').inputs.map((i) => i.name));
      const preds = await model.classify(texts);
      model.dispose();
      let maxDiff = 0;
      preds.forEach((p, i) => LABELS.forEach((l, j) => (maxDiff = Math.max(maxDiff, Math.abs(p.probabilities[l]! - expected[i * 2 + j]!)))));
      expect(maxDiff).toBe(0);
      expect(new Set(preds.map((p) => p.label)).size).toBeGreaterThan(0);
    });
  }

  it('windows: a long text gets the mean of its windows, and says so', async () => {
    const { pipeline, net, dir } = await roundTrip('baseline', { tokens: 'words', sequenceLength: 6, long: 'windows' }, 5);
    const long = texts.slice(0, 12).join(' ');
    const enc = pipeline.encode([long, 'great phone'], 'windows');
    const rows = await predictProbabilities(net, enc.inputs);
    net.dispose();
    const windows = [...enc.textIndex].filter((t) => t === 0).length;
    expect(windows).toBeGreaterThan(1);
    const mean = LABELS.map((_, j) => {
      let s = 0;
      for (let r = 0; r < enc.textIndex.length; r++) if (enc.textIndex[r] === 0) s += rows[r * 2 + j]!;
      return s / windows;
    });
    const model = await loadBundle(dir);
    expect(model.manifest.tokenizer.long).toBe('windows');
    const [p, short] = await model.classify([long, 'great phone']);
    model.dispose();
    expect(p!.long).toBe('windows');
    expect(short!.long).toBe('fits');
    LABELS.forEach((l, j) => expect(p!.probabilities[l]).toBeCloseTo(mean[j]!, 6));
  });
});
