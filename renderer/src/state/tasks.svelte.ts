// The engine's long work as the app sees it (shared/tasks.ts): every running task (training, searches, compares,
// lr-find sweeps, batch classification, imports) and the ones that ended lately, kept current by task.changed
// events, so the sidebar can list them and stop any of them.
import type { ApiEvent } from '../../../shared/api.ts';
import type { TaskInfo } from '../../../shared/tasks.ts';
import type { ApiClient } from '../api/client.ts';

/** Ended tasks shown under the running ones. */
const SHOW_ENDED = 5;

export class TaskList {
  tasks = $state<TaskInfo[]>([]);
  running = $derived(this.tasks.filter((t) => t.state === 'running'));
  /** Running first (newest first), then the last few that ended. */
  shown = $derived([...this.running, ...this.tasks.filter((t) => t.state !== 'running').slice(0, SHOW_ENDED)]);
  /** Tasks asked to stop that have not ended yet (a run stops after its current batch). */
  stopping = $state<string[]>([]);

  private readonly client: ApiClient;

  constructor(client: ApiClient) {
    this.client = client;
  }

  async load(): Promise<void> {
    const listed = await this.client.call('tasks.list', {});
    // Events that arrived while the list was on its way are newer than it: keep them.
    const known = new Map(this.tasks.map((t) => [t.id, t]));
    this.tasks = sortTasks(listed.map((t) => known.get(t.id) ?? t));
  }

  handle(event: ApiEvent): void {
    if (event.type !== 'task.changed') return;
    // A task never runs again once it ended: a snapshot that says "running" (tasks.cancel's answer, a list fetched
    // before the end) is older than the event that ended it.
    const known = this.tasks.find((t) => t.id === event.task.id);
    if (known && known.state !== 'running' && event.task.state === 'running') return;
    const rest = this.tasks.filter((t) => t.id !== event.task.id);
    this.tasks = sortTasks([event.task, ...rest]);
    if (event.task.state !== 'running' && this.stopping.includes(event.task.id)) this.stopping = this.stopping.filter((s) => s !== event.task.id);
  }

  /** Asks the engine to stop a task; the task.changed event that follows shows how it ended. */
  async stop(id: string): Promise<void> {
    this.stopping = [...this.stopping, id];
    try {
      const task = await this.client.call('tasks.cancel', { task: id });
      this.handle({ type: 'task.changed', task });
    } catch (err) {
      this.stopping = this.stopping.filter((s) => s !== id);
      throw err;
    }
  }
}

/** Running before ended, newest first within each. */
export function sortTasks(tasks: readonly TaskInfo[]): TaskInfo[] {
  return [...tasks].sort((a, b) => Number(b.state === 'running') - Number(a.state === 'running') || b.startedAt.localeCompare(a.startedAt));
}

/** "3 of 20 epochs", "1.2 MB of 4.0 MB", or "" before the first progress. */
export function taskProgressText(t: Pick<TaskInfo, 'progress'>): string {
  const p = t.progress;
  if (!p) return '';
  const n = (v: number) => (p.unit === 'bytes' ? `${(v / 1e6).toFixed(1)} MB` : v.toLocaleString('en-US'));
  const what = p.unit === 'bytes' ? '' : ` ${p.unit}`;
  return p.total === null ? `${n(p.done)}${what}` : `${n(p.done)} of ${n(p.total)}${what}`;
}

export const TASK_STATE_WORDS: Record<TaskInfo['state'], string> = { running: 'running', done: 'finished', failed: 'failed', cancelled: 'stopped' };
