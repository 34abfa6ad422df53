// Runs the review checks of a large project off the calling thread, on its own connection to the workspace,
// posting progress as it scans the texts and then the report (or the error).
import { parentPort, workerData } from 'node:worker_threads';
import { openWorkspaceDb } from '../store/db.ts';
import { registerTextFunctions } from '../store/examples.ts';
import { reviewProject } from './review.ts';
import { isTextbenchError } from '../errors.ts';
import type { ReviewWorkerMessage } from './review-background.ts';

const { dir, project } = workerData as { dir: string; project: { id: string; name: string } };
const post = (m: ReviewWorkerMessage) => parentPort!.postMessage(m);
const db = openWorkspaceDb(dir);
try {
  registerTextFunctions(db);
  const report = reviewProject(db, project, (done, total) => post({ type: 'progress', done, total }));
  post({ type: 'result', report });
} catch (err) {
  const e = err as Error;
  post({ type: 'error', message: e.message, code: isTextbenchError(err) ? err.code : undefined, details: isTextbenchError(err) ? err.details : undefined });
} finally {
  db.close();
}
