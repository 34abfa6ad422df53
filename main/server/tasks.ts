// Longer jobs the app starts on the Node side besides ordinary runs: the learning-rate finder (in a worker
// thread, so neither the server nor Electron's main thread stalls) and the automatic search (whose trials are
// ordinary runs in the training worker; only its bookkeeping runs here).
import { Worker } from 'node:worker_threads';
import crypto from 'node:crypto';
import type { Workbench } from '../engine/workbench.ts';
import type { LrFindResult, LeaderboardEntry, SearchResult } from '../../shared/doctor.ts';
import type { TrainOptions } from '../../shared/training.ts';
import type { AutoSearchStatus } from '../../shared/api.ts';
import { TextbenchError } from '../engine/errors.ts';

export function runLrFind(workspace: string, options: TrainOptions & { steps?: number }): Promise<LrFindResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./lrfind-worker-entry.mjs', import.meta.url), { workerData: { dir: workspace, options } });
    let settled = false;
    worker.once('message', (msg: { ok: true; result: LrFindResult } | { ok: false; message: string; code?: string; details?: Record<string, unknown> }) => {
      settled = true;
      if (msg.ok) resolve(msg.result);
      else reject(msg.code ? new TextbenchError(msg.message, msg.code, msg.details ?? {}) : new Error(msg.message));
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`The learning-rate finder stopped unexpectedly (exit code ${code}).`));
    });
  });
}

export class AutoSearches {
  private readonly searches = new Map<string, AutoSearchStatus>();
  private readonly stopRequested = new Set<string>();

  constructor(private readonly wb: Workbench) {}

  start(project: string, budgetMinutes: number | undefined, trials: number | undefined): { search: string } {
    const p = this.wb.projects.get(project);
    const id = `auto-${crypto.randomBytes(4).toString('hex')}`;
    const status: AutoSearchStatus = {
      id,
      project: p.id,
      status: 'running',
      startedAt: new Date().toISOString(),
      budget: { minutes: budgetMinutes ?? null, trials: trials ?? null },
      entries: [],
      current: null,
      result: null,
      error: null,
    };
    this.searches.set(id, status);
    // Loaded on first use: the search module pulls in the training stack, which the server need not load to start.
    import('../engine/train/search.ts')
      .then(({ runAutoSearch }) =>
        runAutoSearch(this.wb, {
          project: p.id,
          budgetSeconds: budgetMinutes === undefined ? null : budgetMinutes * 60,
          trials: trials ?? null,
          // A trial continued to more epochs reports again: its entry replaces the earlier one (was listed twice).
          onEntry: (entry: LeaderboardEntry) => (status.entries = [...status.entries.filter((e) => !entry.run || e.run !== entry.run), entry]),
          onTrialStart: (trial) => (status.current = trial),
          shouldStop: () => this.stopRequested.has(id),
        }),
      )
      .then(
        (result: SearchResult) => {
          status.result = result;
          status.current = null;
          status.status = this.stopRequested.has(id) ? 'stopped' : 'done';
        },
        (err: unknown) => {
          status.error = err instanceof Error ? err.message : String(err);
          status.current = null;
          status.status = 'failed';
        },
      );
    return { search: id };
  }

  /** Asks the search to end: no new trial starts, and the running one stops after its current batch. */
  async stop(id: string): Promise<AutoSearchStatus> {
    const s = this.find(id);
    if (s.status !== 'running') return this.get(id);
    this.stopRequested.add(id);
    s.status = 'stopping';
    if (s.current) await this.wb.training.stop(s.current.run);
    return this.get(id);
  }

  get(id: string): AutoSearchStatus {
    const s = this.find(id);
    return { ...s, entries: [...s.entries] };
  }

  list(project: string): AutoSearchStatus[] {
    const p = this.wb.projects.get(project);
    return [...this.searches.values()].filter((s) => s.project === p.id).map((s) => ({ ...s, entries: [...s.entries] }));
  }

  private find(id: string): AutoSearchStatus {
    const s = this.searches.get(id);
    if (!s) throw new TextbenchError(`No automatic search "${id}" in this session (searches are not kept after the app restarts; their runs are).`, 'SEARCH_NOT_FOUND');
    return s;
  }
}
