// Automatic searches started from the app (training.autoStart): each is a task (its trials are ordinary runs in
// training workers); this keeps its leaderboard as trials finish, for training.autoStatus to poll. Kept for the
// session: the runs of a search stay in the workspace, the search itself does not.
import type { AutoSearchStatus, SearchResult } from '../../../shared/doctor.ts';
import { TextbenchError } from '../errors.ts';

export class AutoSearches {
  private readonly searches = new Map<string, AutoSearchStatus>();

  /** A status to fill while the search starts (its entries arrive through the search's onEntry). */
  create(projectId: string): AutoSearchStatus {
    return { id: '', project: projectId, status: 'running', startedAt: new Date().toISOString(), entries: [], result: null, error: null };
  }

  /** Keeps `status` under the search's task id until the session ends, and records how the search ended. */
  track(id: string, status: AutoSearchStatus, done: Promise<SearchResult>): void {
    status.id = id;
    this.searches.set(id, status);
    done.then(
      (result) => {
        status.result = result;
        status.status = 'done';
      },
      (err: unknown) => {
        status.error = err instanceof Error ? err.message : String(err);
        status.status = 'failed';
      },
    );
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
