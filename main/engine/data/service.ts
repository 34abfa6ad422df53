import type { EngineContext } from '../context.ts';

/** Import, review, examples and label edits. (Filled in by the data work.) */
export class DataService {
  constructor(protected readonly ctx: EngineContext) {}
}
