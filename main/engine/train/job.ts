// One training run from start (or resume) to its stored evaluation. Runs inside the training worker, which owns
// TensorFlow.js; it writes to the workspace through its own SQLite connection (WAL), one transaction per epoch.
import * as tf from '@tensorflow/tfjs';
import type { Db } from '../store/db.ts';
import * as runs from '../store/runs.ts';
import { initBackend, type BackendName } from '../compute/backend.ts';
import { placeModel, type Trial } from '../compute/webgpu/placement.ts';
import { pipelineFromJSON } from '../text/pipeline.ts';
import type { TextPipeline } from '../text/types.ts';
import type { Evaluation, Finding, Split, SplitMetrics } from '../../../shared/domain.ts';
import { runSamplesPerSecond, type RunDetail, type TrainResult } from '../../../shared/training.ts';
import { loadRunData, labelIds, summarize } from './data.ts';
import { buildNeuralModel, loopSettings, MODEL_FAMILY, prepareRun, type PreparedRun } from './prepare.ts';
import { batchTensors, trainLoop, predictProbabilities, type LoopDataset, type LoopState } from './loop.ts';
import { modelFromArtifacts, modelToArtifacts } from './artifacts.ts';
import { createDoctor } from './doctor/index.ts';
import type { SplitExample } from '../store/examples.ts';
import { isTextbenchError, TextbenchError } from '../errors.ts';
import { runLinearEvaluation, runLinearJob } from './linear/job.ts';
import { evaluateProbabilities, type JobHooks } from './outcome.ts';

/** At most one batch event per this many milliseconds (the last batch of an epoch always goes out). */
const BATCH_EVENT_MS = 100;

function encodeFor(pipeline: TextPipeline, examples: readonly SplitExample[], labels: readonly string[]): LoopDataset {
  return { inputs: pipeline.encode(examples.map((e) => e.text), 'truncate').inputs, labels: labelIds(examples, labels) };
}

/** The run's network on its first batch, for placeModel's race (pretrained or pretraining vectors left out: not loaded or learned twice). */
function trialOf(prep: PreparedRun, train: LoopDataset): Trial {
  const idx = Int32Array.from({ length: Math.min(prep.config.batchSize, train.labels.length) }, (_, i) => i);
  return {
    build: () => buildNeuralModel({ ...prep, config: { ...prep.config, vectors: null, pretrain: 'none' } }),
    batch: () => ({ xs: batchTensors(train.inputs, idx), labels: tf.tensor1d(Int32Array.from(idx, (i) => train.labels[i]!), 'int32') }),
    classes: prep.data.labels.length,
  };
}

function splitMetrics(e: { accuracy: number; macroF1: number }): SplitMetrics {
  return { accuracy: e.accuracy, macroF1: e.macroF1 };
}

/** Accuracy, F1s, per-class metrics, confusion matrix and the most confident mistakes of a model on examples. */
export async function evaluateModel(model: tf.LayersModel, pipeline: TextPipeline, examples: readonly SplitExample[], labels: string[], run: string, split: Split, db?: Db): Promise<Evaluation> {
  const data = encodeFor(pipeline, examples, labels);
  return evaluateProbabilities(await predictProbabilities(model, data.inputs), examples, labels, run, split, db);
}

/** Trains (or resumes) a run to its stored evaluation, by the training path of its model family (prepare.ts). */
export async function runTrainingJob(db: Db, runId: string, hooks: JobHooks, options: { resume: boolean }): Promise<TrainResult> {
  const config = runs.getRunConfig(db, runId);
  switch (MODEL_FAMILY[config.model]) {
    case 'neural':
      return runNeuralJob(db, runId, hooks, options);
    case 'linear':
      return runLinearJob(db, runId, hooks, options);
    case 'ensemble': {
      const { runEnsembleJob } = await import('./ensemble/job.ts');
      return runEnsembleJob(db, runId, hooks);
    }
  }
}

