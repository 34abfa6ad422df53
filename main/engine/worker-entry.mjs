// The entry of every engine worker thread in the source tree: register tsx's loader, then run the worker, whose
// role (workerData) picks its job. The shipped build runs the same worker compiled ahead of time (dist/worker.js).
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
