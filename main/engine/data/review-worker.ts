// The review role of the engine worker (worker.ts): runs the review checks of a large project off the calling
// thread, on its own connection to the workspace, with progress events as it scans the texts, then the report.
import type { ReviewReport } from '../../../shared/data.ts';
import { openWorkspaceDb } from '../store/db.ts';
import { registerTextFunctions } from '../store/examples.ts';
import { serveRequests, workerInit } from '../tasks/worker-host.ts';
import { reviewProject } from './review.ts';

export interface ReviewInit {
  /** The workspace folder. */
  dir: string;
}
export interface ReviewJob {
  project: { id: string; name: string };
}
export interface ReviewProgress {
  done: number;
  total: number;
}

export function startReviewWorker(): void {
  const db = openWorkspaceDb(workerInit<ReviewInit>().data.dir);
  registerTextFunctions(db);
  serveRequests<ReviewJob, ReviewReport, ReviewProgress>(
    async (req, job) => ({ result: reviewProject(db, req.project, (done, total) => job.emit({ done, total })) }),
    { onShutdown: () => db.close() },
  );
}
