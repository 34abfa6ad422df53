// A linear run from start to its stored evaluation, inside the training worker. Cross-validation chooses the
// settings, so the model needs no held-out validation split: it learns from every labelled example outside
// the test split (train and validation together, as a scikit-learn user fits on the whole train file) and
// reports the chosen setting's cross-validated predictions as its validation figures. (The importer carves a
// validation split out of train when a file has none, for the neural models' early stopping; holding it out
// here would cost the linear model a tenth of its data.) Deterministic: the run's seed changes nothing.
// Everything the run keeps (model, search table, predictions, metrics) is written in one transaction at the
// end, so a stopped or failed run leaves nothing half-stored.
import type { Db } from '../../store/db.ts';
import * as runs from '../../store/runs.ts';
import { saveLinearModel } from '../../store/linearModels.ts';
import { saveRunPredictions } from '../../store/runPredictions.ts';
import type { SplitExample } from '../../store/examples.ts';
import type { Evaluation, Split, SplitMetrics } from '../../../../shared/domain.ts';
import type { TrainingConfig, TrainResult } from '../../../../shared/training.ts';
import type { DeviceInfo } from '../../../../shared/compute.ts';
import { TextbenchError } from '../../errors.ts';
import { buildEvaluation } from '../../evaluate/report.ts';
import { classificationReport } from '../../evaluate/metrics.ts';
import { softmaxRows } from '../../evaluate/calibration.ts';
import { loadRunData, labelIds, summarize, type RunData } from '../data.ts';
import { createDoctor } from '../doctor/index.ts';
import type { JobHooks } from '../outcome.ts';
import { DEFAULT_LINEAR, DEFAULT_SEARCH, trainLinear, type LinearProgress, type LinearTrainOptions } from './train.ts';
import { SearchStopped } from './select.ts';
import { LinearModel } from './model.ts';
import { loadLinearModel } from '../../store/linearModels.ts';
import { poolRunner } from './fit-pool.ts';

/** What the worker records as the run's backend: the solvers are WebAssembly on the CPU. */
export const LINEAR_BACKEND = 'wasm';
/** Where a linear run computes, whatever backend the neural models would use (runs.device). */
export const LINEAR_DEVICE: DeviceInfo = {
  kind: 'cpu',
  label: 'CPU: WebAssembly linear solver',
  note: 'The linear model is fitted by exact coordinate-descent solvers on the CPU (one worker thread per core during cross-validation); it does not use the GPU.',
};

/** At most one progress event per this many milliseconds (the first and last of a phase always go out). */
const PROGRESS_EVENT_MS = 100;

/** The training options of a linear run, from its resolved config: 'auto' and a null C mean "let CV choose". */
export function linearOptions(config: TrainingConfig): LinearTrainOptions {
  return {
    ...DEFAULT_LINEAR,
    search: {
      C: config.C !== null ? [config.C] : DEFAULT_SEARCH.C,
      losses: config.linearLoss === 'auto' ? DEFAULT_SEARCH.losses : [config.linearLoss],
      featureSets: config.features === 'auto' ? DEFAULT_SEARCH.featureSets : [config.features],
    },
    folds: config.cvFolds,
    classWeights: config.classWeights,
    tfidf: { minDf: config.minDf, lowercase: config.lowercase },
  };
}

function splitMetrics(e: { accuracy: number; macroF1: number }): SplitMetrics {
  return { accuracy: e.accuracy, macroF1: e.macroF1 };
}

/** N-grams per class and sign in an Evaluation: enough to read what a class is about, small enough to store. */
export const TOP_NGRAMS = 15;

/** The model's Evaluation on some examples (with its top n-grams per class), and its probabilities (to store as the run's predictions). */
export function evaluateLinear(model: LinearModel, examples: readonly SplitExample[], run: string, split: Split): { evaluation: Evaluation; probabilities: Float64Array } {
  const probabilities = model.predictProba(examples.map((e) => e.text));
  const truth = labelIds(examples, model.labels);
  const evaluation = { ...buildEvaluation({ run, split, labels: model.labels, examples, truth, probabilities }), ngrams: model.topFeatures(TOP_NGRAMS) };
  return { evaluation, probabilities };
}

