// The WGSL LSTM/GRU kernels (compute/webgpu/) against the fused op contract's semantics written with plain tf ops
// (tests/fixtures/rnn-reference.ts), which is itself checked against tf.layers.lstm/gru: outputs and all four
// gradients, for both cells, both gate activations, forwards and backwards, with and without a mask and recurrent
// dropout, at sizes that are not multiples of the kernels' tiles (5 rows, 7 units). On SwiftShader: real WGSL.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { rnnBackward, rnnForward, type Cell, type GateActivation } from '../../main/engine/compute/webgpu/rnn-webgpu.ts';
import { referenceRnn, type ReferenceOptions } from '../fixtures/rnn-reference.ts';
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
  options: ReferenceOptions;
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

/** h and the gradients of sum(h ⊙ dh) for x, kernel, recurrent kernel and bias, from the reference. */
async function reference(c: Case): Promise<Float32Array[]> {
  const f = (x: tf.Tensor, k: tf.Tensor, r: tf.Tensor, b: tf.Tensor) => referenceRnn(c.cell, x as tf.Tensor3D, k as tf.Tensor2D, r as tf.Tensor2D, b as tf.Tensor1D, c.options);
  const h = f(c.x, c.kernel, c.recurrent, c.bias);
  const grads = tf.grads((x, k, r, b) => tf.sum(tf.mul(f(x!, k!, r!, b!), c.dh)))([c.x, c.kernel, c.recurrent, c.bias]);
  return Promise.all([h, ...grads].map(async (t) => (await t.data()) as Float32Array));
}

/** The same from the webgpu kernels. */
async function fused(c: Case): Promise<Float32Array[]> {
  const backend = tf.backend();
  const info = (t: tf.Tensor | undefined) => (t ? { dataId: t.dataId, shape: t.shape, dtype: t.dtype } : undefined);
  const attrs = { gate: c.options.gate, goBackwards: c.options.goBackwards };
  const masks = { mask: info(c.options.mask), recurrentMask: info(c.options.recurrentMask) };
  const [h, state] = rnnForward(c.cell, { x: info(c.x)!, kernel: info(c.kernel)!, recurrentKernel: info(c.recurrent)!, bias: info(c.bias)!, ...masks }, attrs, backend).map((i) =>
    tf.engine().makeTensorFromTensorInfo(i),
  ) as [tf.Tensor, tf.Tensor];
  const grads = rnnBackward(
    c.cell,
    { dh: info(c.dh)!, x: info(c.x)!, kernel: info(c.kernel)!, recurrentKernel: info(c.recurrent)!, h: info(h)!, state: info(state)!, ...masks },
    attrs,
    backend,
  ).map((i) => tf.engine().makeTensorFromTensorInfo(i));
  expect(grads.map((g) => g.shape)).toEqual([c.x.shape, c.kernel.shape, c.recurrent.shape, c.bias.shape]);
  const out = await Promise.all([h, ...grads].map(async (t) => (await t.data()) as Float32Array));
  tf.dispose([h, state, ...grads]);
  return out;
}

describe('the reference is tf.layers.lstm/gru', () => {
  for (const cell of ['lstm', 'gru'] as const) {
    it(`${cell}: masked, backwards, returning sequences (tfjs returns them in processing order)`, async () => {
      await initBackend('cpu');
      const c = makeCase(cell, 'hardSigmoid', true, true);
      const layer = tf.layers[cell]({ units: U, returnSequences: true, goBackwards: true, recurrentActivation: 'hardSigmoid' });
      layer.apply(c.x); // builds it
      layer.setWeights([c.kernel, c.recurrent, c.bias]);
      const processingOrder = layer.apply(c.x, { mask: tf.cast(c.options.mask!, 'bool') }) as tf.Tensor3D;
      const expected = await tf.reverse(processingOrder, 1).data();
      const got = await referenceRnn(cell, c.x, c.kernel, c.recurrent, c.bias, { ...c.options, recurrentMask: undefined }).data();
      expect(maxAbsDiff(got, expected)).toBeLessThan(1e-6);
    });
  }
});

const pkg = webgpuPackage();

describe.skipIf(!pkg.loads)(`WGSL LSTM/GRU kernels on the tests' software GPU${pkg.loads ? '' : ` (skipped: ${pkg.reason})`}`, () => {
  beforeAll(() => {
    const gpu = useSoftwareGpu();
    if (!gpu.ok) throw new Error(`The webgpu tests need SwiftShader: ${gpu.reason}`);
  });

  for (const cell of ['lstm', 'gru'] as const) {
    it(`${cell}: h and the gradients of x, kernel, recurrent kernel and bias equal the reference in every mode`, async () => {
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
        const expected = await reference(c);
        await initBackend('webgpu');
        const got = await fused(c);
        const diffs = got.map((g, i) => maxAbsDiff(g, expected[i]!));
        if (!(Math.max(...diffs) < TOLERANCE)) failures.push(`${gate} goBackwards=${goBackwards} masked=${masked}: h, dx, dKernel, dRecurrent, dBias differ by ${diffs.join(', ')}`);
      }
      expect(failures).toEqual([]);
    });
  }
});
