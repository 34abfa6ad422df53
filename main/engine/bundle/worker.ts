// The classification worker: owns TensorFlow.js and the loaded models, and answers one request at a time
// (started by ModelService through the engine's worker client, role 'classify').
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../compute/backend.ts';
import { pipelineFromJSON } from '../text/pipeline.ts';
import { readBundle } from './reader.ts';
import { readEnsembleManifest } from './ensemble.ts';
import { loadBundle } from './index.ts';
import { modelFromParts } from './loader.ts';
import type { LoadedModel } from './model-parts.ts';
import { classifyFile } from './batch.ts';
import { explainTexts } from './explain.ts';
import { serveRequests, workerInit, type Job } from '../tasks/worker-host.ts';
import type { ClassifyEvent, ClassifyInit, ClassifyJob, ClassifyResult, EvictMessage, ModelSource } from './protocol.ts';

const cache = new Map<string, LoadedModel>();

async function modelFor(source: ModelSource, keep: boolean): Promise<{ model: LoadedModel; transient: boolean }> {
  if (source.kind === 'bundle') {
    // An ensemble folder: its members are bundles, loaded, verified and combined by loadBundle.
    if (readEnsembleManifest(source.dir)) return { model: await loadBundle(source.dir), transient: true };
    const b = readBundle(source.dir);
    return { model: await modelFromParts({ origin: `the bundle ${b.dir}`, ...b }, pipelineFromJSON), transient: true };
  }
  const hit = cache.get(source.key);
  if (hit) return { model: hit, transient: false };
  if (!source.parts) throw new Error(`The classification worker has no model ${source.key} loaded and was sent none.`);
  // Structured clone turns the Buffer into a plain Uint8Array; view the same bytes as a Buffer again.
  const w = source.parts.weights as Uint8Array;
  const model = await modelFromParts({ ...source.parts, weights: Buffer.from(w.buffer, w.byteOffset, w.byteLength) }, pipelineFromJSON);
  if (!keep) return { model, transient: true };
  cache.set(source.key, model);
  return { model, transient: false };
}

async function handle(req: ClassifyJob, job: Job<ClassifyEvent>): Promise<ClassifyResult> {
  const { model, transient } = await modelFor(req.source, req.type !== 'check');
  try {
    if (req.type === 'check') {
      const probabilities = req.texts ? (await model.scores(req.texts)).probabilities : undefined;
      return { kind: 'check', labels: [...model.labels], backend: tf.getBackend(), ...(probabilities ? { probabilities } : {}) };
    }
    if (req.type === 'classify') return { kind: 'classify', predictions: await model.classify(req.texts) };
    if (req.type === 'scores') {
      const { probabilities } = await model.scores(req.texts);
      return { kind: 'scores', labels: [...model.labels], probabilities };
    }
    if (req.type === 'explain') return { kind: 'explain', explanations: await explainTexts(model, req.texts, req) };
    const result = await classifyFile(model, {
      file: req.file,
      out: req.out,
      column: req.column,
      force: req.force,
      read: req.read,
      keepFormulas: req.keepFormulas,
      cancelled: job.cancelled,
      onProgress: (progress) => job.emit({ type: 'progress', progress }),
      onPredictions: req.stream ? (predictions) => job.emit({ type: 'predictions', predictions }) : undefined,
    });
    return { kind: 'classifyFile', result };
  } finally {
    if (transient) model.dispose();
  }
}

export function startClassifyWorker(): void {
  const init = workerInit<ClassifyInit>().data;
  serveRequests<ClassifyJob, ClassifyResult, ClassifyEvent>(
    async (req, job) => {
      const result = await handle(req, job);
      return { result, transfer: result.kind === 'scores' ? [result.probabilities.buffer as ArrayBuffer] : [] };
    },
    {
      // Requests wait for the backend: a model built before the backend is ready fails inside TensorFlow.js.
      ready: initBackend(init.backend),
      onShutdown() {
        for (const m of cache.values()) m.dispose();
        cache.clear();
      },
      onOther(message) {
        const m = message as EvictMessage;
        if (m.type !== 'evict') return;
        cache.get(m.key)?.dispose();
        cache.delete(m.key);
      },
    },
  );
}
