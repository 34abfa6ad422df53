// The review of a large project in a worker thread, so the server and the app's main process stay responsive
// (the checks took 1.2 s of blocked event loop on 238,000 rows), with progress events while it scans.
import { Worker } from 'node:worker_threads';
import type { EngineContext } from '../context.ts';
import type { ReviewReport } from '../../../shared/data.ts';
import { TextbenchError } from '../errors.ts';
import { reviewProject } from './review.ts';

export type ReviewWorkerMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'result'; report: ReviewReport }
  | { type: 'error'; message: string; code?: string; details?: Record<string, unknown> };

/**
 * From this many examples the review runs in a worker: below it the checks take under about 50 ms inline, less
 * than starting a worker that loads the engine (measured 0.3–0.8 s here).
 */
export const REVIEW_WORKER_FROM = 20_000;

/** The task id of a project's review in task.progress events. */
export function reviewTask(projectId: string): string {
  return `review:${projectId}`;
}

export function reviewInBackground(ctx: Pick<EngineContext, 'db' | 'dir' | 'emit'>, project: { id: string; name: string }, examples: number, workerFrom = REVIEW_WORKER_FROM): Promise<ReviewReport> {
  const task = reviewTask(project.id);
  const progress = (done: number, total: number) => ctx.emit({ type: 'task.progress', task, done, total, unit: 'rows', message: 'Checking the texts' });
  if (examples < workerFrom) return Promise.resolve(reviewProject(ctx.db, project));
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./review-worker-entry.mjs', import.meta.url), { workerData: { dir: ctx.dir, project } });
    let settled = false;
    worker.on('message', (m: ReviewWorkerMessage) => {
      if (m.type === 'progress') progress(m.done, m.total);
      else {
        settled = true;
        if (m.type === 'result') resolve(m.report);
        else reject(m.code ? new TextbenchError(m.message, m.code, m.details ?? {}) : new Error(m.message));
      }
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`The review stopped unexpectedly (worker exit code ${code}).`));
    });
  });
}
