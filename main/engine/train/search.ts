// Automatic search (`textbench train --model auto --budget 15m`): the default baseline first, then random search
// with successive halving over model family, size, layers, dropout, learning rate, batch size and loss, within a
// time or trial budget, judged on the validation split only. Every trial is an ordinary run trained by the
// training service (in a worker), so it can be inspected, resumed and exported like any other; the best one is
// the search's result. This module never imports TensorFlow.js.
import { TextbenchError } from '../errors.ts';
import type { BackendRequest, ModelName, TrainOptions, TrainResult } from '../../../shared/training.ts';
import type { LeaderboardEntry, SearchResult } from '../../../shared/doctor.ts';
import type { TrainingHost } from './compare.ts';
import { entryFromRun, waitStoppable } from './compare.ts';
import { mulberry32 } from './rng.ts';
import type { RunDetail } from '../../../shared/training.ts';

export type SearchHost = TrainingHost;

export type SearchFamily = Exclude<ModelName, 'linear'> | 'linear';
export const RECURRENT: readonly ModelName[] = ['lstm', 'gru', 'bilstm', 'bigru'];
export const DEFAULT_FAMILIES: readonly SearchFamily[] = ['linear', 'baseline', 'gru', 'lstm', 'bigru', 'bilstm'];

export interface SearchOptions {
  /** The project (id or name); default: the only or most recently used one. */
  project?: string;
  /** Wall-clock budget in seconds (`--budget 15m`); null/undefined = no time limit (then `trials` is required). */
  budgetSeconds?: number | null;
  /** Number of random configurations to try (`--trials N`), besides the baseline. */
  trials?: number | null;
  seed?: number;
  families?: SearchFamily[];
  backend?: BackendRequest;
  /** Epochs of the three successive-halving rungs (default 2, 6, 15). */
  rungs?: [number, number, number];
  /** Keep this share of each rung for the next (default 1/3). */
  keep?: number;
  /** Train the default baseline first as the reference (default true). */
  baseline?: boolean;
  /**
   * Also train, before the random trials, the linear model and the first recurrent family of `families` with
   * their defaults, and after them an ensemble of the linear model and the recurrent runs (default true).
   */
  references?: boolean;
  /** Extra fixed options for every trial (tests: shorter sequences, smaller vocabularies). */
  fixed?: Partial<TrainOptions>;
  log?: (message: string) => void;
  onEntry?: (entry: LeaderboardEntry) => void;
  /** A trial's run started (or was continued): the app shows its curves live. */
  onTrialStart?: (trial: { name: string; run: string; settings: LeaderboardEntry['settings'] }) => void;
  /** Aborting ends the search as if its budget ran out: the trial in training stops, the leaderboard so far is the result. */
  signal?: AbortSignal;
}

/** "15m", "90s", "1h", "1h30m", "900" (seconds) → seconds. */
export function parseBudget(text: string): number {
  const s = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)\s*(h|m|min|s|sec)/g;
  let total = 0;
  let used = '';
  for (const m of s.matchAll(re)) {
    const v = Number(m[1]);
    total += m[2] === 'h' ? v * 3600 : m[2]!.startsWith('m') ? v * 60 : v;
    used += m[0];
  }
  if (!total || used.replace(/\s/g, '') !== s.replace(/\s/g, '')) {
    throw new TextbenchError(`--budget expects a duration such as 15m, 90s or 1h30m; got "${text}".`, 'BAD_OPTION', { field: 'budget' });
  }
  return total;
}

export interface TrialConfig {
  model: SearchFamily;
  embeddingDim: number;
  units: number;
  layers: number;
  dropout: number;
  learningRate: number;
  batchSize: number;
  loss: 'ce' | 'class-weighted' | 'topk';
}

