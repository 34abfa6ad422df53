// Entry of a cross-validation fit worker: the engine is TypeScript run through tsx, so register its loader first.
import { register } from 'tsx/esm/api';

register();
await import('./fit-worker.ts');
