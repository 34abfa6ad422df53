// The engine's long work as tasks (shared/tasks.ts): each gets an id, reports progress (throttled, never backwards),
// ends with its result or error, and can be cancelled. Every change is pushed as a task.changed event; finished
// tasks stay listed for a while so the app can show how they ended.
import crypto from 'node:crypto';
import type { TaskInfo, TaskKind } from '../../../shared/tasks.ts';
import type { Progress } from '../../../shared/domain.ts';
import type { WorkbenchEvent } from '../../../shared/events.ts';
import { isTextbenchError, TextbenchError } from '../errors.ts';
import { CANCELLED } from './wire.ts';

/** At most one progress event per task per this many milliseconds (the last one always goes out). */
const PROGRESS_EVENT_MS = 100;
/** Finished tasks kept in the list. */
const KEEP_FINISHED = 50;

export type TaskProgress = Pick<Progress, 'done' | 'total' | 'unit' | 'message'>;

/** What a task's work gets: its id, a way to report progress, and the signal that says it was cancelled. */
export interface TaskControl {
  id: string;
  signal: AbortSignal;
  progress(p: TaskProgress): void;
}

export interface TaskSpec {
  kind: TaskKind;
  title: string;
  project?: string | null;
  run?: string | null;
}

interface Entry {
  info: TaskInfo;
  controller: AbortController;
  done: Promise<unknown>;
  lastEmit: number;
  timer: NodeJS.Timeout | null;
}

export class TaskService {
  private readonly tasks = new Map<string, Entry>();

  constructor(private readonly emit: (event: WorkbenchEvent) => void) {}

  /**
   * Runs `work` as a task. Its promise settles like `work`'s; a task whose work throws after cancel() (or with code
   * CANCELLED) ends as 'cancelled', any other throw as 'failed'.
   */
  run<T>(spec: TaskSpec, work: (task: TaskControl) => Promise<T>): { task: TaskInfo; done: Promise<T> } {
    const id = `task-${crypto.randomBytes(5).toString('hex')}`;
    const info: TaskInfo = { id, kind: spec.kind, title: spec.title, project: spec.project ?? null, run: spec.run ?? null, state: 'running', progress: null, startedAt: new Date().toISOString(), finishedAt: null, error: null };
    const controller = new AbortController();
    const entry: Entry = { info, controller, done: Promise.resolve(), lastEmit: 0, timer: null };
    this.tasks.set(id, entry);
    const control: TaskControl = { id, signal: controller.signal, progress: (p) => this.progress(entry, p) };
    this.changed(entry);
    const done = (async () => work(control))().then(
      (result) => {
        this.finish(entry, controller.signal.aborted ? 'cancelled' : 'done', null);
        return result;
      },
      (err: unknown) => {
        const cancelled = controller.signal.aborted || (isTextbenchError(err) && (err.code === CANCELLED || err.code.endsWith('_CANCELLED')));
        this.finish(entry, cancelled ? 'cancelled' : 'failed', err instanceof Error ? err.message : String(err));
        throw err;
      },
    );
    entry.done = done.catch(() => undefined);
    return { task: { ...info }, done };
  }

  /** Running tasks first (oldest first), then the finished ones (newest first); of one project when named. */
  list(project?: string): TaskInfo[] {
    const all = [...this.tasks.values()].map((e) => ({ ...e.info })).filter((t) => !project || t.project === project);
    const running = all.filter((t) => t.state === 'running');
    const ended = all.filter((t) => t.state !== 'running').reverse();
    return [...running, ...ended];
  }

  get(id: string): TaskInfo {
    return { ...this.entry(id).info };
  }

  /** Asks a running task to stop; it ends as 'cancelled' once its work has stopped. Ended tasks stay as they are. */
  cancel(id: string): TaskInfo {
    const e = this.entry(id);
    if (e.info.state === 'running') e.controller.abort();
    return { ...e.info };
  }

  /** Settles when the task has ended, whatever way. */
  async settled(id: string): Promise<TaskInfo> {
    const e = this.entry(id);
    await e.done;
    return { ...e.info };
  }

  /** Cancels every running task and waits for them to end (closing the workbench). */
  async cancelAll(): Promise<void> {
    const running = [...this.tasks.values()].filter((e) => e.info.state === 'running');
    for (const e of running) e.controller.abort();
    await Promise.all(running.map((e) => e.done));
  }

  private entry(id: string): Entry {
    const e = this.tasks.get(id);
    if (!e) throw new TextbenchError(`No task "${id}" in this session (tasks are not kept after the app or command ends).`, 'TASK_NOT_FOUND', { task: id });
    return e;
  }

  private progress(e: Entry, p: TaskProgress): void {
    if (e.info.state !== 'running') return;
    const before = e.info.progress;
    // Never backwards: a later report with less done (a retried pass) keeps the furthest point.
    const done = before && before.unit === p.unit ? Math.max(before.done, p.done) : p.done;
    e.info.progress = { done, total: p.total, unit: p.unit, ...(p.message ? { message: p.message } : {}) };
    const now = Date.now();
    const last = p.total !== null && done >= p.total;
    if (last || now - e.lastEmit >= PROGRESS_EVENT_MS) {
      this.changed(e);
    } else if (!e.timer) {
      // A trailing event, so the last report inside a throttle window is not lost.
      e.timer = setTimeout(() => {
        e.timer = null;
        if (e.info.state === 'running') this.changed(e);
      }, PROGRESS_EVENT_MS - (now - e.lastEmit));
      e.timer.unref();
    }
  }

  private finish(e: Entry, state: TaskInfo['state'], error: string | null): void {
    if (e.timer) clearTimeout(e.timer);
    e.timer = null;
    e.info.state = state;
    e.info.error = state === 'failed' ? error : null;
    e.info.finishedAt = new Date().toISOString();
    this.changed(e);
    const ended = [...this.tasks.values()].filter((x) => x.info.state !== 'running');
    for (const old of ended.slice(0, Math.max(0, ended.length - KEEP_FINISHED))) this.tasks.delete(old.info.id);
  }

  private changed(e: Entry): void {
    e.lastEmit = Date.now();
    this.emit({ type: 'task.changed', task: { ...e.info } });
  }
}
