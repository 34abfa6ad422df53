// Every engine worker thread starts here (tasks/worker-client.ts starts it); its role picks the job it does. Each
// role's module is loaded only when that role starts: the review worker never loads TensorFlow.js.
import { workerInit } from './tasks/worker-host.ts';

const ROLES: Record<string, () => Promise<void>> = {
  train: async () => (await import('./train/worker.ts')).startTrainingWorker(),
  classify: async () => (await import('./bundle/worker.ts')).startClassifyWorker(),
  review: async () => (await import('./data/review-worker.ts')).startReviewWorker(),
};

const { role } = workerInit();
const start = ROLES[role];
if (!start) throw new Error(`Unknown engine worker role "${role}".`);
await start();
