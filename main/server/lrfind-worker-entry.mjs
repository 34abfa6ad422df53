// Entry of the learning-rate finder's worker thread: register tsx's loader, then run the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./lrfind-worker.ts');
