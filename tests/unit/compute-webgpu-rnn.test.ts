// The WGSL LSTM/GRU kernels (compute/webgpu/), registered for webgpu under the fused op contract's names and
// reached the way the layers reach them (recurrentSequence, through customGrad), against the same sequence in
// ordinary tf ops on the cpu backend (recurrentSequenceWithOps, which compute-fused-rnn.test.ts checks against
// tf.layers and finite differences): h and the gradients of x, kernel, recurrent kernel and bias, for both cells,
// both gate activations, forwards and backwards, with and without a mask and recurrent dropout, at sizes that are
// not multiples of the kernels' tiles, within one workgroup and across several, and at 1024 units. On SwiftShader: real Dawn and WGSL.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { hasFusedKernels, recurrentSequence, recurrentSequenceWithOps, type Cell, type GateActivation, type SequenceOptions } from '../../main/engine/compute/fused-rnn.ts';
import { HARDWARE_GPU, useSoftwareGpu, webgpuPackage } from '../fixtures/software-gpu.ts';

interface Size {
  B: number;
  T: number;
  E: number;
  U: number;
}
// Within one workgroup (7 of its 64 units, 5 rows = a full and a partial group of 4), and across several
// (70 units = 2 workgroups, the second partial; 9 rows = 3 groups).
const SMALL: Size = { B: 5, T: 6, E: 3, U: 7 };
const WIDE: Size = { B: 9, T: 4, E: 3, U: 70 };
// The width of the 1024-unit recipes (chars-lstm-full): 16 workgroups per step, a 1024 × 4096 recurrent kernel
// transposed for the backward pass. Run on a real GPU only (TEXTBENCH_TEST_GPU=hardware): on SwiftShader on this
// shared 2-core machine one LSTM case took over 100 s (measured once for both cells at 3 steps: relative
// differences 1.2e-6 to 4.6e-6, within TOLERANCE).
const RECIPE: Size = { B: 2, T: 3, E: 3, U: 1024 };
// Float32 on both sides, different summation orders: measured differences stay below 1e-6 (largest 7.2e-7, a GRU
// recurrent-kernel gradient) at the small sizes; at 1024 units, sums of 4096 terms reach 46 and differ by 1e-4,
// 2e-6 of their size. So differences are taken relative to the largest expected value (at least 1), and 1e-5
// leaves room for other GPUs' fused multiply-adds.
const TOLERANCE = 1e-5;

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return d / scale;
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

function makeCase(cell: Cell, { B, T, E, U }: Size, gate: GateActivation, goBackwards: boolean, masked: boolean): Case {
  const k = cell === 'lstm' ? 4 : 3;
  const r = (shape: number[], seed: number, scale: number) => tf.randomUniform(shape, -scale, scale, 'float32', seed);
  // Rows in turn: all real; leading padding; trailing padding; alternating; all padding.
  const rowMask = (b: number, t: number): number => [1, t >= 2 ? 1 : 0, t < T / 2 ? 1 : 0, 1 - (t % 2), 0][b % 5]!;
  const mask = tf.tensor2d(Array.from({ length: B * T }, (_, i) => rowMask(Math.floor(i / T), i % T)), [B, T]);
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

/** Runs one case on cpu (ordinary ops) and webgpu (the WGSL kernels); says how they differ when they do. */
async function compare(cell: Cell, size: Size, gate: GateActivation, goBackwards: boolean, masked: boolean): Promise<string | undefined> {
  await initBackend('cpu');
  const c = makeCase(cell, size, gate, goBackwards, masked);
  const expected = await run(recurrentSequenceWithOps, c);
  await initBackend('webgpu');
  expect(hasFusedKernels(cell)).toBe(true);
  const got = await run(recurrentSequence, c);
  const diffs = got.map((g, i) => maxRelDiff(g, expected[i]!));
  if (Math.max(...diffs) < TOLERANCE) return undefined;
  return `${JSON.stringify(size)} ${gate} goBackwards=${goBackwards} masked=${masked}: h, dx, dKernel, dRecurrent, dBias differ by ${diffs.join(', ')} (relative)`;
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
      // Every pair of (gate, direction, masking) values occurs in one of the four small cases (a pairwise covering
      // of the eight combinations: all eight pass too, at twice the time on SwiftShader); the wide ones check the
      // indexing across workgroups.
      const modes = [
        [SMALL, 'hardSigmoid', false, false],
        [SMALL, 'hardSigmoid', true, true],
        [SMALL, 'sigmoid', false, true],
        [SMALL, 'sigmoid', true, false],
        [WIDE, 'hardSigmoid', false, false],
        [WIDE, 'sigmoid', true, true],
      ] as const;
      for (const [size, gate, goBackwards, masked] of modes) {
        const failure = await compare(cell, size, gate, goBackwards, masked);
        if (failure) failures.push(failure);
      }
      expect(failures).toEqual([]);
    });
  }

  it.skipIf(!HARDWARE_GPU)(`lstm at the 1024 units of the large recipes${HARDWARE_GPU ? '' : ' (skipped on SwiftShader: minutes; TEXTBENCH_TEST_GPU=hardware runs it)'}`, async () => {
    expect(await compare('lstm', RECIPE, 'sigmoid', false, true)).toBeUndefined();
  }, 300_000);
});
