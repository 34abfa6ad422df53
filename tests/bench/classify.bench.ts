// Classification speed from a loaded bundle: single-text latency (median, p99) and batch throughput (texts/s),
// on the wasm backend (the one every install has), with the cpu backend as the comparison.
// Short texts: the UCI sentiment sentences (26 tokens); long texts: the O*NET occupation descriptions at 300
// tokens (job descriptions are ten times longer than the sentences). Models: the baseline, a GRU and an LSTM from
// the model zoo at their default sizes; recurrent layers on the fused WebAssembly kernels (as the app loads
// bundles) and, for comparison, as plain tf.layers.gru/lstm (as any TensorFlow.js program loads them). Weights are
// untrained: the cost of a forward pass does not depend on their values.
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
import { DEFAULT_LINEAR, trainLinear } from '../../main/engine/train/linear/train.ts';
import { linearParts } from '../../main/engine/store/linear-parts.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const UCI = path.resolve(repoRoot, '../shared/datasets/uci_sentiment_labelled_sentences/uci_sentiment.csv');
const ONET = path.resolve(repoRoot, '../shared/datasets/onet_tasks/onet_jobs.csv');

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

export async function makeBundle(dir: string, name: ModelName, texts: string[], sequenceLength?: number): Promise<void> {
  const pipeline = fitPipeline(texts, { tokens: 'words', ...(sequenceLength ? { sequenceLength } : {}) });
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

/**
 * The linear model (TF-IDF + SVM/logistic regression, no TensorFlow.js) trained for real on the UCI sentences with
 * one fixed setting (its speed does not depend on which setting cross-validation would pick), written as a bundle.
 */
async function makeLinearBundle(dir: string, texts: string[], labels: string[]): Promise<void> {
  const names = [...new Set(labels)].sort();
  const y = Int32Array.from(labels, (l) => names.indexOf(l));
  const { model } = await trainLinear(texts, y, names, { ...DEFAULT_LINEAR, search: { C: [1], losses: ['svm'], featureSets: ['words'] } });
  const { json, weights } = model.toJSON();
  const parts = linearParts(json, weights);
  await writeBundle(dir, {
    name: 'bench-linear',
    artifacts: { topology: parts.topology, weightSpecs: parts.weightSpecs, weights: parts.weights } as never,
    pipeline: parts.pipeline,
    labels: names,
    inputs: [],
    model: { type: 'linear', config: {} },
    training: { run: null, project: null, dataHash: null, backend: null, epoch: null, checkpoint: null },
    metrics: null,
  });
}

interface Result {
  median: number;
  p99: number;
  /** CPU time of the process (all its threads) per single call: what the call costs whatever else runs. */
  cpuMedian: number;
  cpuP99: number;
  throughput: number;
  /** Texts per CPU-second of the process in the batch call. */
  perCpu: number;
  seq: number;
}

const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;

async function measure(dir: string, texts: string[], singles: number, batchSize: number, standardLayers = false): Promise<Result> {
  const model = await loadBundle(dir, { standardLayers });
  try {
    for (let i = 0; i < 20; i++) await model.classify([texts[i % texts.length]!]);
    const times: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < singles; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await model.classify([texts[i % texts.length]!]);
      times.push(performance.now() - t0);
      cpu.push(cpuMs(process.cpuUsage(c0)));
    }
    times.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    const batch = Array.from({ length: batchSize }, (_, i) => texts[i % texts.length]!);
    await model.classify(batch.slice(0, 256));
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await model.classify(batch);
    const seconds = (performance.now() - t0) / 1000;
    const cpuSeconds = cpuMs(process.cpuUsage(c0)) / 1000;
    return {
      median: quantile(times, 0.5),
      p99: quantile(times, 0.99),
      cpuMedian: quantile(cpu, 0.5),
      cpuP99: quantile(cpu, 0.99),
      throughput: batch.length / seconds,
      perCpu: batch.length / cpuSeconds,
      seq: model.manifest.sequenceLength,
    };
  } finally {
    model.dispose();
  }
}

