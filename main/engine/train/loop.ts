// The custom training loop (not model.fit): class weights, top-k loss, label smoothing, clipping by global norm,
// early stopping with restore of the best weights, per-epoch checkpoints, cancellation, and the training doctor's
// measurements and repairs. It runs in-process (tests, lr-find, search) and inside the training worker.
import * as tf from '@tensorflow/tfjs';
import { adam, globalNorm } from '../compute/adam.ts';
import type { EncodedInput } from '../text/types.ts';
import type { DoctorAction, Finding, TrainingEpoch } from '../../../shared/domain.ts';
import type { ClassWeightsMode, EarlyStopMonitor, OptimizerName, TrainingConfig } from '../../../shared/training.ts';
import type { TrainingBatchEvent } from '../../../shared/events.ts';
import type { DoctorDecision, DoctorVerdict, TrainingDoctor } from './doctor/types.ts';
import { balancedClassWeights, perExampleCrossEntropy, trainingLoss } from './losses.ts';
import { classificationReport, predictionEntropy } from '../evaluate/metrics.ts';
import { deriveSeed, mulberry32, seedMathRandom, shuffled } from './rng.ts';
import { acceptsAnyLength, batchWidth, bucketedBatches, rowLengths, trimWidth } from './buckets.ts';
import { lrFactor } from './schedule.ts';

/** The part of a run's config the loop itself acts on (`repair`: carry out the doctor's decisions). */
export type LoopSettings = Pick<
  TrainingConfig,
  'batchSize' | 'optimizer' | 'learningRate' | 'loss' | 'k' | 'classWeights' | 'labelSmoothing' | 'clipNorm' | 'earlyStop' | 'seed' | 'repair'
> & {
  /** Epochs at most, and the patience of early stopping: numbers here (prepare.ts resolves the data-dependent ones). */
  epochs: number;
  patience: number;
  /** Shape of each step's learning rate around the run's rate (default constant). */
  schedule?: TrainingConfig['schedule'];
  /** Decoupled weight decay (AdamW, Loshchilov & Hutter 2019) on every kernel and embedding; 0 = off (default). */
  weightDecay?: number;
};

export interface LoopDataset {
  /** Encoded inputs in the model's input order; row i belongs to labels[i]. */
  inputs: EncodedInput[];
  labels: Int32Array;
}

/** Everything besides the weights that a resumed run needs; stored as run_checkpoints.state. */
export interface LoopState {
  /** Completed epochs. */
  epoch: number;
  learningRate: number;
  clipNorm: number | null;
  classWeights: ClassWeightsMode;
  bestEpoch: number;
  bestMetric: number | null;
  sinceBest: number;
  history: TrainingEpoch[];
  findings: Finding[];
  actions: DoctorAction[];
  /** Shuffling and dropout streams are derived from (seed, epoch), so the epoch number is the whole RNG state. */
  rng: { seed: number; epoch: number };
  /** Adam/RMSprop moment estimates are not saved: a resumed run starts them afresh (one warm-up epoch's worth). */
  optimizer: { name: OptimizerName; slots: 'reset-on-resume' };
}

/** A batch's progress: the training.batch event (shared/events.ts) before the run's id is put on it. */
export type BatchProgress = Omit<TrainingBatchEvent, 'type' | 'run'>;

export interface LoopHooks {
  onBatch?(p: BatchProgress): void;
  onEpoch?(metrics: TrainingEpoch, etaSeconds: number | null): void;
  onFinding?(finding: Finding): void;
  onAction?(action: DoctorAction): void;
  /** After every epoch, with the model holding that epoch's weights; `best` when it is the new best epoch. */
  checkpoint?(c: { epoch: number; best: boolean; state: LoopState; model: tf.LayersModel }): Promise<void> | void;
  /** Polled before every batch; true ends the run as 'stopped' (the unfinished epoch is dropped). */
  shouldStop?(): boolean;
}

export interface LoopOptions {
  doctor?: TrainingDoctor;
  /** Continue a checkpointed run: its state and, if early stopping tracks one, the best epoch's weights. */
  resume?: { state: LoopState; bestWeights?: tf.Tensor[] };
  hooks?: LoopHooks;
}

export interface LoopResult {
  status: 'finished' | 'stopped';
  /** Completed epochs. */
  epochs: number;
  /** The epoch whose weights the model holds at the end (0 if none completed). */
  bestEpoch: number;
  state: LoopState;
  stoppedBy: 'epochs' | 'early-stopping' | 'doctor' | 'user';
}

type Optimizer = tf.Optimizer & { learningRate?: number; setLearningRate?: (lr: number) => void };

