// `import { loadBundle } from 'textbench'` for plain Node programs: the engine is TypeScript run through
// tsx's loader, so this JavaScript entry registers it before loading the bundle API.
import { register } from 'tsx/esm/api';

register();
const api = await import('./index.ts');

export const loadBundle = api.loadBundle;
export const TextbenchError = api.TextbenchError;
