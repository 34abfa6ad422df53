// Entry of the classification worker thread: the engine is TypeScript run through tsx, so register its loader first.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