export function makeOptimizer(name: OptimizerName, learningRate: number): Optimizer {
  if (name === 'sgd') return tf.train.sgd(learningRate) as unknown as Optimizer;
  if (name === 'rmsprop') return tf.train.rmsprop(learningRate) as unknown as Optimizer;
  return adam(learningRate) as unknown as Optimizer; // tf.train.adam's numbers in one pass per variable (compute/adam.ts)
}

function setLearningRate(opt: Optimizer, lr: number): void {
  // SGD caches -lr in a tensor and exposes setLearningRate; Adam and RMSprop read the field on every step.
  if (typeof opt.setLearningRate === 'function') opt.setLearningRate(lr);
  else opt.learningRate = lr;
}

/**
 * Rows `idx` of each input as tensors (the caller disposes them). `columns` keeps only the last that many columns
 * of a [rows, L] input: a length bucket's batch trimmed to its longest (left-padded) row.
 */
export function batchTensors(inputs: readonly EncodedInput[], idx: ArrayLike<number>, columns?: number): tf.Tensor[] {
  return inputs.map((inp) => {
    const width = inp.shape.slice(1).reduce((a, b) => a * b, 1);
    const keep = columns !== undefined && inp.shape.length === 2 ? Math.min(columns, width) : width;
    const skip = width - keep;
    const out = inp.dtype === 'int32' ? new Int32Array(idx.length * keep) : new Float32Array(idx.length * keep);
    for (let i = 0; i < idx.length; i++) out.set(inp.data.subarray(idx[i]! * width + skip, (idx[i]! + 1) * width), i * keep);
    return tf.tensor(out, keep === width ? [idx.length, ...inp.shape.slice(1)] : [idx.length, keep], inp.dtype);
  });
}

function rows(inputs: readonly EncodedInput[]): number {
  return inputs[0]?.shape[0] ?? 0;
}

/**

 * Class probabilities for every row, in chunks, as one flat [n × classes] array. A model that takes any length
 * gets its rows in order of length, each chunk trimmed to its longest row (same outputs, less padding). Numbers
 * come back from the backend asynchronously: the webgpu backend cannot read GPU memory synchronously in Node.
 */
export async function predictProbabilities(model: tf.LayersModel, inputs: readonly EncodedInput[], chunk = 256): Promise<Float32Array> {
  const n = rows(inputs);
  const classes = (model.outputs[0]!.shape[1] as number) ?? 0;
  const out = new Float32Array(n * classes);
  const lengths = acceptsAnyLength(model, inputs) ? rowLengths(inputs[0]!) : null;
  const order = lengths ? Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => lengths[a]! - lengths[b]!) : null;
  for (let s = 0; s < n; s += chunk) {
    const idx = order ? order.subarray(s, Math.min(n, s + chunk)) : Int32Array.from({ length: Math.min(chunk, n - s) }, (_, i) => s + i);
    const xs = batchTensors(inputs, idx, lengths ? trimWidth(batchWidth(lengths, idx), tf.getBackend()) : undefined);
    const p = tf.tidy(() => model.predict(xs.length === 1 ? xs[0]! : xs) as tf.Tensor);
    const values = (await p.data()) as Float32Array;
    if (order) for (let i = 0; i < idx.length; i++) out.set(values.subarray(i * classes, (i + 1) * classes), idx[i]! * classes);
    else out.set(values, s * classes);
    p.dispose();
    tf.dispose(xs);
  }
  return out;
}

/** Weights decoupled weight decay shrinks: kernels and embeddings (rank ≥ 2), not biases or norm gains. */
function decayedVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.filter((w) => w.shape.length >= 2).map((w) => w.read() as tf.Variable);
}

function snapshot(model: tf.LayersModel): tf.Tensor[] {
  return model.getWeights().map((w) => tf.keep(w.clone()));
}

async function weightStats(model: tf.LayersModel): Promise<{ norm: number; finite: boolean }> {
  const sq = tf.tidy(() => tf.addN(model.getWeights().map((w) => tf.sum(tf.square(w.toFloat())))));
  const v = (await sq.data())[0]!;
  sq.dispose();
  return { norm: Math.sqrt(v), finite: Number.isFinite(v) };
}

function isBetter(monitor: EarlyStopMonitor, value: number, best: number | null): boolean {
  if (best === null) return true;
  return monitor === 'macro-f1' ? value > best + 1e-6 : value < best - 1e-6;
}

