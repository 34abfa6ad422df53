// Which runs a view offers, and which it picks first.
import type { RunSummary } from '../../../shared/training.ts';

/** Runs with weights to evaluate, export or classify with. */
export function usableRuns(runs: readonly RunSummary[]): RunSummary[] {
  return runs.filter((r) => r.status === 'finished' || r.status === 'stopped');
}

/**
 * The best run by validation macro-F1 (the split the search and early stopping judge on; test is for reporting
 * only), newest first among equals; runs without validation metrics come last.
 */
export function bestRun(runs: readonly RunSummary[]): RunSummary | null {
  let best: RunSummary | null = null;
  for (const r of runs) {
    const f = r.validation?.macroF1;
    if (f === undefined || !Number.isFinite(f)) continue;
    if (!best || f > (best.validation?.macroF1 ?? -Infinity)) best = r;
  }
  return best ?? runs[0] ?? null;
}

/** The run a view opens with: the one the user was looking at, else the best. */
export function defaultRun(runs: readonly RunSummary[], current: string | null): string | null {
  if (current && runs.some((r) => r.id === current)) return current;
  return bestRun(runs)?.id ?? null;
}

/** "linear · 0.712 val. macro-F1 · ★" for pickers. */
export function runOptionLabel(r: RunSummary, best: RunSummary | null): string {
  const f1 = r.validation?.macroF1;
  const score = f1 === undefined || !Number.isFinite(f1) ? 'no validation score' : `val. macro-F1 ${f1.toFixed(3)}`;
  return `${r.name || r.id} · ${score}${best && best.id === r.id ? ' · best' : ''}`;
}
