// Live runs: every training event from the engine folded into per-run state the Train view draws.
import type { ApiEvent } from '../../../shared/api.ts';
import type { RunDetail } from '../../../shared/training.ts';
import { applyEvent, emptyLive, runOf, type LiveRun } from '../lib/live.ts';

export class LiveRuns {
  runs = $state<Record<string, LiveRun>>({});
  /** Called after a run ends, e.g. to refresh the run list. */
  onEnded: ((run: string) => void) | null = null;

  handle(e: ApiEvent): void {
    const run = runOf(e);
    if (!run) return;
    const before = this.runs[run] ?? emptyLive(run);
    this.runs[run] = applyEvent(before, e);
    if (e.type === 'run.finished' || e.type === 'run.failed') this.onEnded?.(run);
  }

  /** Seeds a run from its stored detail (opening an older or resumed run). */
  seed(detail: RunDetail): void {
    const live = this.runs[detail.id];
    if (live && live.epochs.length >= detail.curve.length && live.status === detail.status) return;
    this.runs[detail.id] = {
      ...emptyLive(detail.id, detail.status),
      ...(live ?? {}),
      status: detail.status,
      epochs: detail.curve,
      findings: detail.findings,
      actions: detail.actions,
      validation: detail.validation,
      test: detail.test,
      error: detail.error,
    };
  }

  get(run: string | null): LiveRun | null {
    return run ? (this.runs[run] ?? null) : null;
  }
}
