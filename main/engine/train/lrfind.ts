// The learning-rate range test: train a fresh model for ~100 steps while the learning rate grows exponentially
// (1e-7 → 10), record the loss at each rate, and suggest a rate where the loss falls fastest. The plateau story's
// cure: a learning rate read off a curve instead of guessed.
import * as tf from '@tensorflow/tfjs';
import type { Db } from '../store/db.ts';
import { resolveProject } from '../store/projects.ts';
import { initBackend, type BackendName } from '../compute/backend.ts';
import { TextbenchError } from '../errors.ts';
import { cancelledError } from '../tasks/wire.ts';
import type { TrainOptions } from '../../../shared/training.ts';
import type { LrFindResult } from '../../../shared/doctor.ts';
import { resolveConfig } from './config.ts';
import { labelIds } from './data.ts';
import { buildNeuralModel, MODEL_FAMILY, prepareRun } from './prepare.ts';
import { batchTensors, makeOptimizer } from './loop.ts';
import { perExampleCrossEntropy, trainingLoss, balancedClassWeights } from './losses.ts';
import { deriveSeed, mulberry32, seedMathRandom, shuffled } from './rng.ts';

export interface LrFindOptions extends TrainOptions {
  /** Steps in the sweep (default 100). */
  steps?: number;
  minLearningRate?: number;
  maxLearningRate?: number;
  /** Stop when the smoothed loss exceeds this multiple of its minimum (default 4). */
  explodeFactor?: number;
  /** Use at most this many train examples (the sweep needs steps × batch size of them at most). */
  maxExamples?: number;
  log?: (message: string) => void;
  /** Called after each step of the sweep. */
  onStep?: (done: number, steps: number) => void;
  /** Asked before each step: true stops the sweep (its error has code CANCELLED). */
  cancelled?: () => boolean;
}

/** Exponentially weighted moving average with bias correction (as fastai's finder smooths). */
export function smooth(losses: readonly number[], beta = 0.9): number[] {
  let avg = 0;
  return losses.map((l, i) => {
    avg = beta * avg + (1 - beta) * l;
    return avg / (1 - beta ** (i + 1));
  });
}

/**
 * The suggestion from a (learning rate, smoothed loss) curve: the point of steepest descent of the loss against
 * log10(rate) before the minimum, capped at a tenth of the rate at the minimum (also the answer when the curve
 * has no clear descent).
 */
export function suggestLearningRate(curve: ReadonlyArray<readonly [number, number]>): { suggested: number; method: 'steepest' | 'min-over-10'; minLoss: { lr: number; loss: number } } {
  if (!curve.length) throw new Error('An empty learning-rate curve has no suggestion.');
  let iMin = 0;
  for (let i = 1; i < curve.length; i++) if (curve[i]![1] < curve[iMin]![1]) iMin = i;
  const minLoss = { lr: curve[iMin]![0], loss: curve[iMin]![1] };
  const fallback = { suggested: minLoss.lr / 10, method: 'min-over-10' as const, minLoss };
  // Skip the first tenth: the smoothed loss there still carries the average's warm-up.
  const start = Math.max(1, Math.floor(curve.length / 10));
  let best = 0;
  let at = -1;
  // Slope over a small window, so one noisy step does not make the steepest point.
  const w = 2;
  for (let i = start; i + w <= iMin; i++) {
    const a = curve[i - 1]!;
    const b = curve[Math.min(i + w - 1, iMin)]!;
    const slope = (b[1] - a[1]) / (Math.log10(b[0]) - Math.log10(a[0]));
    if (slope < best) {
      best = slope;
      at = i;
    }
  }
  if (at < 0) return fallback;
  // A descent that is a tiny share of the loss is noise, not a signal.
  const drop = curve[start - 1]![1] - minLoss.loss;
  if (drop < 0.02 * Math.abs(curve[start - 1]![1])) return fallback;
  // Right next to the minimum the loss is about to turn: never suggest more than a tenth of the minimum's rate.
  if (curve[at]![0] > fallback.suggested) return fallback;
  return { suggested: curve[at]![0], method: 'steepest', minLoss };
}