function row(backend: string, kind: string, model: string, layers: string, seq: string, r: Result): string {
  const ms = (x: number, w = 8) => `${x.toFixed(2).padStart(w)} ms`;
  return (
    `${backend.padEnd(8)} ${kind.padEnd(5)}  ${model.padEnd(9)} ${layers.padEnd(9)} ${seq.padStart(3)}  ${ms(r.median)} ${ms(r.p99)}  ${ms(r.cpuMedian)} ${ms(r.cpuP99)}` +
    `  ${r.throughput.toFixed(0).padStart(9)} ${r.perCpu.toFixed(0).padStart(9)}`
  );
}

export async function run(): Promise<void> {
  const uci = parse(fs.readFileSync(UCI), { columns: true }) as Array<{ text: string; label: string }>;
  const short = uci.map((r) => r.text);
  const long = (parse(fs.readFileSync(ONET), { columns: true }) as Array<{ description: string }>).map((r) => r.description);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-bench-classify-'));
  try {
    const models: ModelName[] = ['baseline', 'gru', 'lstm'];
    for (const m of models) {
      await makeBundle(path.join(tmp, `short-${m}`), m, short);
      if (m !== 'baseline') await makeBundle(path.join(tmp, `long-${m}`), m, long, 300);
    }
    await makeLinearBundle(path.join(tmp, 'short-linear'), short, uci.map((r) => r.label));
    console.log(`short: ${short.length} UCI sentiment sentences; long: ${long.length} O*NET occupation descriptions at 300 tokens`);
    console.log(`single = one text per classify() call (300 calls short, 200 long, after 20 warm-up); batch = one classify() call (2,000 short, 400 long texts); ${os.availableParallelism()} CPU cores, load average ${os.loadavg()[0]!.toFixed(1)}`);
    console.log('wall = elapsed time (what a person waits; on a busy machine mostly waiting for a core); CPU = the process\'s CPU time (all its threads) for the same call');
    console.log('                                              single: wall median    wall p99  CPU median     CPU p99   batch: texts/s  per CPU-s');
    const results: Record<string, number> = {};
    // The linear bundle runs without TensorFlow.js: one row, whatever the backend.
    for (const kind of ['short', 'long'] as const) {
      const r = await measure(path.join(tmp, 'short-linear'), kind === 'long' ? long : short, kind === 'long' ? 200 : 300, kind === 'long' ? 400 : 2000);
      console.log(row('-', kind, 'linear', '-', '-', r));
    }
    // The cpu backend (plain JavaScript tensors) is a slow comparison: TEXTBENCH_BENCH_CPU=1 adds it.
    const backends = process.env.TEXTBENCH_BENCH_CPU ? (['wasm', 'cpu'] as const) : (['wasm'] as const);
    for (const backend of backends) {
      const info = await initBackend(backend);
      if (info.name !== backend) {
        console.log(`${backend}: not available (${info.skipped.map((s) => s.reason).join('; ')})`);
        continue;
      }
      const cases: Array<[string, ModelName, boolean]> = [
        ...models.map((m) => ['short', m, false] as [string, ModelName, boolean]),
        ['short', 'gru', true],
        ['long', 'gru', false],
        ['long', 'lstm', false],
        ['long', 'gru', true],
      ];
      for (const [kind, m, standard] of cases) {
        const isLong = kind === 'long';
        const r = await measure(path.join(tmp, `${kind}-${m}`), isLong ? long : short, isLong ? 200 : 300, isLong ? 400 : 2000, standard);
        const layers = m === 'baseline' ? '-' : standard ? 'tf.layers' : 'fused';
        results[`${backend}/${kind}/${m}/${layers}`] = r.throughput;
        console.log(row(backend, kind, m, layers, String(r.seq), r));
      }
    }
    for (const kind of ['short', 'long']) {
      const f = results[`wasm/${kind}/gru/fused`];
      const s = results[`wasm/${kind}/gru/tf.layers`];
      if (f && s) console.log(`${kind} GRU on wasm: the fused kernels classify ${(f / s).toFixed(1)}x as many texts per second as tf.layers.gru`);
    }
    console.log('Targets (issue 13): the linear bundle\'s single text at p99 under 2 ms; a 300-token GRU/LSTM text at p99 under 10 ms; recurrent batch classification at 20,000 texts/s or more at 26 tokens.');
    console.log(`tf memory after: ${tf.memory().numTensors} tensors`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
