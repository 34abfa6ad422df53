// Training an ensemble run: the linear model and one or more neural runs. The ensemble fits its own linear member
// on the neural runs' train split (a linear run learns from validation too: members.ts), with the linear preset's
// cross-validated choice of features, loss and C, and keeps it under its own run id (run_linear_models). Then the
// members' probabilities on the validation split calibrate each member (one temperature) and fit the mixture
// weights (combine.ts); validation and test are scored like any run's. Runs in the training worker. The fit is
// stored in the run's config (`ensemble`), naming the member runs, their weights and temperatures. Last, the linear
// member is fitted again on train + validation with the settings chosen (the weights are kept), and test is scored with it.
import type { Db } from '../../store/db.ts';
import * as runs from '../../store/runs.ts';
import type { EnsembleFit } from '../../store/runs.ts';
import { initBackend, type BackendName } from '../../compute/backend.ts';
import { TextbenchError } from '../../errors.ts';
import type { Evaluation, Split, SplitMetrics } from '../../../../shared/domain.ts';
import type { TrainResult } from '../../../../shared/training.ts';
import { labelIds, loadRunData, type RunData } from '../data.ts';
import type { SplitExample } from '../../store/examples.ts';
import { crossFittedProbabilities, ensembleProbabilities, fitEnsemble, logLoss, type FittedEnsemble } from './combine.ts';
import { alignColumns, candidateRuns, memberScores, resolveMembers, type MemberRun } from './members.ts';
import { argmax } from '../linear/select.ts';
import { macroF1 } from '../linear/metrics.ts';
import { evaluateProbabilities, type JobHooks } from '../outcome.ts';
import { resolveConfig } from '../config.ts';
import { linearOptions, loadRunLinearModel, TOP_NGRAMS } from '../linear/job.ts';
import { trainLinear } from '../linear/train.ts';
import { poolRunner } from '../linear/fit-pool.ts';
import { saveLinearModel } from '../../store/linearModels.ts';

/** A member as scored: a neural run, or the ensemble's own linear model (stored under the ensemble's run id). */
type Scored = Pick<MemberRun, 'id' | 'name' | 'model' | 'labels'>;

/** Name of the linear member the ensemble fits itself (on train, then again on train + validation). */
const OWN_LINEAR = 'linear (weights fitted on validation, refitted on train + validation)';

/** The members' probabilities on `examples`, each aligned to `labels`. */
async function memberProbabilities(db: Db, members: readonly Scored[], examples: readonly SplitExample[], labels: readonly string[]): Promise<Float64Array[]> {
  const texts = examples.map((e) => e.text);
  const out: Float64Array[] = [];
  for (const m of members) out.push(alignColumns(await memberScores(db, m, texts), m.labels, labels));
  return out;
}

/** How one candidate set of members scored: its out-of-fold (cross-fitted) validation log-loss and macro-F1. */
interface CandidateScore<M> {
  label: string;
  members: M[];
  linearAlone: boolean;
  loss: number;
  macroF1: number;
}

/**
 * Chooses the neural members by the validation score of the combination, never by each run's own score (a run
 * that is best alone can add least to the linear model) and never on test. When `choose` is false the named runs
 * are kept, and only the fall-back to the linear model alone is judged. Candidates: each run with the linear model,
 * all of them together, and the linear model alone. Each is scored on out-of-fold probabilities
 * (combine.ts: crossFittedProbabilities), by log-loss: on validation splits of a few dozen rows over many classes,
 * macro-F1 moves by whole classes from one example, while the log-loss averages over every row and is what the
 * weights are fitted to. Ties (within 1e-9) go to the simpler candidate (fewer members).
 */
export function chooseMembers<M extends Pick<MemberRun, 'name' | 'model'>>(
  candidates: readonly M[],
  validation: readonly Float64Array[],
  y: Int32Array,
  classes: number,
  choose: boolean,
  log: (line: string) => void,
): { members: M[]; linearAlone: boolean } {
  const linearProbs = validation[candidates.length]!;
  const sets: M[][] = choose ? candidates.map((m) => [m]) : [];
  if (candidates.length > 1 || !choose) sets.push([...candidates]);
  const score = (label: string, members: M[], probs: Float64Array[], linearAlone: boolean): CandidateScore<M> => {
    const oof = crossFittedProbabilities(probs, y, classes);
    return { label, members, linearAlone, loss: logLoss(oof, y, classes), macroF1: macroF1(y, argmaxRows(oof, classes), classes) };
  };
  const scores = sets.map((set) =>
    score(
      `linear + ${set.map((m) => `${m.name} (${m.model})`).join(' + ')}`,
      set,
      [...set.map((m) => validation[candidates.indexOf(m)]!), linearProbs],
      false,
    ),
  );
  const alone = score('linear alone', [], [linearProbs], true);
  log('  choosing members by the cross-fitted validation score of each combination (5 folds of the validation split):');
  for (const s of [...scores, alone]) log(`    ${s.label}: log-loss ${s.loss.toFixed(4)}, macro-F1 ${s.macroF1.toFixed(3)}`);
  const best = scores.reduce((a, b) => (b.loss < a.loss - 1e-9 ? b : a));
  if (alone.loss < best.loss - 1e-9) {
    log(`  the linear model alone scores best: ${best.label} is kept with weight 0 on its neural members`);
    return { members: best.members, linearAlone: true };
  }
  log(`  chose ${best.label}`);
  return { members: best.members, linearAlone: false };
}

