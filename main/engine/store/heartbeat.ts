// The heartbeat of the runs this process trains: a timestamp every HEARTBEAT_MS, so that where /proc cannot
// tell a live owner from a reused pid (macOS, Windows) a silent owner is known to be gone (store/owners.ts).
import { openDatabase } from './native.ts';
import path from 'node:path';
import { WORKSPACE_FILE, type Db } from './db.ts';
import { HEARTBEAT_MS, beat } from './owners.ts';

export class Heartbeat {
  private timer: NodeJS.Timeout | null = null;
  private db: Db | null = null;
  /** Beats that could not be written (skipped; the owner still counts as alive until STALE_MS without one). */
  skipped = 0;
  /** Why the last skipped beat failed, for diagnostics. */
  lastError: Error | null = null;

  constructor(private readonly dir: string) {}

  start(): void {
    if (this.timer) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), HEARTBEAT_MS);
    // A heartbeat never keeps the process alive on its own.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.db?.close();
    this.db = null;
  }

  private tick(): void {
    try {
      // Its own connection that never waits: a beat on the main thread must not stall the app or the server
      // behind another process's long write. A missed beat costs nothing; STALE_MS is 24 beats.
      this.db ??= openDatabase(path.join(this.dir, WORKSPACE_FILE), { timeout: 0 });
      beat(this.db);
    } catch (err) {
      // Best effort by design: a beat runs from a timer, where a throw would take the whole process down, and
      // a process whose beats fail is only judged by them off Linux after STALE_MS. Kept for diagnostics.
      this.skipped++;
      this.lastError = err instanceof Error ? err : new Error(String(err));
    }
  }
}
