// Builds the full-text index of examples that a large import left in the backlog (store/fts-backlog.ts), in the
// background of whatever process has the workspace open: the app, the server, or a CLI command. Search works all
// along (store/examples.ts matches backlog rows without the index), only slower until this is done.
//
// Each chunk is one short write transaction on the workspace connection, run from setImmediate/unref'd timers:
// it never holds the process open, and the event loop is blocked only for one chunk at a time (the chunk size
// follows the measured time per row, aiming at CHUNK_MS). A chunk does not wait for another process's write
// lock (a busy workspace would freeze the app's main thread for up to the busy timeout): it tries again later.
import { performance } from 'node:perf_hooks';
import type { Db } from '../store/db.ts';
import { backlogRows, hasBacklog, indexBacklogChunk } from '../store/fts-backlog.ts';

/** Rows of the first background chunk; later ones are sized from the time per row. */
const FIRST_CHUNK_ROWS = 1_000;
const MIN_CHUNK_ROWS = 100;
const MAX_CHUNK_ROWS = 10_000;
/** The longest a background chunk should hold the event loop. */
const CHUNK_MS = 50;
/** Rows per transaction in finish(): nothing else waits, and fewer commits leave fewer index segments to merge. */
export const FINISH_CHUNK_ROWS = 50_000;
/** How long to wait before trying again when another connection holds the write lock. */
const BUSY_RETRY_MS = 250;

/** One stretch of background indexing as the app sees it (DataService lists it as a task). */
export interface IndexRun {
  /** Aborted: stop indexing in the background until the next kick(). */
  signal: AbortSignal;
  /** Rows indexed since the run started. */
  progress(indexed: number): void;
  /** The backlog is done ('done'), the run was stopped or paused ('stopped'), or a chunk failed. */
  ended(outcome: 'done' | 'stopped' | Error): void;
}

export interface SearchIndexerOptions {
  /** Rows of each background chunk, fixed (default: adaptive, starting at 1,000). */
  chunkRows?: number;
  /** Called when background indexing starts, with the rows waiting. */
  onRun?: (pending: number) => IndexRun;
}

export class SearchIndexer {
  private scheduled: NodeJS.Immediate | NodeJS.Timeout | undefined;
  private stopped = false;
  private finishing = false;
  /** Counts stop() calls: a finish() in progress ends at the next chunk when it changes. */
  private stops = 0;
  private rows: number;
  private readonly fixedRows: boolean;
  private readonly onRun: SearchIndexerOptions['onRun'];
  /** The background run in progress, and the rows it has indexed. */
  private run: { hooks: IndexRun; indexed: number } | undefined;
  /** The last failure of a background chunk (other than a busy workspace), if the indexer stopped on one. */
  error: Error | undefined;

  constructor(
    private readonly db: Db,
    options: SearchIndexerOptions = {},
  ) {
    this.fixedRows = options.chunkRows !== undefined;
    this.rows = Math.max(1, options.chunkRows ?? FIRST_CHUNK_ROWS);
    this.onRun = options.onRun;
  }

  /** Starts indexing in the background if rows wait for the index and nothing is scheduled yet. */
  kick(): void {
    if (this.stopped || this.finishing) return;
    if (this.run?.hooks.signal.aborted) {
      this.cancel();
      this.endRun('stopped');
    }
    if (this.scheduled || !hasBacklog(this.db)) return;
    this.error = undefined;
    if (!this.run && this.onRun) this.run = { hooks: this.onRun(this.pending()), indexed: 0 };
    this.schedule(0);
  }

  /** How many examples wait for the index. */
  pending(): number {
    return backlogRows(this.db);
  }

  /**
   * Indexes every remaining row now, in large transactions (waiting for the write lock like any other write),
   * yielding to the event loop between them; returns how many rows it indexed.
   */
  async finish(onProgress?: (indexed: number, pending: number) => void): Promise<number> {
    this.cancel();
    this.finishing = true;
    const stops = this.stops;
    let total = 0;
    try {
      const pending = onProgress ? this.pending() : 0;
      for (;;) {
        if (this.stops !== stops) break;
        const n = indexBacklogChunk(this.db, FINISH_CHUNK_ROWS);
        if (!n) break;
        total += n;
        onProgress?.(total, pending);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.finishing = false;
      this.endRun(hasBacklog(this.db) ? 'stopped' : 'done');
    }
    return total;
  }

  /**
   * Stops background indexing and a finish() in progress (the workspace is closing); what is left is picked up
   * when the workspace is next opened, or by an explicit finish().
   */
  stop(): void {
    this.stopped = true;
    this.stops++;
    this.cancel();
    this.endRun('stopped');
  }

  private endRun(outcome: 'done' | 'stopped' | Error): void {
    const run = this.run;
    this.run = undefined;
    run?.hooks.ended(outcome);
  }

  private cancel(): void {
    if (!this.scheduled) return;
    clearImmediate(this.scheduled as NodeJS.Immediate);
    clearTimeout(this.scheduled as NodeJS.Timeout);
    this.scheduled = undefined;
  }

  private schedule(delayMs: number): void {
    const run = () => {
      this.scheduled = undefined;
      this.step();
    };
    this.scheduled = delayMs ? setTimeout(run, delayMs) : setImmediate(run);
    this.scheduled.unref();
  }

  private step(): void {
    if (this.stopped || this.finishing) return;
    if (this.run?.hooks.signal.aborted) {
      // Paused by the person: what is left waits for the next import or the next time the workspace opens.
      this.endRun('stopped');
      return;
    }
    const timeout = this.db.pragma('busy_timeout', { simple: true }) as number;
    let n: number;
    const t0 = performance.now();
    try {
      this.db.pragma('busy_timeout = 0');
      n = indexBacklogChunk(this.db, this.rows);
    } catch (err) {
      if (isBusy(err)) {
        this.schedule(BUSY_RETRY_MS);
        return;
      }
      this.error = err as Error;
      this.endRun(this.error);
      process.emitWarning(`Building the search index stopped: ${(err as Error).message}. Search still works (slower); the index is built again when the workspace is next opened.`);
      return;
    } finally {
      this.db.pragma(`busy_timeout = ${timeout}`);
    }
    if (!n) {
      this.endRun('done');
      return;
    }
    if (this.run) this.run.hooks.progress((this.run.indexed += n));
    if (!this.fixedRows) {
      const perRow = (performance.now() - t0) / n;
      this.rows = Math.round(Math.min(MAX_CHUNK_ROWS, Math.max(MIN_CHUNK_ROWS, CHUNK_MS / Math.max(perRow, 1e-3))));
    }
    this.schedule(0);
  }
}

/** SQLITE_BUSY from another connection's write lock, or this connection busy with an open statement. */
function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) return true;
  return err instanceof TypeError && /connection is busy/.test(err.message);
}
