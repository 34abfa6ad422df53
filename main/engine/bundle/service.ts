import type { EngineContext } from '../context.ts';

/** Models, export bundles and classification. (Filled in by the bundle work.) */
export class ModelService {
  constructor(protected readonly ctx: EngineContext) {}
}
