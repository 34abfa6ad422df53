// Entry of the review worker thread: register tsx's loader, then run the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./review-worker.ts');
