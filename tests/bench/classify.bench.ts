// Classification speed from a loaded bundle: single-text latency (median, p99) and batch throughput (texts/s),
// on the wasm backend (the one every install has), with the cpu backend as the comparison.
// Models: the baseline and a GRU from the model zoo at their default sizes, words pipeline fitted on the UCI
// sentiment sentences. Weights are untrained: the cost of a forward pass does not depend on their values.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'csv-parse/sync';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { fitPipeline } from '../../main/engine/text/pipeline.ts';
import { modelBuilder } from '../../main/engine/train/models.ts';
import { modelToArtifacts } from '../../main/engine/train/artifacts.ts';
import { writeBundle } from '../../main/engine/bundle/writer.ts';
import { topologyInputs } from '../../main/engine/bundle/format.ts';
import { loadBundle } from '../../main/engine/bundle/index.ts';
import type { ModelName } from '../../shared/training.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const DATA = path.resolve(repoRoot, '../shared/datasets/uci_sentiment_labelled_sentences/uci_sentiment.csv');

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

async function makeBundle(dir: string, name: ModelName, texts: string[]): Promise<void> {
  const pipeline = fitPipeline(texts, { tokens: 'words' });
  const net = modelBuilder(name)({ inputDim: pipeline.inputDim, sequenceLength: pipeline.sequenceLength, classes: 2 }, 1);
  const artifacts = await modelToArtifacts(net);
  net.dispose();
  await writeBundle(dir, {
    name: `bench-${name}`,
    artifacts,
    pipeline: pipeline.toJSON(),
    labels: ['negative', 'positive'],
    inputs: topologyInputs(artifacts.topology as Record<string, unknown>),
    model: { type: name, config: {} },
    training: { run: null, project: null, dataHash: null, backend: null, epoch: null, checkpoint: null },
    metrics: null,
  });
}

async function measure(dir: string, texts: string[]): Promise<{ median: number; p99: number; throughput: number; seq: number }> {
  const model = await loadBundle(dir);
  try {
    for (let i = 0; i < 20; i++) await model.classify([texts[i]!]);
    const times: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t0 = performance.now();
      await model.classify([texts[i % texts.length]!]);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const batch = texts.slice(0, 2000);
    await model.classify(batch.slice(0, 256));
    const t0 = performance.now();
    await model.classify(batch);
    const seconds = (performance.now() - t0) / 1000;
    return { median: quantile(times, 0.5), p99: quantile(times, 0.99), throughput: batch.length / seconds, seq: model.manifest.sequenceLength };
  } finally {
    model.dispose();
  }
}

export async function run(): Promise<void> {
  const rows = parse(fs.readFileSync(DATA), { columns: true }) as Array<{ text: string }>;
  const texts = rows.map((r) => r.text);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-bench-classify-'));
  try {
    const models: ModelName[] = ['baseline', 'gru'];
    for (const m of models) await makeBundle(path.join(tmp, m), m, texts);
    console.log(`${texts.length} UCI sentiment sentences; 300 single-text calls after 20 warm-up; batch = 2000 texts in one classify() call`);
    console.log('backend  model     seq  single median  single p99   batch texts/s');
    const results: Record<string, number> = {};
    for (const backend of ['wasm', 'cpu'] as const) {
      const info = await initBackend(backend);
      if (info.name !== backend) {
        console.log(`${backend}: not available (${info.skipped.map((s) => s.reason).join('; ')})`);
        continue;
      }
      for (const m of models) {
        const r = await measure(path.join(tmp, m), texts);
        results[`${backend}/${m}`] = r.throughput;
        console.log(
          `${backend.padEnd(8)} ${m.padEnd(9)} ${String(r.seq).padStart(3)}  ${r.median.toFixed(2).padStart(10)} ms  ${r.p99.toFixed(2).padStart(8)} ms  ${r.throughput.toFixed(0).padStart(10)}`,
        );
      }
    }
    for (const m of models) {
      const w = results[`wasm/${m}`];
      const c = results[`cpu/${m}`];
      if (w && c) console.log(`${m}: wasm batch throughput is ${(w / c).toFixed(1)}x the cpu backend's`);
    }
    console.log(`tf memory after: ${tf.memory().numTensors} tensors`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
