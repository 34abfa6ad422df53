// Which runs a view offers, and which it picks first.
import type { RunSummary } from '../../../shared/training.ts';
import type { LabelCount } from '../../../shared/data.ts';
import { chanceLevel, learnedVerdict, type BaselineScore, type LearnedVerdict } from '../../../shared/verdict.ts';

/**
 * Runs with a model to evaluate, export or classify with: every finished run (a linear or ensemble run is one fit
 * and finishes with 0 epochs), and a network run stopped after at least one epoch (stopped before its first one, it
 * has no weights).
 */
export function usableRuns(runs: readonly RunSummary[]): RunSummary[] {
  return runs.filter((r) => r.status === 'finished' || (r.status === 'stopped' && r.epochs > 0));
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

/** The yardstick runs of a project: finished linear and baseline runs, the best by validation macro-F1. */
export function baselineOf(runs: readonly RunSummary[], except: string | null): BaselineScore | null {
  const yardsticks = runs.filter((r) => r.id !== except && (r.model === 'linear' || r.model === 'baseline') && r.status === 'finished' && r.validation);
  const best = bestRun(yardsticks);
  return best?.validation ? { run: best.id, name: best.model, validation: best.validation } : null;
}

/**
 * Whether a run learned: against always answering the most common label of the split it was judged on (its
 * validation split, or train when validation was held out of train), and, for the recurrent models, against the
 * project's best linear or baseline run.
 */
export function verdictFor(run: Pick<RunSummary, 'id' | 'model' | 'validation' | 'status'>, labels: readonly LabelCount[], runs: readonly RunSummary[], validationSource: 'split' | 'train-holdout' | 'cross-validation' | null = 'split'): LearnedVerdict {
  if (run.status !== 'finished' && run.status !== 'stopped') return { kind: 'learned' };
  const split = validationSource === 'train-holdout' || !labels.some((l) => l.splits.validation > 0) ? 'train' : 'validation';
  const chance = chanceLevel(labels.map((l) => ({ label: l.label, count: l.splits[split] })));
  const yardstick = run.model === 'linear' || run.model === 'baseline' ? null : baselineOf(runs, run.id);
  return learnedVerdict(run.validation, chance, yardstick);
}
