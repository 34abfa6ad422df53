import type { EngineContext } from '../context.ts';

/** Runs: training in a worker, resume, stop, evaluation. (Filled in by the training work.) */
export class TrainingService {
  constructor(protected readonly ctx: EngineContext) {}
  /** Stops workers so the process can exit. */
  async shutdown(): Promise<void> {}
}