async function runNeuralJob(db: Db, runId: string, hooks: JobHooks, options: { resume: boolean }): Promise<TrainResult> {
  const log = hooks.log ?? (() => {});
  const summary = runs.getRunSummary(db, runId);
  let backendName = 'unknown';
  let model: tf.LayersModel | undefined;
  let bestWeights: tf.Tensor[] | undefined;
  try {
    const settings = runs.getRunConfig(db, runId);
    let backend = await initBackend((settings.backend ?? undefined) as BackendName | undefined, { kernels: { threads: settings.threads ?? undefined } });
    backendName = backend.name;
    // The wasm device label counts the recurrent kernels' threads already; on cpu they are said here.
    const threads = backend.threads && backend.name !== 'wasm' ? `, recurrent layers on ${backend.threads} thread${backend.threads === 1 ? '' : 's'}` : '';
    log(`backend: ${backend.name}, ${backend.device.label}${threads}${backend.skipped.length ? ` (skipped ${backend.skipped.map((s) => s.name).join(', ')})` : ''}`);
    const stored = options.resume ? runs.getRunPipeline(db, runId) : null;
    const prep = prepareRun(db, summary.projectId, settings, { stored, log });
    const { config, data, pipeline } = prep;
    const train = encodeFor(pipeline, data.train, data.labels);
    const validation = encodeFor(pipeline, data.validation, data.labels);
    // An automatic GPU choice is kept for a model without a recurrence only where it measures faster.
    if (!settings.backend) {
      backend = await placeModel(backend, trialOf(prep, train), log);
      backendName = backend.name;
    }

    let resumeState: LoopState | undefined;
    if (options.resume) {
      const last = runs.loadCheckpoint(db, runId, 'last');
      if (!last) throw new TextbenchError(`Run ${runId} has no checkpoint to resume from: it never finished an epoch. Start a new run.`, 'NO_CHECKPOINT', { run: runId });
      model = await modelFromArtifacts(last.artifacts);
      resumeState = last.state as LoopState;
      const best = runs.loadCheckpoint(db, runId, 'best');
      if (best && config.earlyStop !== 'none') {
        const m = await modelFromArtifacts(best.artifacts);
        bestWeights = m.getWeights().map((w) => tf.keep(w.clone()));
        m.dispose();
      }
      log(`resuming after epoch ${resumeState.epoch}`);
    } else {
      model = await buildNeuralModel(prep, {
        log,
        onPretrain: (p) => hooks.emit({ type: 'training.pretrain', run: runId, ...p }),
        shouldStop: hooks.shouldStop,
      });
    }

    const doctor = createDoctor({ repair: config.repair });
    const findings = options.resume ? runs.getRunDetail(db, runId).findings : doctor.beforeTraining(summarize(data));
    if (!options.resume) for (const f of findings) hooks.emit({ type: 'training.finding', run: runId, finding: f });
    runs.markRunStarted(db, runId, {
      backend: backend.name,
      device: backend.device,
      pipeline: pipeline.toJSON(),
      labels: data.labels,
      dataHash: data.dataHash,
      // The thread count the recurrent kernels ran on (null where they do not serve this backend).
      config: { ...config, threads: backend.threads ?? null, validationSource: data.validationSource },
      findings: initialPlus(findings, resumeState?.findings ?? []),
    });

    let lastBatchEvent = 0;
    const result = await trainLoop(
      model,
      train,
      validation,
      data.labels,
      loopSettings(config),
      {
        doctor,
        resume: resumeState ? { state: resumeState, bestWeights } : undefined,
        hooks: {
          shouldStop: hooks.shouldStop,
          onBatch(p) {
            const now = performance.now();
            if (p.batch !== p.batches && now - lastBatchEvent < BATCH_EVENT_MS) return;
            lastBatchEvent = now;
            hooks.emit({ type: 'training.batch', run: runId, ...p });
          },
          onEpoch(metrics, etaSeconds) {
            hooks.emit({ type: 'training.epoch', run: runId, metrics, etaSeconds });
          },
          onFinding(finding) {
            hooks.emit({ type: 'training.finding', run: runId, finding });
          },
          onAction(action) {
            hooks.emit({ type: 'training.action', run: runId, action });
          },
          async checkpoint({ best, state, model: m }) {
            const artifacts = await modelToArtifacts(m);
            const allFindings = initialPlus(findings, state.findings);
            runs.recordEpoch(db, runId, {
              metrics: state.history[state.history.length - 1]!,
              bestEpoch: state.bestEpoch,
              findings: allFindings,
              actions: state.actions,
              checkpoint: { artifacts, state, best },
            });
          },
        },
      },
    );

    // The model now holds the weights the run keeps (best epoch, or last): evaluate those.
    const valEval = await evaluateModel(model, pipeline, data.validation, data.labels, runId, 'validation', db);
    const testEval = data.test.length ? await evaluateModel(model, pipeline, data.test, data.labels, runId, 'test', db) : null;
    const allFindings = initialPlus(findings, result.state.findings);
    const status = result.status;
    runs.finishRun(db, runId, {
      status,
      epochs: result.epochs,
      bestEpoch: result.bestEpoch,
      metrics: { validation: splitMetrics(valEval), test: testEval ? splitMetrics(testEval) : null },
      evaluation: testEval,
      findings: allFindings,
      actions: result.state.actions,
    });
    const out: TrainResult = {
      run: runId,
      status,
      backend: backend.name,
      device: backend.device.label,
      model: summary.model,
      epochs: result.epochs,
      bestEpoch: result.bestEpoch,
      validation: splitMetrics(valEval),
      test: testEval ? splitMetrics(testEval) : { accuracy: NaN, macroF1: NaN },
      findings: allFindings,
      actions: result.state.actions,
      samplesPerSecond: runSamplesPerSecond(result.state.history),
      threads: backend.threads ?? null,
    };
    hooks.emit({ type: 'run.finished', run: runId, status, validation: out.validation, test: testEval ? out.test : null });
    log(`${status}: ${result.epochs} epochs (${result.stoppedBy}), best epoch ${result.bestEpoch}`);
    return out;
  } catch (caught) {
    const err = isTextbenchError(caught) && caught.code === 'gpu_out_of_memory' ? withResumeCommand(caught, runId, runs.getRunDetail(db, runId)) : caught;
    const message = err instanceof Error ? err.message : String(err);
    runs.failRun(db, runId, message);
    hooks.emit({ type: 'run.failed', run: runId, error: message });
    if (err instanceof Error) (err as Error & { backend?: string }).backend = backendName;
    throw err;
  } finally {
    if (bestWeights) tf.dispose(bestWeights);
    model?.dispose();
  }
}

