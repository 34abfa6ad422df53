// Compare: train a list of recipes and models on the same split, one after the other, through the ordinary
// training service (each is a normal run, in a worker), and put them on one leaderboard. This module never
// imports TensorFlow.js or the store: it only drives the runs it is handed (TrainingService.compare).
import { TextbenchError } from '../errors.ts';
import { MODEL_NAMES, type ModelName, type RunDetail, type TrainOptions, type TrainResult } from '../../../shared/training.ts';
import type { LeaderboardEntry } from '../../../shared/doctor.ts';
import { getRecipe, RECIPES } from './recipes.ts';

/** What compare and search need of the training service: start and stop runs, wait for them, read them back. */
export interface TrainingHost {
  start(options: TrainOptions): { run: { id: string } };
  stop(run: string): Promise<unknown>;
  get(run: string): RunDetail;
  resume(run: string, overrides?: { epochs?: number }): { run: { id: string } };
  wait(run: string): Promise<TrainResult>;
}

/** Waits for a run; aborting `signal` stops it (it ends 'stopped', its best epoch kept). */
export async function waitStoppable(host: TrainingHost, run: string, signal: AbortSignal | undefined, log: (m: string) => void): Promise<TrainResult> {
  const onAbort = () => void host.stop(run).catch((err: unknown) => log(`could not stop ${run}: ${(err as Error).message}`));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await host.wait(run);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

export interface CompareOptions extends Omit<TrainOptions, 'model' | 'recipe' | 'name'> {
  recipes?: string[];
  models?: ModelName[];
  log?: (message: string) => void;
  /** Called with each row as soon as its run ends. */
  onRow?: (row: LeaderboardEntry) => void;
  /** Aborting stops the run in training and skips the rest; the rows so far are the result. */
  signal?: AbortSignal;
}

/** A leaderboard row from a finished (or failed) run. */
export function entryFromRun(name: string, kind: LeaderboardEntry['kind'], result: TrainResult, detail: RunDetail | null, settings: LeaderboardEntry['settings'], wallSeconds: number): LeaderboardEntry {
  const curve = detail?.curve ?? [];
  const trainSeconds = curve.reduce((a, e) => a + e.seconds, 0);
  const sps = curve.length ? curve.reduce((a, e) => a + e.samplesPerSecond * e.seconds, 0) / Math.max(trainSeconds, 1e-9) : null;
  const finite = (m: { accuracy: number; macroF1: number } | null | undefined) => (m && Number.isFinite(m.accuracy) ? m : null);
  return {
    name,
    kind,
    run: result.run,
    status: result.status,
    settings,
    validation: finite(result.validation),
    test: finite(result.test),
    epochs: result.epochs,
    seconds: Math.round((trainSeconds || wallSeconds) * 10) / 10,
    samplesPerSecond: sps === null ? null : Math.round(sps),
    backend: result.backend ?? null,
    // Data findings are the same for every row of one split: the leaderboard shows what happened in training.
    findings: result.findings.filter((f) => f.kind !== 'data').map((f) => ({ kind: f.kind, severity: f.severity, message: f.message })),
    ...(result.error ? { error: result.error } : {}),
  };
}

export function byTestMacroF1(a: LeaderboardEntry, b: LeaderboardEntry): number {
  return (b.test?.macroF1 ?? -1) - (a.test?.macroF1 ?? -1);
}

/** Checks what to compare before anything trains. */
export function checkCompareOptions(options: CompareOptions): void {
  const { recipes = [], models = [] } = options;
  if (!recipes.length && !models.length) {
    throw new TextbenchError('Nothing to compare: name recipes (--recipes a,b) and/or models (--models linear,gru).', 'BAD_OPTION', { field: 'recipes' });
  }
  for (const r of recipes) {
    if (!getRecipe(r)) throw new TextbenchError(`Unknown recipe "${r}". Known recipes: ${Object.keys(RECIPES).join(', ')}.`, 'RECIPE_NOT_FOUND', { field: 'recipes', value: r });
  }
  for (const m of models) {
    if (!MODEL_NAMES.includes(m)) throw new TextbenchError(`Unknown model "${m}". Known models: ${MODEL_NAMES.join(', ')}.`, 'BAD_OPTION', { field: 'models', value: m });
  }
}

/** Trains every entry on the project and returns the leaderboard rows, best test macro-F1 first. */
export async function runCompare(host: TrainingHost, project: { id: string }, options: CompareOptions): Promise<LeaderboardEntry[]> {
  checkCompareOptions(options);
  const { recipes = [], models = [], log = () => {}, onRow, signal, ...common } = options;
  const entries: Array<{ name: string; kind: 'recipe' | 'model'; options: TrainOptions }> = [
    ...recipes.map((r) => ({ name: r, kind: 'recipe' as const, options: { ...common, project: project.id, recipe: r, name: `compare: ${r}` } })),
    ...models.map((m) => ({ name: m, kind: 'model' as const, options: { ...common, project: project.id, model: m, name: `compare: ${m}` } })),
  ];
  const rows: LeaderboardEntry[] = [];
  for (const [i, e] of entries.entries()) {
    if (signal?.aborted) {
      log(`compare: stopped before ${e.name}`);
      break;
    }
    log(`compare ${i + 1}/${entries.length}: training ${e.kind} ${e.name}…`);
    const started = performance.now();
    const result = await waitStoppable(host, host.start(e.options).run.id, signal, log);
    const wall = (performance.now() - started) / 1000;
    let detail: RunDetail | null = null;
    try {
      detail = host.get(result.run);
    } catch (err) {
      // A run that failed before it was stored has no detail; its row still says why it failed.
      log(`compare: no stored details for ${e.name}: ${(err as Error).message}`);
    }
    const c = detail?.config;
    const row = entryFromRun(e.name, e.kind, result, detail, c ? { model: c.model, recipe: c.recipe, learningRate: c.learningRate, batchSize: c.batchSize, optimizer: c.optimizer, loss: c.loss, tokens: c.tokens } : {}, wall);
    rows.push(row);
    onRow?.(row);
    log(
      `compare ${i + 1}/${entries.length}: ${e.name} ${result.status}` +
        (row.test ? `, test accuracy ${row.test.accuracy.toFixed(3)}, macro-F1 ${row.test.macroF1.toFixed(3)}` : '') +
        (result.error ? ` (${result.error})` : ''),
    );
  }
  rows.sort(byTestMacroF1);
  return rows;
}