function argmaxRows(probs: Float64Array, classes: number): Int32Array {
  return argmax(probs, probs.length / classes, classes);
}

/** The linear member (last) alone: weight 1, its own temperature; the others weigh 0. */
function linearOnly(validation: readonly Float64Array[], y: Int32Array, classes: number): FittedEnsemble {
  const full = fitEnsemble(validation, y, classes);
  const weights = validation.map((_, k) => (k === validation.length - 1 ? 1 : 0));
  return { ...full, weights, loss: logLoss(ensembleProbabilities(validation, { temperatures: full.temperatures, weights }, classes), y, classes) };
}

/** The project's splits exactly as the members saw them; refuses when the data changed since they trained. */
function memberData(db: Db, projectId: string, members: readonly MemberRun[]): RunData {
  const c = runs.getRunConfig(db, members[0]!.id);
  const data = loadRunData(db, projectId, { validationFraction: c.validationFraction, seed: c.seed, labels: members[0]!.labels });
  if (data.dataHash !== members[0]!.dataHash) {
    throw new TextbenchError(
      'The project’s examples, labels or splits changed since the member runs were trained, so their validation scores no longer describe this data. ' +
        'Train the members again, then the ensemble.',
      'ENSEMBLE_DATA_CHANGED',
      { field: 'runs' },
    );
  }
  return data;
}

function splitMetrics(e: Evaluation): SplitMetrics {
  return { accuracy: e.accuracy, macroF1: e.macroF1 };
}