/** Runs the sweep on a project's train split with the model (or recipe) the options describe. In-process. */
export async function findLearningRate(db: Db, options: LrFindOptions = {}): Promise<LrFindResult> {
  const log = options.log ?? (() => {});
  const steps = Math.round(options.steps ?? 100);
  const lo = options.minLearningRate ?? 1e-7;
  const hi = options.maxLearningRate ?? 10;
  const explode = options.explodeFactor ?? 4;
  if (!Number.isInteger(steps) || steps < 10 || steps > 10000) {
    throw new TextbenchError(`lr-find --steps: expected a whole number from 10 to 10000, got ${options.steps}.`, 'BAD_OPTION', { field: 'steps' });
  }
  if (!(lo > 0 && hi > lo && Number.isFinite(hi))) {
    throw new TextbenchError(`lr-find: the sweep needs 0 < --min-lr < --max-lr; got ${lo} and ${hi}.`, 'BAD_OPTION', { field: 'minLearningRate' });
  }
  const { steps: _s, minLearningRate: _a, maxLearningRate: _b, explodeFactor: _e, maxExamples, log: _l, onStep, cancelled, ...train } = options;
  const model = train.model ?? (train.recipe ? undefined : 'baseline');
  const config = resolveConfig({ ...train, model });
  if (MODEL_FAMILY[config.model] !== 'neural') {
    throw new TextbenchError(
      `The ${config.model} model needs no learning rate: it is solved exactly, and its regularisation (C) is chosen by cross-validation on the train split. lr-find is for the neural models (baseline, lstm, gru, bilstm, bigru).`,
      'NO_LEARNING_RATE',
      { field: 'model' },
    );
  }
  const project = resolveProject(db, train.project);
  const backend = await initBackend((config.backend ?? undefined) as BackendName | undefined, { kernels: { threads: config.threads ?? undefined } });
  // The same data, text pipeline and network (L2, vectors) as a run with these options trains.
  const prep = prepareRun(db, project.id, config, { log });
  const { data, pipeline } = prep;
  const cap = maxExamples ?? Math.max(steps * config.batchSize, 2000);
  const order = shuffled(data.train.length, deriveSeed(config.seed, 0x1f));
  const examples = Array.from(order.subarray(0, Math.min(cap, data.train.length)), (i) => data.train[i]!);
  const inputs = pipeline.encode(examples.map((e) => e.text), 'truncate').inputs;
  const labels = labelIds(examples, data.labels);
  const classes = data.labels.length;
  const name = prep.recipe ? prep.recipe.name : config.model;
  log(`lr-find: ${name} on ${examples.length} train examples, ${steps} steps from ${lo} to ${hi}, batch ${config.batchSize}, ${config.optimizer}, backend ${backend.name}`);

  const restoreRandom = seedMathRandom(deriveSeed(config.seed, 0x1f, 1));
  let net: tf.LayersModel;
  try {
    net = await buildNeuralModel(prep, { log });
  } catch (err) {
    restoreRandom();
    throw err;
  }
  const optimizer = makeOptimizer(config.optimizer, lo);
  const weightsOf = config.classWeights === 'balanced' ? balancedClassWeights(labels, classes) : null;
  const raw: number[] = [];
  const rates: number[] = [];
  let stoppedBy: 'steps' | 'exploded' = 'steps';
  try {
    Math.random = mulberry32(deriveSeed(config.seed, 0x1f, 2));
    const vars = net.trainableWeights.map((w) => w.read() as tf.Variable);
    const n = labels.length;
    const batch = Math.max(1, Math.min(config.batchSize, n));
    let perm = shuffled(n, deriveSeed(config.seed, 0x1f, 3));
    let pos = 0;
    let minSmoothed = Infinity;
    let avg = 0;
    for (let i = 0; i < steps; i++) {
      if (cancelled?.()) throw cancelledError('The learning-rate sweep');
      const lr = lo * (hi / lo) ** (i / (steps - 1));
      const opt = optimizer as tf.Optimizer & { learningRate?: number; setLearningRate?: (lr: number) => void };
      if (typeof opt.setLearningRate === 'function') opt.setLearningRate(lr);
      else opt.learningRate = lr;
      if (pos + batch > n) {
        perm = shuffled(n, deriveSeed(config.seed, 0x1f, 4 + i));
        pos = 0;
      }
      const idx = perm.subarray(pos, pos + batch);
      pos += batch;
      const xs = batchTensors(inputs, idx);
      const yIds = Int32Array.from(idx, (k) => labels[k]!);
      const y = tf.tensor1d(yIds, 'int32');
      const w = weightsOf ? Float32Array.from(yIds, (c) => weightsOf[c]!) : null;
      const { value, grads } = tf.variableGrads(() => {
        const probs = net.apply(xs.length === 1 ? xs[0]! : xs, { training: true }) as tf.Tensor;
        const per = perExampleCrossEntropy(probs, y, classes, config.labelSmoothing);
        let loss = trainingLoss(per, w, { kind: config.loss, k: config.k, labelSmoothing: config.labelSmoothing });
        const reg = net.calculateLosses();
        if (reg.length) loss = tf.add(loss, tf.addN(reg)) as tf.Scalar;
        return loss;
      }, vars);
      const loss = (await value.data())[0]!;
      if (Number.isFinite(loss)) optimizer.applyGradients(grads);
      tf.dispose([value, ...Object.values(grads), ...xs, y]);
      if (!Number.isFinite(loss)) {
        stoppedBy = 'exploded';
        break;
      }
      raw.push(loss);
      rates.push(lr);
      avg = 0.9 * avg + 0.1 * loss;
      const s = avg / (1 - 0.9 ** raw.length);
      minSmoothed = Math.min(minSmoothed, s);
      if (raw.length > 10 && s > explode * minSmoothed) {
        stoppedBy = 'exploded';
        break;
      }
      onStep?.(i + 1, steps);
      await new Promise<void>((r) => setImmediate(r));
    }
  } finally {
    restoreRandom();
    optimizer.dispose();
    net.dispose();
  }
  if (raw.length < 5) {
    throw new TextbenchError(
      `The learning-rate sweep broke down after ${raw.length} steps (the loss became invalid already at ${rates[rates.length - 1] ?? lo}). ` +
        'Check the data for invalid values, or start the sweep lower with --min-lr.',
      'LR_FIND_FAILED',
    );
  }
  const smoothed = smooth(raw);
  const curve = rates.map((lr, i) => [lr, smoothed[i]!] as [number, number]);
  const pick = suggestLearningRate(curve);
  return {
    suggested: Number(pick.suggested.toPrecision(3)),
    curve,
    raw,
    method: pick.method,
    minLoss: pick.minLoss,
    stoppedBy,
    model: name,
    recipe: config.recipe,
    backend: backend.name,
    examples: examples.length,
  };
}