export async function runLinearJob(db: Db, runId: string, hooks: JobHooks, options: { resume: boolean }): Promise<TrainResult> {
  const log = hooks.log ?? (() => {});
  const summary = runs.getRunSummary(db, runId);
  try {
    const config = runs.getRunConfig(db, runId);
    // A linear run is deterministic: "resuming" a stopped one trains it again from the start on the same data.
    if (options.resume) log('linear runs have no epochs to resume from: training again from the start (same data, same model)');
    const data = linearRunData(db, summary.projectId, config);
    log(`data: ${data.train.length} train (train and validation splits), ${data.test.length} test, ${data.labels.length} labels; validation figures come from ${config.cvFolds}-fold cross-validation`);
    const doctor = createDoctor({ repair: config.repair });
    const findings = doctor.beforeTraining(summarize(data));
    for (const f of findings) hooks.emit({ type: 'training.finding', run: runId, finding: f });
    runs.markRunStarted(db, runId, {
      backend: LINEAR_BACKEND,
      device: LINEAR_DEVICE,
      pipeline: null,
      labels: data.labels,
      dataHash: data.dataHash,
      config: { ...config, validationSource: data.validationSource },
      findings,
    });

    const started = performance.now();
    let last = 0;
    let lastPhase = '';
    const onProgress = (p: LinearProgress) => {
      const now = performance.now();
      if (p.phase === lastPhase && p.done !== p.total && now - last < PROGRESS_EVENT_MS) return;
      last = now;
      lastPhase = p.phase;
      const etaSeconds = p.phase === 'search' && p.done > 0 ? ((now - started) / 1000 / p.done) * (p.total - p.done) : null;
      hooks.emit({ type: 'training.progress', run: runId, ...p, etaSeconds });
    };
    const texts = data.train.map((e) => e.text);
    const y = labelIds(data.train, data.labels);
    const settings = linearOptions(config);
    const { model, cv, report } = await trainLinear(texts, y, data.labels, settings, { onProgress, shouldStop: hooks.shouldStop, runner: poolRunner });
    log(
      `chose ${report.chosen.featureSet}, ${report.chosen.loss === 'svm' ? 'SVM' : 'logistic regression'}, C=${report.chosen.C} (cross-validated macro-F1 ${cv.best.macroF1.toFixed(4)}); ` +
        `${report.cost.fits} fits, ${(report.cost.totalMs / 1000).toFixed(1)} s of CPU`,
    );

    const test = data.test.length ? evaluateLinear(model, data.test, runId, 'test') : null;
    // Validation figures: the chosen setting's out-of-fold predictions, calibrated as the model is.
    const validationMetrics = splitMetrics(classificationReport(data.labels, y, softmaxRows(cv.oof, y.length, data.labels.length, report.calibration.factor)));
    const { json, weights } = model.toJSON();
    db.transaction(() => {
      saveLinearModel(db, runId, { model: json, weights, search: report });
      if (test) saveRunPredictions(db, runId, { split: 'test', exampleIds: data.test.map((e) => e.id), truth: labelIds(data.test, data.labels), probabilities: test.probabilities, classes: data.labels.length });
      runs.finishRun(db, runId, {
        status: 'finished',
        epochs: 0,
        bestEpoch: 0,
        metrics: { validation: validationMetrics, test: test ? splitMetrics(test.evaluation) : null },
        evaluation: test?.evaluation ?? null,
        findings,
        actions: [],
      });
    }).immediate();
    const out: TrainResult = {
      run: runId,
      status: 'finished',
      backend: LINEAR_BACKEND,
      device: LINEAR_DEVICE.label,
      model: summary.model,
      epochs: 0,
      bestEpoch: 0,
      validation: validationMetrics,
      test: test ? splitMetrics(test.evaluation) : { accuracy: NaN, macroF1: NaN },
      findings,
      actions: [],
      // No epochs of samples: the linear model's time goes into cross-validation.
      samplesPerSecond: null,
      threads: null,
    };
    hooks.emit({ type: 'run.finished', run: runId, status: 'finished', validation: out.validation, test: test ? out.test : null });
    return out;
  } catch (err) {
    if (err instanceof SearchStopped) {
      runs.finishRun(db, runId, { status: 'stopped', epochs: 0, bestEpoch: 0, metrics: { validation: null, test: null }, evaluation: null, findings: [], actions: [] });
      hooks.emit({ type: 'run.finished', run: runId, status: 'stopped', validation: null, test: null });
      log('stopped during cross-validation: nothing was kept; `textbench resume` trains the run again from the start');
      return { run: runId, status: 'stopped', backend: LINEAR_BACKEND, device: LINEAR_DEVICE.label, model: summary.model, epochs: 0, bestEpoch: 0, validation: { accuracy: NaN, macroF1: NaN }, test: { accuracy: NaN, macroF1: NaN }, findings: [], actions: [], samplesPerSecond: null, threads: null };
    }
    const message = err instanceof Error ? err.message : String(err);
    runs.failRun(db, runId, message);
    hooks.emit({ type: 'run.failed', run: runId, error: message });
    if (err instanceof Error) (err as Error & { backend?: string }).backend = LINEAR_BACKEND;
    throw err;
  }
}

/** The linear model's data: train and validation together as its train split (see the top of this file). */
export function linearRunData(db: Db, projectId: string, config: TrainingConfig, labels?: string[]): RunData {
  const data = loadRunData(db, projectId, { validationFraction: config.validationFraction, seed: config.seed, labels, holdOut: false });
  return { ...data, train: [...data.train, ...data.validation], validation: [], validationSource: 'cross-validation' };
}

/** A linear run's stored model, or a clear error when it has none (still training, stopped or failed). */
export function loadRunLinearModel(db: Db, runId: string): LinearModel {
  const stored = loadLinearModel(db, runId);
  if (!stored) {
    const s = runs.getRunSummary(db, runId);
    throw new TextbenchError(`Run ${runId} has no trained linear model (status: ${s.status}). Train it to the end, or pick another run.`, 'RUN_NOT_TRAINED', { run: runId });
  }
  return LinearModel.fromJSON(stored.model, stored.weights);
}

/** Evaluates a linear run's model on one split (and stores its predictions there). */
export function runLinearEvaluation(db: Db, runId: string, split: Split): Evaluation {
  const model = loadRunLinearModel(db, runId);
  const summary = runs.getRunSummary(db, runId);
  const config = runs.getRunConfig(db, runId);
  if (split === 'validation') {
    throw new TextbenchError(
      `Run ${runId} is a linear run: it learned from the validation split too (cross-validation chose its settings), so its validation figures are the cross-validated ones shown with the run. Evaluate it on test, or on train.`,
      'LINEAR_NO_VALIDATION',
      { run: runId, split },
    );
  }
  const data = linearRunData(db, summary.projectId, config, model.labels);
  const examples = data[split];
  if (!examples.length) throw new TextbenchError(`The project has no examples in its ${split} split to evaluate on.`, 'EMPTY_SPLIT', { split });
  const { evaluation, probabilities } = evaluateLinear(model, examples, runId, split);
  saveRunPredictions(db, runId, { split, exampleIds: examples.map((e) => e.id), truth: labelIds(examples, model.labels), probabilities, classes: model.labels.length });
  return evaluation;
}