export async function runEnsembleJob(db: Db, runId: string, hooks: JobHooks): Promise<TrainResult> {
  const log = hooks.log ?? (() => {});
  const summary = runs.getRunSummary(db, runId);
  let backendName = 'unknown';
  try {
    const config = runs.getRunConfig(db, runId);
    const backend = await initBackend((config.backend ?? undefined) as BackendName | undefined);
    backendName = backend.name;
    const refs = config.runs ?? candidateRuns(db, summary.projectId);
    if (!refs) {
      throw new TextbenchError(
        'This project has no finished neural run to combine with the linear model. Train a recurrent model first (e.g. `textbench train --model gru`), ' +
          'or name runs with --runs A,B.',
        'ENSEMBLE_TOO_SMALL',
        { field: 'runs' },
      );
    }
    const candidates = resolveMembers(db, summary.projectId, refs);
    const data = memberData(db, summary.projectId, candidates);
    if (!data.validation.length) throw new TextbenchError('The ensemble fits its weights on the validation split, and the project has none.', 'EMPTY_SPLIT', { split: 'validation' });
    const labels = data.labels;
    log(
      `ensemble of a linear model and ${config.runs ? '' : 'the best choice among '}${candidates.map((m) => `${m.name} (${m.model})`).join(', ')}; fitting on ${data.validation.length} validation examples`,
    );
    const started = { ...config, runs: candidates.map((m) => m.id), validationSource: data.validationSource };
    runs.markRunStarted(db, runId, { backend: backend.name, device: backend.device, pipeline: null, labels, dataHash: data.dataHash, config: started, findings: [] });

    log(`${OWN_LINEAR}: ${data.train.length} examples; cross-validation chooses its features, loss and C`);
    const linearConfig = resolveConfig({ model: 'linear', seed: config.seed, lowercase: config.lowercase });
    const { model: linear, report } = await trainLinear(
      data.train.map((e) => e.text),
      labelIds(data.train, labels),
      labels,
      linearOptions(linearConfig),
      { shouldStop: hooks.shouldStop, runner: poolRunner },
    );
    const { json, weights } = linear.toJSON();
    saveLinearModel(db, runId, { model: json, weights, search: report });
    log(`  chose ${report.chosen.featureSet}, ${report.chosen.loss}, C=${report.chosen.C}`);
    const own: Scored = { id: runId, name: OWN_LINEAR, model: 'linear', labels: linear.labels };

    const allValidation = await memberProbabilities(db, [...candidates, own], data.validation, labels);
    const choice = chooseMembers(candidates, allValidation, labelIds(data.validation, labels), labels.length, !config.runs, log);
    const members = choice.members;
    const scored: Scored[] = [...members, own];
    const validation = [...members.map((m) => allValidation[candidates.indexOf(m)]!), allValidation[candidates.length]!];
    const fitted = choice.linearAlone ? linearOnly(validation, labelIds(data.validation, labels), labels.length) : fitEnsemble(validation, labelIds(data.validation, labels), labels.length);
    const fit: EnsembleFit = {
      labels,
      members: scored.map((m, k) => ({ run: m.id, name: m.name, model: m.model, weight: fitted.weights[k]!, temperature: fitted.temperatures[k]!, validationLoss: fitted.memberLoss[k]! })),
      validationLoss: fitted.loss,
    };
    for (const m of fit.members) log(`  ${m.name}: weight ${m.weight.toFixed(3)}, temperature ${m.temperature.toFixed(3)}, calibrated validation log-loss ${m.validationLoss.toFixed(4)}`);
    log(`  combined validation log-loss ${fitted.loss.toFixed(4)}`);
    runs.setRunConfig(db, runId, { ...started, runs: members.map((m) => m.id), ensemble: fit });

    const valEval = evaluateProbabilities(ensembleProbabilities(validation, fitted, labels.length), data.validation, labels, runId, 'validation', db);
    // The linear member is fitted again on train + validation with the settings cross-validation chose, and the
    // weights and temperatures fitted above are kept: the final model learns from every labelled row the linear run
    // would (validation was needed only to fit the combination, and its score above is from the train-only fit).
    // On few examples per class this is worth more than the exactness of weights fitted to the train-only member.
    const both = [...data.train, ...data.validation];
    log(`  refitting the linear member on train + validation (${both.length} examples) with ${report.chosen.featureSet}, ${report.chosen.loss}, C=${report.chosen.C}`);
    const refitConfig = resolveConfig({ model: 'linear', seed: config.seed, lowercase: config.lowercase, features: report.chosen.featureSet, linearLoss: report.chosen.loss, C: report.chosen.C });
    const refit = await trainLinear(
      both.map((e) => e.text),
      labelIds(both, labels),
      labels,
      linearOptions(refitConfig),
      { shouldStop: hooks.shouldStop, runner: poolRunner },
    );
    const final = refit.model.toJSON();
    saveLinearModel(db, runId, { model: final.json, weights: final.weights, search: report });

    const testEval = data.test.length
      ? {
          ...evaluateProbabilities(ensembleProbabilities(await memberProbabilities(db, scored, data.test, labels), fitted, labels.length), data.test, labels, runId, 'test', db),
          // The n-grams that weigh most for each label in the ensemble's own linear member.
          ngrams: refit.model.topFeatures(TOP_NGRAMS),
        }
      : null;
    const metrics = { validation: splitMetrics(valEval), test: testEval ? splitMetrics(testEval) : null };
    runs.finishRun(db, runId, { status: 'finished', epochs: 0, bestEpoch: 0, metrics, evaluation: testEval, findings: [], actions: [] });
    hooks.emit({ type: 'run.finished', run: runId, status: 'finished', validation: metrics.validation, test: metrics.test });
    log(`finished: validation macro-F1 ${valEval.macroF1.toFixed(3)}${testEval ? `, test macro-F1 ${testEval.macroF1.toFixed(3)}` : ''}`);
    return {
      run: runId,
      status: 'finished',
      backend: backend.name,
      device: backend.device.label,
      model: 'ensemble',
      epochs: 0,
      bestEpoch: 0,
      validation: metrics.validation,
      test: metrics.test ?? { accuracy: NaN, macroF1: NaN },
      findings: [],
      actions: [],
      // No epochs of its own: the members trained as their own runs.
      samplesPerSecond: null,
      threads: null,
    };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    runs.failRun(db, runId, message);
    hooks.emit({ type: 'run.failed', run: runId, error: message });
    if (err instanceof Error) (err as Error & { backend?: string }).backend = backendName;
    throw err;
  }
}

/** An ensemble run's evaluation on one split, recomputed from its members (textbench evaluate RUN). */
export async function evaluateEnsembleRun(db: Db, runId: string, fit: EnsembleFit, split: Split): Promise<Evaluation> {
  const summary = runs.getRunSummary(db, runId);
  const neural = resolveMembers(
    db,
    summary.projectId,
    fit.members.filter((m) => m.run !== runId).map((m) => m.run),
  );
  const data = memberData(db, summary.projectId, neural);
  const examples = data[split];
  if (!examples.length) throw new TextbenchError(`The project has no examples in its ${split} split to evaluate on.`, 'EMPTY_SPLIT', { split });
  const scored: Scored[] = fit.members.map((m) => (m.run === runId ? { id: runId, name: m.name, model: 'linear', labels: fit.labels } : neural.find((n) => n.id === m.run)!));
  const probs = ensembleProbabilities(await memberProbabilities(db, scored, examples, fit.labels), { temperatures: fit.members.map((m) => m.temperature), weights: fit.members.map((m) => m.weight) }, fit.labels.length);
  return { ...evaluateProbabilities(probs, examples, fit.labels, runId, split, db), ngrams: loadRunLinearModel(db, runId).topFeatures(TOP_NGRAMS) };
}
