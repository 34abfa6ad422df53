// The WGSL LSTM/GRU kernels (compute/webgpu/), registered for webgpu under the fused op contract's names and
// reached the way the layers reach them (recurrentSequence, through customGrad), against the same sequence in
// ordinary tf ops on the cpu backend (recurrentSequenceWithOps, which compute-fused-rnn.test.ts checks against
// tf.layers and finite differences): h and the gradients of x, kernel, recurrent kernel and bias, for both cells,
// both gate activations, forwards and backwards, with and without a mask and recurrent dropout, at sizes that are
// not multiples of the kernels' tiles (5 rows, 7 units). On SwiftShader: real Dawn, real WGSL.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { hasFusedKernels, recurrentSequence, recurrentSequenceWithOps, type Cell, type GateActivation, type SequenceOptions } from '../../main/engine/compute/fused-rnn.ts';
import { useSoftwareGpu, webgpuPackage } from '../fixtures/software-gpu.ts';

const B = 5;
const T = 6;
const E = 3;
const U = 7;
// Float32 on both sides, different summation orders: measured differences stay below 1e-6 (largest 7.2e-7, a GRU
// recurrent-kernel gradient); 1e-5 leaves room for other GPUs' fused multiply-adds.
const TOLERANCE = 1e-5;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

interface Case {
  cell: Cell;
  x: tf.Tensor3D;
  kernel: tf.Tensor2D;
  recurrent: tf.Tensor2D;
  bias: tf.Tensor1D;
  dh: tf.Tensor3D;
  options: SequenceOptions;
}

function makeCase(cell: Cell, gate: GateActivation, goBackwards: boolean, masked: boolean): Case {
  const k = cell === 'lstm' ? 4 : 3;
  const r = (shape: number[], seed: number, scale: number) => tf.randomUniform(shape, -scale, scale, 'float32', seed);
  // Rows: all real; leading padding; trailing padding; alternating; all padding.
  const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 0, 1, 0, 1, 0], [0, 0, 0, 0, 0, 0]], [B, T]);
  // Recurrent dropout at rate 1/3: kept units scaled by 1.5.
  const recurrentMask = tf.mul(tf.cast(tf.greater(r([B, U], 6, 1), -1 / 3), 'float32'), 1.5) as tf.Tensor2D;
  return {
    cell,
    x: r([B, T, E], 1, 1) as tf.Tensor3D,
    kernel: r([E, k * U], 2, 0.5) as tf.Tensor2D,
    recurrent: r([U, k * U], 3, 0.5) as tf.Tensor2D,
    bias: r([k * U], 4, 0.5) as tf.Tensor1D,
    dh: r([B, T, U], 5, 1) as tf.Tensor3D,
    options: { gate, goBackwards, ...(masked ? { mask, recurrentMask } : {}) },
  };
}

type Sequence = typeof recurrentSequence;

/** h and the gradients of sum(h ⊙ dh) for x, kernel, recurrent kernel and bias, on the current backend. */
async function run(sequence: Sequence, c: Case): Promise<Float32Array[]> {
  const f = (x: tf.Tensor, k: tf.Tensor, r: tf.Tensor, b: tf.Tensor) => sequence(c.cell, x as tf.Tensor3D, k as tf.Tensor2D, r as tf.Tensor2D, b as tf.Tensor1D, c.options);
  const h = f(c.x, c.kernel, c.recurrent, c.bias);
  const grads = tf.grads((x, k, r, b) => tf.sum(tf.mul(f(x!, k!, r!, b!), c.dh)))([c.x, c.kernel, c.recurrent, c.bias]);
  expect(grads.map((g) => g.shape)).toEqual([c.x.shape, c.kernel.shape, c.recurrent.shape, c.bias.shape]);
  const out = await Promise.all([h, ...grads].map(async (t) => (await t.data()) as Float32Array));
  tf.dispose([h, ...grads]);
  return out;
}

const pkg = webgpuPackage();

describe.skipIf(!pkg.loads)(`WGSL LSTM/GRU kernels on the tests' software GPU${pkg.loads ? '' : ` (skipped: ${pkg.reason})`}`, () => {
  beforeAll(() => {
    const gpu = useSoftwareGpu();
    if (!gpu.ok) throw new Error(`The webgpu tests need SwiftShader: ${gpu.reason}`);
  });

  for (const cell of ['lstm', 'gru'] as const) {
    it(`${cell}: h and the gradients of x, kernel, recurrent kernel and bias equal those of ordinary tf ops in every mode`, async () => {
      const failures: string[] = [];
      // Every pair of (gate, direction, masking) values occurs in one of these four (a pairwise covering of the
      // eight combinations: all eight pass too, at twice the time on SwiftShader).
      const modes = [
        ['hardSigmoid', false, false],
        ['hardSigmoid', true, true],
        ['sigmoid', false, true],
        ['sigmoid', true, false],
      ] as const;
      for (const [gate, goBackwards, masked] of modes) {
        await initBackend('cpu');
        const c = makeCase(cell, gate, goBackwards, masked);
        const expected = await run(recurrentSequenceWithOps, c);
        await initBackend('webgpu');
        expect(hasFusedKernels(cell)).toBe(true);
        const got = await run(recurrentSequence, c);
        const diffs = got.map((g, i) => maxAbsDiff(g, expected[i]!));
        if (!(Math.max(...diffs) < TOLERANCE)) failures.push(`${gate} goBackwards=${goBackwards} masked=${masked}: h, dx, dKernel, dRecurrent, dBias differ by ${diffs.join(', ')}`);
      }
      expect(failures).toEqual([]);
    });
  }
});
