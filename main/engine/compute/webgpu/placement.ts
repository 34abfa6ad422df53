// Whether the GPU pays for a network without a recurrence (the baseline, a recipe without recurrent layers): measured
// at the start of the run, on the run's own batch, against the best other backend; the faster one trains, and the
// run says why. (The linear model is fitted by exact solvers on the CPU, train/linear/, and never comes here.)
//
// A recurrent layer is where a GPU earns its keep (a few kernels per time step over the whole batch, the fused
// WGSL of rnn-wgsl.ts). A bag of embeddings or n-grams is a handful of small operations per step, where a GPU's
// per-dispatch cost and the asynchronous read-back of the loss can outweigh its arithmetic; whether they do depends
// on the GPU, the driver and the model's size, so it is measured rather than assumed. Recurrent models are not
// raced: a CPU step of a 1024-unit LSTM takes tens of seconds, more than a run should spend on deciding.
import * as tf from '@tensorflow/tfjs';
import { BACKEND_ORDER, initBackend, type BackendInfo } from '../backend.ts';

/** What a trial trains: the run's network (a fresh copy each time) on one of its batches. */
export interface Trial {
  /** A fresh network of the run's architecture, on the current backend. */
  build(): Promise<tf.LayersModel>;
  /** One batch: the model's inputs and the label ids, as tensors on the current backend (the trial disposes them). */
  batch(): { xs: tf.Tensor[]; labels: tf.Tensor1D };
  classes: number;
}

export interface Measured {
  backend: string;
  device: string;
  msPerStep: number;
}

/** Layer classes that make a network recurrent (tfjs's own, the project's fused ones, wrappers around them). */
const RECURRENT = /LSTM|GRU|RNN|Bidirectional/i;

export function isRecurrent(model: tf.LayersModel): boolean {
  return model.layers.some((l) => RECURRENT.test(l.getClassName()));
}

// Two warm-up steps (shader compilation, optimizer slots, XNNPACK packing), then at least 3 timed steps and more
// while under 0.5 s: on this machine the baseline's steps took 2-40 ms, so the decision costs about a second.
const WARMUP_STEPS = 2;
const MIN_STEPS = 3;
const MAX_STEPS = 20;
const TIMED_MS = 500;

/** Milliseconds per training step (Adam, cross-entropy, the loss read back as the loop does) on the current backend. */
export async function msPerStep(trial: Trial): Promise<number> {
  const model = await trial.build();
  const optimizer = tf.train.adam(1e-3);
  const { xs, labels } = trial.batch();
  const y = tf.oneHot(labels, trial.classes);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const step = async (): Promise<void> => {
    const loss = optimizer.minimize(
      () => {
        const probs = model.apply(xs.length === 1 ? xs[0]! : xs, { training: true }) as tf.Tensor;
        return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.log(tf.add(probs, 1e-7))), -1))) as tf.Scalar;
      },
      true,
      vars,
    )!;
    await loss.data();
    loss.dispose();
  };
  try {
    for (let i = 0; i < WARMUP_STEPS; i++) await step();
    const t0 = performance.now();
    let n = 0;
    do {
      await step();
      n++;
    } while (n < MIN_STEPS || (n < MAX_STEPS && performance.now() - t0 < TIMED_MS));
    return (performance.now() - t0) / n;
  } finally {
    model.dispose();
    optimizer.dispose();
    tf.dispose([...xs, labels, y]);
  }
}

/** Starts the first backend after `after` in the automatic order that loads here, or returns undefined. */
async function nextBackend(after: BackendInfo): Promise<BackendInfo | undefined> {
  for (const name of BACKEND_ORDER.slice(BACKEND_ORDER.indexOf(after.name) + 1)) {
    try {
      return await initBackend(name);
    } catch {
      // Not installed or does not start here: initBackend's automatic choice already said why in `after.skipped`.
    }
  }
  return undefined;
}

/**
 * For the webgpu backend and a network without a recurrence, races the GPU against the best other backend on the
 * run's own batch and returns the faster one, made current, its device noting both measurements. Anything else
 * (another backend, a recurrent network) is returned as it is: tfjs-node-gpu runs each operation
 * through CUDA without WebGPU's dispatch and read-back costs. Call it only for an automatic choice: a backend the
 * person named (--backend) is used as asked.
 */
export async function placeModel(chosen: BackendInfo, trial: Trial, log: (message: string) => void = () => {}): Promise<BackendInfo> {
  if (chosen.name !== 'webgpu') return chosen;
  // Dropout seeds its masks from Math.random: the race draws from its own generator, so that a run's numbers
  // depend on its seed, data and backend, not on whether a race ran before it.
  const random = Math.random;
  let state = 0x9e3779b9;
  Math.random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  try {
    return await race(chosen, trial, log);
  } finally {
    Math.random = random;
  }
}

async function race(chosen: BackendInfo, trial: Trial, log: (message: string) => void): Promise<BackendInfo> {
  const probe = await trial.build();
  const recurrent = isRecurrent(probe);
  probe.dispose();
  if (recurrent) return chosen;
  const gpu: Measured = { backend: chosen.name, device: chosen.device.label, msPerStep: await msPerStep(trial) };
  const other = await nextBackend(chosen);
  if (!other) {
    await tf.setBackend(chosen.name);
    return chosen;
  }
  const cpu: Measured = { backend: other.name, device: other.device.label, msPerStep: await msPerStep(trial) };
  const ms = (m: Measured) => `${m.msPerStep.toFixed(1)} ms a step on ${m.backend} (${m.device})`;
  const measured = `${ms(gpu)} against ${ms(cpu)}, measured on this run's first batch`;
  if (cpu.msPerStep < gpu.msPerStep) {
    const note = `The GPU does not pay for this model (no recurrent layer): ${measured}; it trains on ${other.name}.`;
    log(note);
    return { ...other, skipped: [...chosen.skipped, { name: chosen.name, reason: note }], device: { ...other.device, note } };
  }
  const note = `The GPU pays for this model: ${measured}.`;
  log(note);
  // initBackend made the other backend current; the GPU's backend and kernels are still registered.
  await tf.setBackend(chosen.name);
  return { ...chosen, device: { ...chosen.device, note } };
}