/** One random configuration. Learning rate log-uniform; everything else from small menus. */
export function sampleTrial(rand: () => number, families: readonly SearchFamily[]): TrialConfig {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  // Families are drawn by group (linear, baseline, recurrent) so that four recurrent variants do not crowd out the
  // fast models: on a CPU a recurrent trial costs several baseline trials, and a budget buys only a few of them.
  // The linear model is not drawn: it chooses its own features, loss and C by cross-validation, so the search
  // trains it once with its defaults (runAutoSearch) instead of sampling settings it would not use.
  const groups = [families.filter((f) => f === 'baseline'), families.filter((f) => RECURRENT.includes(f as ModelName))].filter((g) => g.length);
  if (!groups.length) throw new TextbenchError('No family to draw random trials from: name baseline or a recurrent model in --families.', 'BAD_OPTION', { field: 'families' });
  const model = pick(pick(groups));
  const recurrent = RECURRENT.includes(model as ModelName);
  const lr = model === 'linear' ? 10 ** (-2.3 + rand() * 1.3) : 10 ** (-3.5 + rand() * 1.7); // 5e-3..0.1 or 3e-4..1.6e-2
  return {
    model,
    embeddingDim: pick([32, 64, 128]),
    units: recurrent ? pick([32, 64, 128]) : 0,
    layers: recurrent ? pick([1, 1, 2]) : 1,
    dropout: model === 'linear' ? 0 : pick([0, 0.2, 0.3, 0.5]),
    learningRate: Number(lr.toPrecision(2)),
    batchSize: pick([32, 64, 128]),
    loss: pick(['ce', 'class-weighted', 'topk'] as const),
  };
}

export function describeTrial(t: TrialConfig): string {
  const size = t.model === 'linear' ? '' : RECURRENT.includes(t.model as ModelName) ? ` ${t.layers}×${t.units}u emb${t.embeddingDim}` : ` emb${t.embeddingDim}`;
  return `${t.model}${size} drop${t.dropout} lr${t.learningRate} b${t.batchSize} ${t.loss}`;
}

export function trialOptions(t: TrialConfig, epochs: number): TrainOptions {
  const k = Math.max(8, Math.floor(t.batchSize / 4));
  return {
    model: t.model as ModelName,
    ...(t.model === 'linear' ? {} : { embeddingDim: t.embeddingDim, dropout: t.dropout }),
    ...(RECURRENT.includes(t.model as ModelName) ? { units: t.units, layers: t.layers } : {}),
    learningRate: t.learningRate,
    batchSize: t.batchSize,
    loss: t.loss === 'topk' ? 'topk' : 'crossentropy',
    ...(t.loss === 'topk' ? { k } : {}),
    classWeights: t.loss === 'class-weighted' ? 'balanced' : 'none',
    // The search judges by validation macro-F1, so early stopping keeps the epoch that is best by it.
    earlyStop: 'macro-f1',
    patience: 2,
    epochs,
  };
}

interface Trial {
  id: number;
  name: string;
  config: TrialConfig | null;
  run: string | null;
  result: TrainResult | null;
  /** Reached its epoch budget (may continue) or stopped by early stopping / the doctor (final). */
  done: boolean;
  seconds: number;
  epochsAsked: number;
  entry: LeaderboardEntry | null;
  /** A model trained with its defaults (no sampled settings): baseline, linear, a recurrent preset or the ensemble. */
  reference?: ModelName;
}

const valF1 = (t: Trial) => t.result?.validation && Number.isFinite(t.result.validation.macroF1) ? t.result.validation.macroF1 : -1;

type Family = 'linear' | 'baseline' | 'recurrent' | 'ensemble';
const FAMILY_WORDS: Record<Family, string> = { linear: 'The linear model', baseline: 'The embedding baseline', recurrent: 'A recurrent model', ensemble: 'The ensemble' };

function familyOf(e: LeaderboardEntry): Family {
  const m = String(e.settings.model);
  return m === 'linear' || m === 'baseline' || m === 'ensemble' ? m : 'recurrent';
}

/**
 * Plain words on which family won on validation macro-F1 and by how much over the best model of any other family
 * (a family: the linear model, the embedding baseline, the recurrent models, the ensemble).
 */
