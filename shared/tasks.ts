// Long work as tasks: training runs, automatic searches, compares, lr-find sweeps, batch classification, imports
// and the search index a large import leaves to build all have the same shape: an id, progress, a result or an
// error, and a way to stop them. The app lists them (tasks.list) and stops any (tasks.cancel); every change comes
// as a task.changed event. No Node, no DOM.
import type { Progress } from './domain.ts';

export const TASK_KINDS = ['training', 'auto-search', 'compare', 'lr-find', 'classify-file', 'import', 'search-index'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export type TaskState = 'running' | 'done' | 'failed' | 'cancelled';

export interface TaskInfo {
  id: string;
  kind: TaskKind;
  /** What a person sees in the task list: "Training gru on reviews", "Importing jobs.csv". */
  title: string;
  /** The project it works on (id), when it has one. */
  project: string | null;
  /** The run it trains (training tasks), so the app can open it. */
  run: string | null;
  state: TaskState;
  /** Never moves backwards; done === total at the end when total is known. */
  progress: Pick<Progress, 'done' | 'total' | 'unit' | 'message'> | null;
  startedAt: string;
  finishedAt: string | null;
  /** Why it failed, in words for a person. */
  error: string | null;
}

export interface TaskChangedEvent {
  type: 'task.changed';
  task: TaskInfo;
}
