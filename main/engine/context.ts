import type { Db } from './store/db.ts';
import type { WorkbenchEvent } from '../../shared/events.ts';
import type { TaskService } from './tasks/tasks.ts';

/** What every engine service gets: the open workspace and a way to push events to whoever listens. */
export interface EngineContext {
  readonly db: Db;
  /** The workspace folder (holds textbench.db and any files the engine keeps beside it). */
  readonly dir: string;
  emit(event: WorkbenchEvent): void;
  /** Long work (training, searches, compare, lr-find, batch classification, import) runs as tasks here. */
  readonly tasks: TaskService;
}
