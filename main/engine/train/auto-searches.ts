// Automatic searches started from the app (training.autoStart): each runs in the background of this process (its
// trials are ordinary runs in the training worker; only the bookkeeping runs here) and is polled for its
// leaderboard. Kept for the session: the runs of a search stay in the workspace, the search itself does not.
import crypto from 'node:crypto';
import type { AutoSearchStatus, SearchResult } from '../../../shared/doctor.ts';
import { TextbenchError } from '../errors.ts';
import type { SearchOptions } from './search.ts';

export class AutoSearches {
  private readonly searches = new Map<string, AutoSearchStatus>();
  private readonly stopRequested = new Set<string>();

  /** `run` starts the search for a resolved project and resolves with its result; `stopRun` stops one of its trials. */
  constructor(
    private readonly run: (projectId: string, options: SearchOptions) => Promise<SearchResult>,
    private readonly stopRun: (run: string) => Promise<unknown>,
  ) {}

  start(projectId: string, budgetMinutes: number | undefined, trials: number | undefined): { search: string } {
    const id = `auto-${crypto.randomBytes(4).toString('hex')}`;
    const status: AutoSearchStatus = {
      id,
      project: projectId,
      status: 'running',
      startedAt: new Date().toISOString(),
      budget: { minutes: budgetMinutes ?? null, trials: trials ?? null },
      entries: [],
      current: null,
      result: null,
      error: null,
    };
    this.searches.set(id, status);
    this.run(projectId, {
      budgetSeconds: budgetMinutes === undefined ? null : budgetMinutes * 60,
      trials: trials ?? null,
      // A trial continued to more epochs reports again: its entry replaces the earlier one (it was listed twice).
      onEntry: (entry) => (status.entries = [...status.entries.filter((e) => !entry.run || e.run !== entry.run), entry]),
      onTrialStart: (trial) => (status.current = trial),
      shouldStop: () => this.stopRequested.has(id),
    }).then(
      (result) => {
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

  /** Asks a search to end: no new trial starts, and the running one stops after its current batch. */
  async stop(id: string): Promise<AutoSearchStatus> {
    const s = this.find(id);
    if (s.status !== 'running') return this.get(id);
    this.stopRequested.add(id);
    s.status = 'stopping';
    if (s.current) await this.stopRun(s.current.run);
    return this.get(id);
  }

  get(id: string): AutoSearchStatus {
    const s = this.find(id);
    return { ...s, entries: [...s.entries] };
  }

  list(projectId: string): AutoSearchStatus[] {
    return [...this.searches.values()].filter((s) => s.project === projectId).map((s) => ({ ...s, entries: [...s.entries] }));
  }

  private find(id: string): AutoSearchStatus {
    const s = this.searches.get(id);
    if (!s) throw new TextbenchError(`No automatic search "${id}" in this session (searches are not kept after the app restarts; their runs are).`, 'SEARCH_NOT_FOUND');
    return s;
  }
}
