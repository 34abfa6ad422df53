// Automatic searches started from the app (training.autoStart): each runs in the background of this process (its
// trials are ordinary runs in the training worker; only the bookkeeping runs here) and is polled for its
// leaderboard. Kept for the session: the runs of a search stay in the workspace, the search itself does not.
import crypto from 'node:crypto';
import type { AutoSearchStatus, SearchResult } from '../../../shared/doctor.ts';
import { TextbenchError } from '../errors.ts';
import type { SearchOptions } from './search.ts';

export class AutoSearches {
  private readonly searches = new Map<string, AutoSearchStatus>();

  /** `run` starts the search for a resolved project and resolves with its result. */
  constructor(private readonly run: (projectId: string, options: SearchOptions) => Promise<SearchResult>) {}

  start(projectId: string, budgetMinutes: number | undefined, trials: number | undefined): { search: string } {
    const id = `auto-${crypto.randomBytes(4).toString('hex')}`;
    const status: AutoSearchStatus = { id, project: projectId, status: 'running', startedAt: new Date().toISOString(), entries: [], result: null, error: null };
    this.searches.set(id, status);
    this.run(projectId, { budgetSeconds: budgetMinutes === undefined ? null : budgetMinutes * 60, trials: trials ?? null, onEntry: (entry) => status.entries.push(entry) }).then(
      (result) => {
        status.result = result;
        status.status = 'done';
      },
      (err: unknown) => {
        status.error = err instanceof Error ? err.message : String(err);
        status.status = 'failed';
      },
    );
    return { search: id };
  }

  get(id: string): AutoSearchStatus {
    const s = this.searches.get(id);
    if (!s) throw new TextbenchError(`No automatic search "${id}" in this session (searches are not kept after the app restarts; their runs are).`, 'SEARCH_NOT_FOUND');
    return { ...s, entries: [...s.entries] };
  }

  list(projectId: string): AutoSearchStatus[] {
    return [...this.searches.values()].filter((s) => s.project === projectId).map((s) => ({ ...s, entries: [...s.entries] }));
  }
}