/** Trains `model` in place. The model ends with the best epoch's weights when early stopping is on. */
export async function trainLoop(
  model: tf.LayersModel,
  train: LoopDataset,
  validation: LoopDataset,
  labels: readonly string[],
  settings: LoopSettings,
  options: LoopOptions = {},
): Promise<LoopResult> {
  const hooks = options.hooks ?? {};
  const doctor = options.doctor;
  const classes = labels.length;
  const n = train.labels.length;
  if (!n) throw new Error('The train split is empty: nothing to train on.');
  const batchSize = Math.max(1, Math.min(Math.floor(settings.batchSize), n));
  const batches = Math.ceil(n / batchSize);
  // Length buckets only where a trimmed batch is the same computation (any-length models with masked padding).
  const lengths = acceptsAnyLength(model, train.inputs) ? rowLengths(train.inputs[0]!) : null;
  const schedule = settings.schedule ?? 'constant';
  const weightDecay = settings.weightDecay ?? 0;

  const state: LoopState = options.resume?.state
    ? structuredClone(options.resume.state)
    : {
        epoch: 0,
        learningRate: settings.learningRate,
        clipNorm: settings.clipNorm && settings.clipNorm > 0 ? settings.clipNorm : null,
        classWeights: settings.classWeights,
        bestEpoch: 0,
        bestMetric: null,
        sinceBest: 0,
        history: [],
        findings: [],
        actions: [],
        rng: { seed: settings.seed, epoch: 0 },
        optimizer: { name: settings.optimizer, slots: 'reset-on-resume' },
      };
  const optimizer = makeOptimizer(settings.optimizer, state.learningRate);
  let bestWeights: tf.Tensor[] | null = options.resume?.bestWeights ? options.resume.bestWeights.map((w) => tf.keep(w.clone())) : null;
  let lastGood: tf.Tensor[] = snapshot(model);
  /** The epoch whose end-of-epoch weights lastGood holds (0 = the initial weights). */
  let lastGoodEpoch = state.epoch;
  const balanced = balancedClassWeights(train.labels, classes);
  const restoreRandom = seedMathRandom(deriveSeed(settings.seed, 0x5eed));
  let status: LoopResult['status'] = 'finished';
  let stoppedBy: LoopResult['stoppedBy'] = 'epochs';
  const epochSeconds: number[] = [];

  const record = (a: DoctorAction) => {
    state.actions.push(a);
    hooks.onAction?.(a);
  };
  const report = (fs: Finding[]) => {
    for (const f of fs) {
      state.findings.push(f);
      hooks.onFinding?.(f);
    }
  };
  /** Carries out the doctor's decisions; returns true when one of them ends training. */
  const carryOut = (verdict: DoctorVerdict | null, epoch: number): boolean => {
    if (!verdict) return false;
    report(verdict.findings);
    if (!settings.repair) return false;
    let stop = false;
    for (const d of verdict.decisions as DoctorDecision[]) {
      if (d.kind === 'rollback') {
        model.setWeights(lastGood);
        record({ kind: 'rollback', epoch, before: { epoch }, after: { epoch: lastGoodEpoch }, reason: d.reason });
      } else if (d.kind === 'lr-change') {
        const before = state.learningRate;
        state.learningRate = d.to;
        setLearningRate(optimizer, d.to);
        record({ kind: 'lr-change', epoch, before, after: d.to, reason: d.reason });
      } else if (d.kind === 'clip') {
        const before = state.clipNorm;
        state.clipNorm = d.norm;
        record({ kind: 'clip', epoch, before, after: d.norm, reason: d.reason });
      } else if (d.kind === 'rebalance') {
        const before = state.classWeights;
        state.classWeights = 'balanced';
        record({ kind: 'rebalance', epoch, before, after: 'balanced', reason: d.reason });
      } else if (d.kind === 'stop') {
        record({ kind: 'stop', epoch, before: 'training', after: 'stopped', reason: d.reason });
        stop = true;
      }
    }
    return stop;
  };

  try {
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const decayed = weightDecay > 0 ? decayedVariables(model) : [];
    epochs: for (let epoch = state.epoch + 1; epoch <= settings.epochs; epoch++) {
      const started = performance.now();
      Math.random = mulberry32(deriveSeed(settings.seed, epoch, 1));
      const order = lengths ? null : shuffled(n, deriveSeed(settings.seed, epoch));
      const buckets = lengths ? bucketedBatches(lengths, batchSize, deriveSeed(settings.seed, epoch)) : null;
      let lossSum = 0;
      let lossCount = 0;
      let correct = 0;
      let seen = 0;
      let gradSum = 0;
      let gradMax = 0;
      let nonFinite = 0;
      let emergencyStop = false;
      for (let b = 0; b < batches; b++) {
        if (hooks.shouldStop?.()) {
          status = 'stopped';
          stoppedBy = 'user';
          break epochs;
        }
        const idx = buckets ? buckets[b]! : order!.subarray(b * batchSize, Math.min(n, (b + 1) * batchSize));
        const xs = batchTensors(train.inputs, idx, lengths ? trimWidth(batchWidth(lengths, idx), tf.getBackend()) : undefined);
        const stepRate = state.learningRate * lrFactor(schedule, (epoch - 1) * batches + b, batches, settings.epochs * batches);
        if (schedule !== 'constant') setLearningRate(optimizer, stepRate);
        const yIds = Int32Array.from(idx, (i) => train.labels[i]!);
        const y = tf.tensor1d(yIds, 'int32');
        const weights = state.classWeights === 'balanced' ? Float32Array.from(yIds, (c) => balanced[c]!) : null;
        let correctT: tf.Tensor | undefined;
        let dataLossT: tf.Tensor | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const probs = model.apply(xs.length === 1 ? xs[0]! : xs, { training: true }) as tf.Tensor;
          correctT = tf.keep(tf.sum(tf.equal(tf.argMax(probs, -1), y).toInt()));
          const per = perExampleCrossEntropy(probs, y, classes, settings.labelSmoothing);
          const dataLoss = trainingLoss(per, weights, { kind: settings.loss, k: settings.k, labelSmoothing: settings.labelSmoothing });
          dataLossT = tf.keep(dataLoss);
          // Weight penalties (L2 regularizers in the model) are optimised but not reported as the training loss,
          // so the train curve stays comparable with the validation loss.
          const reg = model.calculateLosses();
          return reg.length ? (tf.add(dataLoss, tf.addN(reg)) as tf.Scalar) : dataLoss;
        }, vars);
        const normT = globalNorm(Object.values(grads));
        // One wait for all of a step's numbers (on a GPU each read is a round trip).
        const [totalLoss, dataLoss, gradNorm, correctNow] = (
          await Promise.all([value, dataLossT ?? value, normT, correctT ?? value].map(async (t) => (await t.data())[0]!))
        ) as [number, number, number, number];
        const lossValue = dataLossT ? dataLoss : totalLoss;
        normT.dispose();
        const finite = Number.isFinite(totalLoss) && Number.isFinite(gradNorm);
        if (finite) {
          const clip = state.clipNorm;
          if (clip && gradNorm > clip) {
            const scale = clip / gradNorm;
            const clipped = tf.tidy(() => Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, scale)])));
            optimizer.applyGradients(clipped);
            tf.dispose(Object.values(clipped));
          } else {
            optimizer.applyGradients(grads);
          }
          if (decayed.length) {
            const keep = 1 - stepRate * weightDecay;
            tf.tidy(() => {
              for (const v of decayed) v.assign(tf.mul(v, keep));
            });
          }
          lossSum += lossValue * idx.length;
          lossCount += idx.length;
          gradSum += gradNorm;
          gradMax = Math.max(gradMax, gradNorm);
        } else {
          // A NaN/Inf step is never applied: it would poison every weight it touches.
          nonFinite++;
        }
        correct += correctT ? correctNow : 0;
        seen += idx.length;
        tf.dispose([value, ...Object.values(grads), ...xs, y, ...(correctT ? [correctT] : []), ...(dataLossT && dataLossT !== value ? [dataLossT] : [])]);

        const classCounts = new Array<number>(classes).fill(0);
        for (const c of yIds) classCounts[c]! += 1;
        if (doctor) {
          const verdict = doctor.onStep({ epoch, step: b + 1, loss: lossValue, gradNorm, finite, learningRate: state.learningRate, classCounts });
          if (carryOut(verdict, epoch)) emergencyStop = true;
        }
        const elapsed = (performance.now() - started) / 1000;
        const perBatch = elapsed / (b + 1);
        const remainingEpochs = settings.epochs - epoch;
        const avgEpoch = epochSeconds.length ? epochSeconds.reduce((a, c) => a + c, 0) / epochSeconds.length : perBatch * batches;
        hooks.onBatch?.({
          epoch,
          batch: b + 1,
          batches,
          loss: lossValue,
          samplesPerSecond: seen / Math.max(elapsed, 1e-9),
          etaSeconds: perBatch * (batches - b - 1) + remainingEpochs * avgEpoch,
        });
        if (emergencyStop) break;
        // Let the event loop breathe: messages (stop, events) get through while a long epoch runs.
        await new Promise<void>((r) => setImmediate(r));
      }
      const trainSeconds = (performance.now() - started) / 1000;

      const probs = await predictProbabilities(model, validation.inputs);
      const rep = validation.labels.length ? classificationReport(labels, validation.labels, probs) : null;
      const predictedCounts = new Array<number>(classes).fill(0);
      if (rep) for (const c of rep.predicted) predictedCounts[c]! += 1;
      const ws = await weightStats(model);
      const seconds = (performance.now() - started) / 1000;
      epochSeconds.push(seconds);
      const metrics: TrainingEpoch = {
        epoch,
        trainLoss: lossCount ? lossSum / lossCount : NaN,
        trainAccuracy: seen ? correct / seen : 0,
        validationLoss: rep ? rep.loss : NaN,
        validationAccuracy: rep ? rep.accuracy : 0,
        validationMacroF1: rep ? rep.macroF1 : 0,
        learningRate: state.learningRate,
        seconds,
        samplesPerSecond: seen / Math.max(trainSeconds, 1e-9),
        diagnostics: {
          gradNormMean: batches - nonFinite > 0 ? gradSum / (batches - nonFinite) : null,
          gradNormMax: gradMax,
          nonFiniteSteps: nonFinite,
          weightNorm: ws.norm,
          predictedEntropy: predictionEntropy(predictedCounts),
          predictedClassCounts: predictedCounts,
          clipNorm: state.clipNorm,
          classWeights: state.classWeights,
        },
      };
      state.history.push(metrics);
      state.epoch = epoch;
      state.rng.epoch = epoch;

      let stop = emergencyStop;
      if (doctor) {
        const verdict = doctor.onEpoch({
          epoch,
          trainLoss: metrics.trainLoss,
          trainAccuracy: metrics.trainAccuracy,
          validationLoss: metrics.validationLoss,
          validationAccuracy: metrics.validationAccuracy,
          validationMacroF1: metrics.validationMacroF1,
          learningRate: state.learningRate,
          predictedClassCounts: predictedCounts,
          predictedEntropy: predictionEntropy(predictedCounts),
          weightNorm: ws.norm,
          weightsFinite: ws.finite,
          gradNormMean: batches - nonFinite > 0 ? gradSum / (batches - nonFinite) : NaN,
          gradNormMax: gradMax,
          nonFiniteSteps: nonFinite,
          clipNorm: state.clipNorm,
        });
        const rolledBack = settings.repair && verdict.decisions.some((d) => d.kind === 'rollback');
        if (carryOut(verdict, epoch)) stop = true;
        if (!rolledBack && ws.finite) {
          tf.dispose(lastGood);
          lastGood = snapshot(model);
          lastGoodEpoch = epoch;
        }
      } else if (ws.finite) {
        tf.dispose(lastGood);
        lastGood = snapshot(model);
        lastGoodEpoch = epoch;
      }

      // Early stopping and best weights. Without early stopping the last epoch is the one kept.
      const monitor = settings.earlyStop;
      let best = false;
      if (monitor === 'none') {
        state.bestEpoch = epoch;
        best = true;
      } else {
        const value = monitor === 'macro-f1' ? metrics.validationMacroF1 : metrics.validationLoss;
        if (Number.isFinite(value) && isBetter(monitor, value, state.bestMetric)) {
          state.bestMetric = value;
          state.bestEpoch = epoch;
          state.sinceBest = 0;
          best = true;
          if (bestWeights) tf.dispose(bestWeights);
          bestWeights = snapshot(model);
        } else {
          state.sinceBest++;
        }
      }
      const remaining = settings.epochs - epoch;
      const avg = epochSeconds.reduce((a, c) => a + c, 0) / epochSeconds.length;
      hooks.onEpoch?.(metrics, remaining * avg);
      await hooks.checkpoint?.({ epoch, best, state: structuredClone(state), model });
      if (stop) {
        stoppedBy = 'doctor';
        break;
      }
      if (monitor !== 'none' && state.sinceBest >= settings.patience) {
        stoppedBy = 'early-stopping';
        break;
      }
    }
    if (settings.earlyStop !== 'none' && bestWeights) model.setWeights(bestWeights);
    else {
      // A stop in the middle of an epoch leaves half-updated weights: keep those of the last completed epoch.
      if (stoppedBy === 'user' && state.epoch > 0) model.setWeights(lastGood);
      state.bestEpoch = state.epoch;
    }
    return { status, epochs: state.epoch, bestEpoch: state.bestEpoch, state, stoppedBy };
  } finally {
    restoreRandom();
    tf.dispose(lastGood);
    if (bestWeights) tf.dispose(bestWeights);
    optimizer.dispose();
  }
}

