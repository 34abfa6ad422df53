// The review of a large project in a worker thread, so the server and the app's main process stay responsive
// (the checks took 1.2 s of blocked event loop on 238,000 rows), with progress events while it scans.
import type { EngineContext } from '../context.ts';
import type { ReviewReport } from '../../../shared/data.ts';
import { WorkerClient } from '../tasks/worker-client.ts';
import { reviewProject } from './review.ts';
import type { ReviewInit, ReviewJob, ReviewProgress } from './review-worker.ts';

/**
 * From this many examples the review runs in a worker: below it the checks take under about 50 ms inline, less
 * than starting a worker that loads the engine (measured 0.3–0.8 s here).
 */
export const REVIEW_WORKER_FROM = 20_000;

/** The task id of a project's review in task.progress events. */
export function reviewTask(projectId: string): string {
  return `review:${projectId}`;
}

export async function reviewInBackground(ctx: Pick<EngineContext, 'db' | 'dir' | 'emit'>, project: { id: string; name: string }, examples: number, workerFrom = REVIEW_WORKER_FROM): Promise<ReviewReport> {
  const task = reviewTask(project.id);
  if (examples < workerFrom) return reviewProject(ctx.db, project);
  // One worker per review: a review is rare and large, and the worker holds its own connection only while it runs.
  const client = new WorkerClient<ReviewJob, ReviewReport, ReviewProgress>({ role: 'review', data: { dir: ctx.dir } satisfies ReviewInit, name: 'the review worker' });
  try {
    return await client.request(
      { project },
      { onEvent: ({ done, total }) => ctx.emit({ type: 'task.progress', task, done, total, unit: 'rows', message: 'Checking the texts' }) },
    ).done;
  } finally {
    client.shutdown();
  }
}
