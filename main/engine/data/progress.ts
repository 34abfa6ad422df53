import type { WorkbenchEvent } from '../../../shared/events.ts';

/**
 * Import progress in bytes: at most one event per `intervalMs`, never backwards, and a final event with
 * done === total. A restarted pass (e.g. the Windows-1252 fallback) stays silent until it passes the
 * furthest point already reported.
 */
export class ImportProgress {
  private lastAt = -Infinity;
  private lastDone = -1;
  private finished = false;
  constructor(
    private readonly emit: (e: WorkbenchEvent) => void,
    readonly total: number,
    private readonly projectId?: string,
    private readonly intervalMs = 100,
    private readonly now: () => number = Date.now,
  ) {}

  update(done: number): void {
    if (this.finished) return;
    const d = Math.min(Math.max(0, Math.floor(done)), this.total);
    if (d <= this.lastDone || d >= this.total) return;
    const t = this.now();
    if (t - this.lastAt < this.intervalMs) return;
    this.lastAt = t;
    this.send(d);
  }

  finish(message?: string): void {
    if (this.finished) return;
    this.finished = true;
    this.send(this.total, message);
  }

  private send(done: number, message?: string): void {
    this.lastDone = done;
    this.emit({
      type: 'import.progress',
      task: 'import',
      done,
      total: this.total,
      unit: 'bytes',
      ...(message ? { message } : {}),
      ...(this.projectId ? { projectId: this.projectId } : {}),
    });
  }
}
