// Automatic searches started from the app (training.autoStart): each is a task (its trials are ordinary runs in
// training workers); this keeps its leaderboard as trials finish and the trial training now, for
// training.autoStatus to poll. Kept for the session: the runs of a search stay in the workspace, the search itself does not.
import type { AutoSearchStatus, SearchResult } from '../../../shared/doctor.ts';
import { TextbenchError } from '../errors.ts';
import type { SearchOptions } from './search.ts';

export class AutoSearches {
  private readonly searches = new Map<string, AutoSearchStatus>();
  private readonly stopRequested = new Set<string>();

  /** `cancel` cancels a search's task: no new trial starts and the running one stops, keeping its best epoch. */
  constructor(private readonly cancel: (task: string) => void) {}

  /** A status to fill while the search starts, and the search options that fill it (entries, the trial training now). */
  create(projectId: string, budgetMinutes: number | undefined, trials: number | undefined): { status: AutoSearchStatus; follow: Pick<SearchOptions, 'onEntry' | 'onTrialStart'> } {
    const status: AutoSearchStatus = {
      id: '',
      project: projectId,
      status: 'running',
      startedAt: new Date().toISOString(),
      budget: { minutes: budgetMinutes ?? null, trials: trials ?? null },
      entries: [],
      current: null,
      result: null,
      error: null,
    };
    return {
      status,
      follow: {
        // A trial continued to more epochs reports again: its entry replaces the earlier one (it was listed twice).
        onEntry: (entry) => (status.entries = [...status.entries.filter((e) => !entry.run || e.run !== entry.run), entry]),
        onTrialStart: (trial) => (status.current = trial),
      },
    };
  }

  /** Keeps `status` under the search's task id until the session ends, and records how the search ended. */
  track(id: string, status: AutoSearchStatus, done: Promise<SearchResult>): void {
    status.id = id;
    this.searches.set(id, status);
    done.then(
      (result) => {
        status.result = result;
        status.current = null;
        status.status = this.stopRequested.has(id) ? 'stopped' : 'done';
      },
      (err: unknown) => {
        status.current = null;
        if (this.stopRequested.has(id)) {
          status.status = 'stopped';
          return;
        }
        status.error = err instanceof Error ? err.message : String(err);
        status.status = 'failed';
      },
    );
  }

  /** Asks a search to end: no new trial starts, and the running one stops after its current batch. */
  stop(id: string): AutoSearchStatus {
    const s = this.find(id);
    if (s.status !== 'running') return this.get(id);
    this.stopRequested.add(id);
    s.status = 'stopping';
    this.cancel(id);
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