export function winnerSentence(ranked: readonly LeaderboardEntry[]): string {
  const scored = ranked.filter((e) => e.status !== 'failed' && e.validation && Number.isFinite(e.validation.macroF1));
  const best = scored[0];
  if (!best) return 'No model finished.';
  const family = familyOf(best);
  const runner = scored.find((e) => familyOf(e) !== family);
  const head = `${FAMILY_WORDS[family]} won: ${best.name} reached validation macro-F1 ${best.validation!.macroF1.toFixed(3)}`;
  if (!runner) return `${head}; no other family finished to compare with.`;
  const margin = best.validation!.macroF1 - runner.validation!.macroF1;
  const other = FAMILY_WORDS[familyOf(runner)].replace(/^(The|A) /, '');
  return `${head}, ${margin.toFixed(3)} above the best ${other} (${runner.name}, ${runner.validation!.macroF1.toFixed(3)}).`;
}

/** Checks the budget before anything trains. */
export function checkSearchBudget(options: SearchOptions): void {
  const budget = options.budgetSeconds ?? null;
  const maxTrials = options.trials ?? null;
  if (budget === null && maxTrials === null) {
    throw new TextbenchError('The automatic search needs a budget: --budget 15m (time) or --trials N.', 'BAD_OPTION', { field: 'budget' });
  }
  if (budget !== null && !(budget > 0)) throw new TextbenchError(`--budget must be positive; got ${budget} seconds.`, 'BAD_OPTION', { field: 'budget' });
  if (maxTrials !== null && !(Number.isInteger(maxTrials) && maxTrials >= 1)) {
    throw new TextbenchError(`--trials expects a whole number of at least 1; got ${maxTrials}.`, 'BAD_OPTION', { field: 'trials' });
  }
}