/**
 * The GPU ran out of memory: say with which batch size, and give the commands that start the run again with half
 * the batch or continue it (from its last checkpoint) on the CPU.
 */
export function withResumeCommand(err: TextbenchError, runId: string, run: RunDetail): TextbenchError {
  const batch = run.config.batchSize;
  const resume = run.hasCheckpoint ? ` Or continue it on the CPU from epoch ${run.epochs}: textbench train --resume ${runId} --backend wasm.` : '';
  return new TextbenchError(`${err.message} This run used batches of ${batch}: try --batch-size ${Math.max(1, Math.floor(batch / 2))}.${resume}`, err.code, {
    ...err.details,
    run: runId,
    batchSize: batch,
    resumable: run.hasCheckpoint,
  });
}

/** Findings from before training (data checks) come first; the loop's findings follow, without repeats on resume. */
function initialPlus(initial: readonly Finding[], loop: readonly Finding[]): Finding[] {
  const seen = new Set(initial.map((f) => JSON.stringify(f)));
  return [...initial, ...loop.filter((f) => !seen.has(JSON.stringify(f)))];
}

/** Evaluates a run's kept weights on one split (the test evaluation is also stored with the run). */
export async function runEvaluationJob(db: Db, runId: string, split: Split, backend?: string): Promise<Evaluation> {
  if (MODEL_FAMILY[runs.getRunConfig(db, runId).model] === 'linear') return runLinearEvaluation(db, runId, split);
  await initBackend(backend as BackendName | undefined);
  const fit = runs.getRunConfig(db, runId).ensemble;
  if (fit) {
    const { evaluateEnsembleRun } = await import('./ensemble/job.ts');
    return evaluateEnsembleRun(db, runId, fit, split);
  }
  const { artifacts, pipeline: pj, labels, summary, config } = runs.loadRunModel(db, runId);
  const pipeline = pipelineFromJSON(pj);
  const data = loadRunData(db, summary.projectId, { validationFraction: config.validationFraction, seed: config.seed, labels });
  const model = await modelFromArtifacts(artifacts);
  try {
    const examples = data[split];
    if (!examples.length) throw new TextbenchError(`The project has no examples in its ${split} split to evaluate on.`, 'EMPTY_SPLIT', { split });
    return await evaluateModel(model, pipeline, examples, labels, runId, split, db);
  } finally {
    model.dispose();
  }
}
