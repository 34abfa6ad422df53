// The global gradient norm in one kernel (compute/adam.ts globalNorm, wasm/adam.c sum_squares) gives what the
// training loop computed with tfjs's ops, tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))), bit for bit:
// on random tensors of many sizes and scales, on tensors that are mostly zero rows (an embedding's gradient, where
// the wasm kernel skips zeros), with NaN and Inf; and it falls back to those ops where the kernel is missing.
// With it and ops.c's kernels (compute/kernels.ts: batched products, comparisons, max over time) the training loop
// trains the gru and bigru presets (max-mean pooling) on real data exactly as with tfjs's own ops, clipping included.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { GLOBAL_NORM, globalNorm, sumSquares } from '../../main/engine/compute/adam.ts';
import { setWasmOps } from '../../main/engine/compute/kernels.ts';
import { MODEL_BUILDERS } from '../../main/engine/train/models.ts';
import { trainLoop } from '../../main/engine/train/loop.ts';
import { LABELS, SETTINGS, uciSlice } from './loop-fixtures.ts';

beforeAll(async () => {
  await initBackend('cpu');
  await initBackend('wasm');
});

let seed = 7;
function random(): number {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
}

/** n floats of mixed magnitudes (the sum of squares rounds at every add); a share of them in zero rows of 64. */
function values(n: number, zeroRows = 0): Float32Array {
  const out = Float32Array.from({ length: n }, () => (random() - 0.5) * Math.exp(random() * 12 - 6));
  for (let r = 0; r * 64 < n; r++) if (random() < zeroRows) out.fill(r % 3 === 0 ? -0 : 0, r * 64, Math.min(n, (r + 1) * 64));
  return out;
}

function reference(ts: tf.Tensor[]): number {
  return tf.tidy(() => tf.sqrt(tf.addN(ts.map((t) => tf.sum(tf.square(t))))).dataSync()[0]!);
}

function fused(ts: tf.Tensor[]): number {
  const n = globalNorm(ts);
  const v = n.dataSync()[0]!;
  n.dispose();
  return v;
}

describe.each(['wasm', 'cpu'] as const)('global gradient norm on %s', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  it('is registered there', () => {
    expect(tf.getKernel(GLOBAL_NORM, backend)).toBeDefined();
  });

  it('equals the Square/Sum/AddN/Sqrt ops bit for bit on random tensors, one or many, small and large', () => {
    const sizes = [[1], [3], [15], [16], [17], [22], [384], [256, 22], [64, 384], [128, 384], [7010, 64], [1000, 3]];
    const groups = [sizes, [[7010, 64], [64, 384], [128, 384], [384], [256, 22], [22]], [[5]], [[33], [2, 2, 2]]];
    for (const shapes of groups) {
      for (const zeroRows of [0, 0.9]) {
        const ts = shapes.map((s) => tf.tensor(values(tf.util.sizeFromShape(s), zeroRows), s, 'float32'));
        const before = tf.memory().numTensors;
        const got = fused(ts);
        expect(tf.memory().numTensors).toBe(before);
        expect(got, `${JSON.stringify(shapes)} zero rows ${zeroRows}`).toBe(reference(ts));
        tf.dispose(ts);
      }
    }
  });

  it('gives 0 for all-zero gradients and passes NaN and Infinity through', () => {
    const zeros = [tf.zeros([700, 64]), tf.zeros([3])];
    expect(fused(zeros)).toBe(0);
    const nan = values(7000, 0.9);
    nan[6001] = Number.NaN;
    const inf = values(70);
    inf[3] = Number.POSITIVE_INFINITY;
    const ts = [tf.tensor1d(nan), tf.tensor1d(values(40))];
    expect(fused(ts)).toBeNaN();
    expect(reference(ts)).toBeNaN();
    const ti = [tf.tensor1d(values(40)), tf.tensor1d(inf)];
    expect(fused(ti)).toBe(Number.POSITIVE_INFINITY);
    tf.dispose([...zeros, ...ts, ...ti]);
  });

  it('falls back to the ops where the kernel is missing, with the same number', () => {
    const ts = [tf.tensor2d(values(64 * 50, 0.5), [50, 64]), tf.tensor1d(values(9))];
    const want = reference(ts);
    const kernel = tf.getKernel(GLOBAL_NORM, backend)!;
    tf.unregisterKernel(GLOBAL_NORM, backend);
    try {
      expect(fused(ts)).toBe(want);
    } finally {
      tf.registerKernel(kernel);
    }
    expect(fused(ts)).toBe(want);
    tf.dispose(ts);
  });
});

describe('sumSquares (the JavaScript loop)', () => {
  it('adds float32 squares in order, rounding each step (wasm) or once at the end (cpu)', () => {
    const x = Float32Array.of(4096, 1, 1, 3);
    // 2^24 + 1 rounds back to 2^24 in float32, twice, then + 9 to 2^24 + 8: order and rounding show.
    expect(sumSquares(x)).toBe(2 ** 24 + 8);
    expect(sumSquares(new Float32Array(0))).toBe(0);
    // The cpu backend's order: float64 accumulator (2^24 + 11), one rounding at the end.
    expect(sumSquares(x, true)).toBe(2 ** 24 + 12);
  });
});

describe('training with the step kernels on wasm', () => {
  it.each(['gru', 'bigru'] as const)('%s (max-mean pooling) gives the same curve, gradient norms and weights as with tfjs ops, clipping on', async (name) => {
    await tf.setBackend('wasm');
    const slice = uciSlice(96, 32);
    const settings = { ...SETTINGS, clipNorm: 0.1 };
    const run = async (stepKernels: boolean) => {
      const kernel = tf.getKernel(GLOBAL_NORM, 'wasm')!;
      if (!stepKernels) {
        tf.unregisterKernel(GLOBAL_NORM, 'wasm');
        setWasmOps(false);
      }
      try {
        const model = MODEL_BUILDERS[name]({ embeddingDim: 8, units: 6, dropout: 0.2, pooling: 'max-mean' })(
          { inputDim: slice.pipeline.inputDim, sequenceLength: slice.pipeline.sequenceLength, classes: 2 },
          5,
        );
        const r = await trainLoop(model, slice.train, slice.validation, LABELS, settings);
        const weights = model.getWeights().flatMap((w) => Array.from(w.dataSync()));
        model.dispose();
        return { history: r.state.history.map((h) => [h.trainLoss, h.validationLoss, h.diagnostics?.gradNormMean, h.diagnostics?.gradNormMax]), weights };
      } finally {
        if (!stepKernels) {
          tf.registerKernel(kernel);
          setWasmOps(true);
        }
      }
    };
    const plain = await run(false);
    const fast = await run(true);
    expect(plain.history[0]![3]!).toBeGreaterThan(settings.clipNorm); // clipping happened
    expect(fast.history).toEqual(plain.history);
    expect(fast.weights).toEqual(plain.weights);
  });
});