/** Runs the search on a project (TrainingService.autoSearch resolves it): `train --model auto --budget 15m`. */
export async function runAutoSearch(host: SearchHost, project: { id: string; name: string }, options: SearchOptions = {}): Promise<SearchResult> {
  checkSearchBudget(options);
  const log = options.log ?? (() => {});
  const budget = options.budgetSeconds ?? null;
  const maxTrials = options.trials ?? null;
  const families = options.families?.length ? options.families : DEFAULT_FAMILIES;
  const [r0, r1, r2] = options.rungs ?? [2, 6, 15];
  const keep = options.keep ?? 1 / 3;
  const seed = options.seed ?? 42;
  const rand = mulberry32(seed ^ 0x5ea4c);
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const stopped = () => options.signal?.aborted === true;
  const left = () => (budget === null ? Infinity : budget - elapsed());
  const trials: Trial[] = [];
  const common: TrainOptions = { ...options.fixed, project: project.id, seed, ...(options.backend ? { backend: options.backend } : {}) };

  /** Trains (or continues) one trial, stopping it when the budget runs out; `epochs` null: the model's own default. */
  const train = async (t: Trial, opts: TrainOptions | null, epochs: number | null, capSeconds = Infinity): Promise<void> => {
    const t0 = performance.now();
    let runId: string;
    if (opts) runId = host.start({ ...common, ...opts, ...(epochs === null ? {} : { epochs }), name: `auto: ${t.name}` }).run.id;
    else runId = host.resume(t.run!, { epochs: epochs! }).run.id;
    t.run = runId;
    t.epochsAsked = epochs ?? 0;
    const defaults = { model: t.reference ?? 'baseline', defaults: true };
    options.onTrialStart?.({ name: t.name, run: runId, settings: t.config ? { ...t.config } : defaults });
    let timer: NodeJS.Timeout | undefined;
    if (budget !== null || capSeconds !== Infinity) {
      const share = capSeconds < left();
      timer = setTimeout(() => {
        log(`auto: ${share ? 'its share of the budget' : 'budget'} reached, stopping ${t.name} (its best epoch so far is kept)`);
        void host.stop(runId).catch((err: unknown) => log(`auto: could not stop ${runId}: ${(err as Error).message}`));
      }, Math.max(0, Math.min(left(), capSeconds) * 1000));
    }
    try {
      t.result = await waitStoppable(host, runId, options.signal, log);
    } finally {
      if (timer) clearTimeout(timer);
    }
    t.seconds += (performance.now() - t0) / 1000;
    t.done = epochs === null || t.result.status !== 'finished' || t.result.epochs < epochs;
    let detail: RunDetail | null = null;
    try {
      detail = host.get(runId);
    } catch (err) {
      log(`auto: no stored details for ${t.name}: ${(err as Error).message}`);
    }
    const settings: LeaderboardEntry['settings'] = t.config ? { ...t.config } : defaults;
    t.entry = entryFromRun(t.name, t.config ? 'trial' : 'model', t.result, detail, settings, t.seconds);
    t.entry.seconds = Math.round(t.seconds * 10) / 10;
    options.onEntry?.(t.entry);
    log(
      `auto: ${t.name}: ${t.result.status}, ${t.result.epochs} epochs, validation macro-F1 ${valF1(t) >= 0 ? valF1(t).toFixed(3) : '-'} ` +
        `(${Math.round(t.seconds)}s; ${Math.round(elapsed())}s of ${budget === null ? 'no limit' : `${Math.round(budget)}s`} used)`,
    );
  };

  // 1. The default baseline: the reference every trial must beat.
  let baseline: Trial | null = null;
  if (options.baseline !== false) {
    baseline = { id: 0, name: 'baseline (defaults)', config: null, run: null, result: null, done: true, seconds: 0, epochsAsked: 0, entry: null, reference: 'baseline' };
    trials.push(baseline);
    log('auto: training the default baseline first');
    await train(baseline, { model: 'baseline' }, 30);
  }

  // The other models with their defaults: the linear model (it chooses its own settings by cross-validation) and
  // the first recurrent family searched (its preset: epochs from the train size, pooling, schedule).
  const references = options.references !== false;
  const reference = async (model: ModelName, capSeconds = Infinity): Promise<Trial> => {
    const t: Trial = { id: 0, name: `${model} (defaults)`, config: null, run: null, result: null, done: true, seconds: 0, epochsAsked: 0, entry: null, reference: model };
    trials.push(t);
    log(`auto: training ${model} with its defaults`);
    try {
      await train(t, { model }, null, capSeconds);
    } catch (err) {
      log(`auto: ${t.name} could not start: ${(err as Error).message}`);
    }
    return t;
  };
  let linearRef: Trial | null = null;
  if (references && families.includes('linear') && !stopped() && left() > 5) linearRef = await reference('linear');
  const firstRecurrent = families.find((f) => RECURRENT.includes(f as ModelName)) as ModelName | undefined;
  // At most 40% of the time left, so that random trials and the ensemble still get some (its best epoch is kept).
  if (references && firstRecurrent && !stopped() && left() > 5) await reference(firstRecurrent, 0.4 * left());
  const drawable = families.filter((f) => f !== 'linear');

  // 2.-3. Brackets of successive halving, repeated while the time budget lasts (one bracket with --trials):
  //   rung 0: random configurations for a few epochs each, within about 45% of the time left (a trial is started
  //           only if one like it still fits);
  //   then the best third continues to r1 epochs, and the best third of those to r2 (continued runs). Trials that
  //   early stopping ended are final and are not continued.
  const perTrial: number[] = [];
  let tried = 0;
  let bracket = 0;
  while (drawable.length && !stopped() && (maxTrials === null ? (bracket === 0 || left() > 30) && tried < 200 : tried < maxTrials)) {
    bracket++;
    if (bracket > 1) log(`auto: ${Math.round(left())}s left: another bracket of random trials`);
    const rung0End = budget === null ? Infinity : elapsed() + 0.45 * left();
    const rung0: Trial[] = [];
    while (!stopped() && (maxTrials === null || tried < maxTrials)) {
      const estimate = perTrial.length ? perTrial.reduce((a, b) => a + b, 0) / perTrial.length : 0;
      if (budget !== null && (elapsed() + estimate > rung0End || left() < 5) && rung0.length > 0) break;
      if (budget !== null && left() < 5) break;
      if (maxTrials === null && rung0.length >= 30) break;
      const config = sampleTrial(rand, families);
      tried++;
      const t: Trial = { id: tried, name: `trial ${tried}: ${describeTrial(config)}`, config, run: null, result: null, done: false, seconds: 0, epochsAsked: 0, entry: null };
      trials.push(t);
      rung0.push(t);
      try {
        await train(t, trialOptions(config, r0), r0);
      } catch (err) {
        t.done = true;
        log(`auto: ${t.name} could not start: ${(err as Error).message}`);
      }
      perTrial.push(t.seconds);
    }
    let pool = rung0;
    for (const [epochs, share] of [[r1, 0.75], [r2, 1]] as const) {
      const alive = pool.filter((t) => t.result && t.result.status === 'finished' && valF1(t) >= 0).sort((a, b) => valF1(b) - valF1(a));
      const next = alive.slice(0, Math.max(1, Math.ceil(alive.length * keep)));
      const stageEnd = budget === null ? Infinity : elapsed() + share * left();
      for (const t of next) {
        if (t.done) continue;
        if (stopped()) break;
        if (budget !== null && (elapsed() >= stageEnd || left() < 10)) break;
        log(`auto: continuing ${t.name} to ${epochs} epochs`);
        await train(t, null, epochs);
      }
      pool = next;
    }
    if (budget !== null && left() <= 30) break;
  }

  // The ensemble of the linear model and the recurrent runs (train/ensemble/: it fits its own linear member on
  // the train split and chooses the recurrent members by the cross-fitted validation score of the combination).
  // It costs about one linear fit; with a time budget it is trained only when that still fits.
  const recurrentDone = trials.some((t) => t.result && (t.result.status === 'finished' || t.result.status === 'stopped') && RECURRENT.includes((t.config?.model ?? t.reference) as ModelName));
  if (references && linearRef?.result?.status === 'finished' && recurrentDone && !stopped()) {
    if (budget === null || left() > 1.5 * linearRef.seconds + 5) await reference('ensemble');
    else log(`auto: no time left for the ensemble (it needs about ${Math.round(1.5 * linearRef.seconds)}s, ${Math.max(0, Math.round(left()))}s are left)`);
  }

  // 4. The leaderboard, by validation macro-F1 only; the test scores are shown, never used to choose.
  const entries = trials.filter((t) => t.entry).map((t) => t.entry!);
  const ranked = [...entries].sort((a, b) => (b.validation?.macroF1 ?? -1) - (a.validation?.macroF1 ?? -1));
  const best = ranked.find((e) => e.status !== 'failed' && e.validation) ?? null;
  const baseEntry = baseline?.entry ?? null;
  const recurrentEntries = entries.filter((e) => familyOf(e) === 'recurrent' && e.validation);
  const bestRecurrent = recurrentEntries.sort((a, b) => b.validation!.macroF1 - a.validation!.macroF1)[0] ?? null;
  let recurrentBeatBaseline: boolean | null = null;
  let versus: string;
  const f3 = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(3));
  if (!baseEntry?.validation) {
    versus = bestRecurrent ? `Best recurrent model: ${bestRecurrent.name} (validation macro-F1 ${f3(bestRecurrent.validation?.macroF1)}); no baseline to compare with.` : 'No baseline and no recurrent model finished.';
  } else if (!bestRecurrent) {
    versus = `No recurrent model was searched or finished within the budget; the baseline's validation macro-F1 is ${f3(baseEntry.validation.macroF1)}.`;
  } else {
    recurrentBeatBaseline = bestRecurrent.validation!.macroF1 > baseEntry.validation.macroF1;
    versus = recurrentBeatBaseline
      ? `Yes: a recurrent model beat the baseline on validation macro-F1: ${bestRecurrent.name} ${f3(bestRecurrent.validation!.macroF1)} vs ${f3(baseEntry.validation.macroF1)} ` +
        `(test ${f3(bestRecurrent.test?.macroF1)} vs ${f3(baseEntry.test?.macroF1)}).`
      : `No: no recurrent model beat the baseline on validation macro-F1 (best recurrent: ${bestRecurrent.name} ${f3(bestRecurrent.validation!.macroF1)} vs baseline ` +
        `${f3(baseEntry.validation.macroF1)}). On this data, with this budget, the simpler model is the better choice.`;
  }
  const verdict = `${winnerSentence(ranked)} ${versus}`;
  log(`auto: ${verdict}`);
  return {
    project: project.name,
    budget: { seconds: budget, trials: maxTrials },
    seconds: Math.round(elapsed()),
    leaderboard: ranked,
    baseline: baseEntry,
    best,
    run: best?.run ?? null,
    verdict,
    recurrentBeatBaseline,
  };
}
