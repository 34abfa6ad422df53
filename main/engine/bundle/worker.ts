// The classification worker: owns TensorFlow.js and the loaded models, and answers one request at a time.
import { parentPort, workerData } from 'node:worker_threads';
import { format } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../compute/backend.ts';
import { isTextbenchError } from '../errors.ts';
import { pipelineFromJSON } from '../text/pipeline.ts';
import { readBundle } from './reader.ts';
import { modelFromParts, type LoadedModel } from './loader.ts';
import { classifyFile } from './batch.ts';
import type { ClassifyInit, ClassifyMessage, ClassifyRequest, ClassifyResult, ModelSource } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('bundle/worker.ts must run in a worker thread (ModelService starts it).');
const init = workerData as ClassifyInit;
const post = (m: ClassifyMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

// TensorFlow.js talks through console (banners, warnings); keep it out of the caller's stdout.
for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  console[level] = (...args: unknown[]) => post({ type: 'log', message: format(...args) });
}

const cache = new Map<string, LoadedModel>();

async function modelFor(source: ModelSource, keep: boolean): Promise<{ model: LoadedModel; transient: boolean }> {
  if (source.kind === 'bundle') {
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

async function handle(req: Exclude<ClassifyRequest, { type: 'evict' | 'shutdown' }>): Promise<ClassifyResult> {
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
    const result = await classifyFile(model, {
      file: req.file,
      out: req.out,
      column: req.column,
      force: req.force,
      read: req.read,
      keepFormulas: req.keepFormulas,
      onProgress: (progress) => post({ type: 'progress', id: req.id, progress }),
      onPredictions: req.stream ? (predictions) => post({ type: 'predictions', id: req.id, predictions }) : undefined,
    });
    return { kind: 'classifyFile', result };
  } finally {
    if (transient) model.dispose();
  }
}

// Requests wait for the backend: a model built before the backend is ready fails inside TensorFlow.js.
const backendReady = initBackend(init.backend);
let queue: Promise<unknown> = backendReady.catch(() => undefined);

port.on('message', (req: ClassifyRequest) => {
  if (req.type === 'shutdown') {
    for (const m of cache.values()) m.dispose();
    cache.clear();
    port.close();
    return;
  }
  if (req.type === 'evict') {
    cache.get(req.key)?.dispose();
    cache.delete(req.key);
    return;
  }
  // One request at a time, in arrival order: predictions of a file stream back in order.
  queue = queue.then(async () => {
    try {
      await backendReady;
      const result = await handle(req);
      post({ type: 'result', id: req.id, result }, result.kind === 'scores' ? [result.probabilities.buffer as ArrayBuffer] : []);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      post({ type: 'error', id: req.id, error: { message: e.message, code: isTextbenchError(e) ? e.code : undefined, details: isTextbenchError(e) ? e.details : undefined } });
    }
  });
});

backendReady.then(
  (info) => post({ type: 'ready', backend: info.name }),
  // Each waiting request also fails with this error (above); id 0 tells the host the worker is unusable.
  (err: unknown) => post({ type: 'error', id: 0, error: { message: (err as Error).message, code: isTextbenchError(err) ? err.code : undefined } }),
);
