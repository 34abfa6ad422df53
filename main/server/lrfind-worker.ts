// Runs the learning-rate range test off the calling thread (it trains a model for ~100 steps), on its own
// connection to the workspace database, and posts the result or the error back.
import { parentPort, workerData } from 'node:worker_threads';
import { openWorkspaceDb } from '../engine/store/db.ts';
import { findLearningRate, type LrFindOptions } from '../engine/train/lrfind.ts';
import { isTextbenchError } from '../engine/errors.ts';

const { dir, options } = workerData as { dir: string; options: LrFindOptions };
const db = openWorkspaceDb(dir);
try {
  const result = await findLearningRate(db, options);
  parentPort!.postMessage({ ok: true, result });
} catch (err) {
  const e = err as Error;
  parentPort!.postMessage({ ok: false, message: e.message, code: isTextbenchError(err) ? err.code : undefined, details: isTextbenchError(err) ? err.details : undefined });
} finally {
  db.close();
}
