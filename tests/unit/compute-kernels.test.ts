// The kernels the project registers: UnsortedSegmentSum (missing on wasm, slow on cpu) and the
// faster Slice/Unpack/SplitV/BatchMatMul, comparisons and Reverse. Each is checked against numbers computed by hand or by
// plain JS, and a few training steps of Embedding models must give the same losses on wasm and cpu.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { registeredKernelPatches, scatterAdd, setWasmOps } from '../../main/engine/compute/kernels.ts';

beforeAll(async () => {
  // Both backends live in one process; tf.setBackend switches between them and moves data.
  await initBackend('cpu');
  await initBackend('wasm');
});

async function on<T>(backend: 'wasm' | 'cpu', f: () => T): Promise<T> {
  await tf.setBackend(backend);
  return f();
}

function closeTo(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (Math.abs(actual[i]! - expected[i]!) > tol) throw new Error(`element ${i}: ${actual[i]} != ${expected[i]} (tolerance ${tol})`);
  }
}

describe('scatterAdd', () => {
  it('adds rows into their segments and drops ids outside the range', () => {
    const out = new Float32Array(6);
    scatterAdd([1, 2, 3, 4, 5, 6, 7, 8], [2, 0, 2, 3], 2, 3, out);
    // row0 [1,2] -> seg2, row1 [3,4] -> seg0, row2 [5,6] -> seg2, row3 id 3 is out of range
    expect(Array.from(out)).toEqual([3, 4, 0, 0, 6, 8]);
  });
});

describe.each(['wasm', 'cpu'] as const)('UnsortedSegmentSum on %s', (backend) => {
  it('is registered by initBackend', () => {
    const patch = registeredKernelPatches().find((p) => p.kernel === 'UnsortedSegmentSum' && p.backend === backend);
    expect(patch?.action).toBe(backend === 'wasm' ? 'added' : 'replaced');
  });

  it('matches a hand-computed scatter-add (1-D ids, repeated and unused segments)', async () => {
    const values = await on(backend, () =>
      tf.tidy(() => tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]), tf.tensor1d([1, 3, 1, 0], 'int32'), 4).arraySync()),
    );
    expect(values).toEqual([[7, 8], [6, 8], [0, 0], [3, 4]]);
  });

  it('handles 2-D ids over 3-D data and int32 data', async () => {
    const [f, i] = await on(backend, () =>
      tf.tidy(() => {
        const ids = tf.tensor2d([[0, 2], [2, 2]], [2, 2], 'int32');
        const data = tf.tensor3d([[[1], [2]], [[3], [4]]]);
        const ints = tf.tensor1d([5, 6, 7], 'int32');
        return [
          tf.unsortedSegmentSum(data, ids as unknown as tf.Tensor1D, 3).arraySync(), // TF allows ids of any rank that prefixes data
          tf.unsortedSegmentSum(ints, tf.tensor1d([1, 1, 0], 'int32'), 2).arraySync(),
        ];
      }),
    );
    expect(f).toEqual([[1], [0], [9]]);
    expect(i).toEqual([7, 11]);
  });

  it('gives the gradient of a gather: each row gets the sum of the upstream gradients that picked it', async () => {
    const grad = await on(backend, () =>
      tf.tidy(() => {
        const params = tf.ones([5, 3]);
        const ids = tf.tensor1d([4, 1, 4, 4], 'int32');
        const dy = tf.tensor2d([[1, 1, 1], [2, 2, 2], [3, 3, 3], [4, 4, 4]]);
        const g = tf.grad((p: tf.Tensor) => tf.gather(p, ids).mul(dy).sum())(params);
        return g.arraySync();
      }),
    );
    expect(grad).toEqual([[0, 0, 0], [2, 2, 2], [0, 0, 0], [0, 0, 0], [8, 8, 8]]);
  });
});

/** Plain-JS reference for slicing a row-major array. */
function refSlice(x: number[], shape: number[], begin: number[], size: number[]): number[] {
  const out: number[] = [];
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const walk = (d: number, offset: number): void => {
    if (d === shape.length) {
      out.push(x[offset]!);
      return;
    }
    for (let i = 0; i < size[d]!; i++) walk(d + 1, offset + (begin[d]! + i) * strides[d]!);
  };
  walk(0, 0);
  return out;
}

function refMatMul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
}
const transpose2d = (m: number[][]): number[][] => m[0]!.map((_, j) => m.map((row) => row[j]!));

describe.each(['wasm', 'cpu'] as const)('faster slicing, gather and matmul on %s', (backend) => {
  const shape = [3, 4, 5];
  const x = Array.from({ length: 60 }, (_, i) => i * 0.5 - 7);

  it('Slice matches a plain-JS slice (contiguous, strided, 1-D, bool)', async () => {
    for (const [begin, size] of [
      [[1, 0, 0], [2, 4, 5]],
      [[0, 1, 2], [3, 2, 3]],
      [[2, 3, 4], [1, 1, 1]],
      [[0, 0, 1], [3, 4, 0]],
    ] as Array<[number[], number[]]>) {
      const got = await on(backend, () => tf.tidy(() => tf.slice(tf.tensor3d(x, shape as [number, number, number]), begin, size).dataSync()));
      closeTo(got, refSlice(x, shape, begin, size));
    }
    const b = await on(backend, () => tf.tidy(() => tf.slice(tf.tensor1d([true, false, true, true], 'bool'), [1], [2]).arraySync()));
    expect(b).toEqual([0, 1]);
  });

  it('Unpack and Split give the same pieces as plain-JS slices', async () => {
    const [unstacked, split] = await on(backend, () =>
      tf.tidy(() => {
        const t = tf.tensor3d(x, shape as [number, number, number]);
        return [tf.unstack(t, 1).map((p) => p.arraySync() as number[][]), tf.split(t, [1, 3, 1], 2).map((p) => Array.from(p.dataSync()))];
      }),
    );
    expect(unstacked).toHaveLength(4);
    for (let i = 0; i < 4; i++) closeTo(unstacked[i]!.flat(), refSlice(x, shape, [0, i, 0], [3, 1, 5]));
    closeTo(split[0]!, refSlice(x, shape, [0, 0, 0], [3, 4, 1]));
    closeTo(split[1]!, refSlice(x, shape, [0, 0, 1], [3, 4, 3]));
    closeTo(split[2]!, refSlice(x, shape, [0, 0, 4], [3, 4, 1]));
  });

  it('gather (axis 0, axis 1, batchDims 1) matches plain-JS indexing and refuses out-of-range ids', async () => {
    const rows = [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]];
    const got = await on(backend, () =>
      tf.tidy(() => {
        const t = tf.tensor2d(rows);
        return [
          tf.gather(t, tf.tensor2d([[3, 0], [0, 3]], [2, 2], 'int32')).arraySync(),
          tf.gather(t, tf.tensor1d([2, 2, 0], 'int32'), 1).arraySync(),
          tf.gather(t, tf.tensor2d([[2, 0], [1, 1], [0, 2], [1, 0]], [4, 2], 'int32'), 1, 1).arraySync(),
          tf.gather(tf.tensor1d([5, 6, 7], 'int32'), tf.tensor1d([2, 0], 'int32')).arraySync(),
        ];
      }),
    );
    expect(got[0]).toEqual([[rows[3], rows[0]], [rows[0], rows[3]]]);
    expect(got[1]).toEqual(rows.map((r) => [r[2], r[2], r[0]]));
    expect(got[2]).toEqual([[3, 1], [5, 5], [7, 9], [11, 10]]);
    expect(got[3]).toEqual([7, 5]);
    await tf.setBackend(backend);
    expect(() => tf.tidy(() => tf.gather(tf.tensor2d(rows), tf.tensor1d([4], 'int32')).dataSync())).toThrow(/index value 4 is not in \[0, 3\]/);
  });

  it('matMul with transposed operands matches a plain-JS product, and leaks no tensors', async () => {
    const a = [[1, 2, 3], [4, 5, 6]];
    const b = [[0.5, -1], [2, 0], [1, 3]];
    const before = await on(backend, () => tf.memory().numTensors);
    const got = await on(backend, () =>
      tf.tidy(() => {
        const A = tf.tensor2d(a);
        const B = tf.tensor2d(b);
        return [
          tf.matMul(A, B).arraySync(),
          tf.matMul(A, B.transpose(), false, true).arraySync(),
          tf.matMul(A.transpose(), B, true, false).arraySync(),
          tf.matMul(A.transpose(), B.transpose(), true, true).arraySync(),
          tf.matMul(tf.stack([A, A.mul(2)]), tf.stack([B, B]).transpose([0, 2, 1]), false, true).arraySync() as number[][][],
        ];
      }),
    );
    const want = refMatMul(a, b);
    for (const g of got.slice(0, 4)) expect(g).toEqual(want);
    expect((got[4] as number[][][])[1]).toEqual(refMatMul(transpose2d(transpose2d(a)).map((r) => r.map((v) => v * 2)), b));
    expect(await on(backend, () => tf.memory().numTensors)).toBe(before);
  });

  it('clones (and on wasm transposes that keep the memory layout) share the data; other transposes still move it', async () => {
    const values = Array.from({ length: 24 }, (_, i) => i * 0.5 - 3);
    const buffers = (): number => (tf.memory() as tf.MemoryInfo & { numDataBuffers: number }).numDataBuffers;
    const got = await on(backend, () =>
      tf.tidy(() => {
        const x = tf.tensor3d(values, [2, 1, 12]);
        const before = buffers();
        const clone = x.clone();
        const unit = tf.transpose(x, [1, 0, 2]); // only the size-1 axis moves
        const shared = buffers() === before + (backend === 'cpu' ? 1 : 0); // the cpu backend's Transpose copies
        const real = tf.transpose(tf.reshape(x, [2, 3, 4]), [0, 2, 1]);
        return { shared, clone: Array.from(clone.dataSync()), unit: unit.shape, unitValues: Array.from(unit.dataSync()), real: real.arraySync() as number[][][] };
      }),
    );
    expect(got.shared).toBe(true);
    expect(got.clone).toEqual(values);
    expect(got.unit).toEqual([1, 2, 12]);
    expect(got.unitValues).toEqual(values);
    expect(got.real[1]![3]).toEqual([values[15], values[19], values[23]]);
  });
});

/** A few Adam steps of a tiny model on one backend, from the same initial weights; returns the losses. */
async function trainSteps(backend: 'wasm' | 'cpu', kind: 'dense' | 'lstm' | 'gru', weights?: Float32Array[]): Promise<{ losses: number[]; init: Float32Array[] }> {
  await tf.setBackend(backend);
  const vocab = 40;
  const seq = 6;
  const layers: tf.layers.Layer[] = [tf.layers.embedding({ inputDim: vocab, outputDim: 8, inputLength: seq, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 1 }) })];
  if (kind === 'dense') layers.push(tf.layers.flatten());
  if (kind === 'lstm') layers.push(tf.layers.lstm({ units: 5, kernelInitializer: 'glorotUniform', recurrentInitializer: 'glorotUniform' }));
  if (kind === 'gru') layers.push(tf.layers.gru({ units: 5, kernelInitializer: 'glorotUniform', recurrentInitializer: 'glorotUniform' }));
  layers.push(tf.layers.dense({ units: 3, activation: 'softmax' }));
  const model = tf.sequential({ layers });
  if (weights) model.setWeights(weights.map((w, i) => tf.tensor(w, model.getWeights()[i]!.shape)));
  const init = model.getWeights().map((w) => w.dataSync() as Float32Array);
  // Repeated ids within and across rows, so gradient rows must be summed.
  const ids = [[1, 2, 3, 3, 0, 0], [5, 5, 5, 1, 2, 0], [7, 8, 1, 2, 3, 4], [39, 1, 1, 0, 0, 0]];
  const x = tf.tensor2d(ids, [4, seq], 'int32');
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3).toFloat();
  const opt = tf.train.adam(0.05);
  const losses: number[] = [];
  for (let step = 0; step < 4; step++) {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)!;
    losses.push(loss.dataSync()[0]!);
    loss.dispose();
  }
  tf.dispose([x, y]);
  opt.dispose();
  model.dispose();
  return { losses, init };
}

describe('batched matMul on wasm (ops.c batch_matmul)', () => {
  let seed = 3;
  const random = (n: number): Float32Array =>
    Float32Array.from({ length: n }, () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return (seed / 2 ** 32 - 0.5) * 4;
    });

  it("gives tfjs's own batched product bit for bit: transposed operands, a broadcast batch, k over 48, odd widths", async () => {
    await tf.setBackend('wasm');
    // [batchA, batchB, m, k, n]: the pooling's shapes first, then blocks of k past 48, widths not a multiple of 4.
    const cases = [
      [32, 32, 1, 24, 128],
      [32, 32, 24, 1, 128],
      [32, 32, 1, 24, 1],
      [3, 3, 5, 100, 7],
      [4, 1, 6, 49, 9],
      [1, 4, 6, 97, 3],
      [2, 2, 1, 1, 1],
      [5, 5, 0, 3, 4],
    ];
    for (const [batchA, batchB, m, k, n] of cases as Array<[number, number, number, number, number]>) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const a = tf.tensor3d(random(batchA * m * k), ta ? [batchA, k, m] : [batchA, m, k]);
        const b = tf.tensor3d(random(batchB * k * n), tb ? [batchB, n, k] : [batchB, k, n]);
        const before = tf.memory().numTensors;
        const got = tf.matMul(a, b, ta, tb);
        setWasmOps(false);
        let want: tf.Tensor;
        try {
          want = tf.matMul(a, b, ta, tb);
        } finally {
          setWasmOps(true);
        }
        expect(got.shape).toEqual(want.shape);
        expect(Array.from(got.dataSync()), `${[batchA, batchB, m, k, n]} ${ta} ${tb}`).toEqual(Array.from(want.dataSync()));
        tf.dispose([got, want]);
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose([a, b]);
      }
    }
  });
});

describe('max over axes before the last on wasm (ops.c max_middle)', () => {
  it("gives tfjs's own Max bit for bit: NaN, -0 and 0 ties, several axes, keepDims, and leaves the rest to it", async () => {
    await tf.setBackend('wasm');
    let s = 5;
    const values = (n: number): number[] =>
      Array.from({ length: n }, (_, i) => {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        return i % 31 === 7 ? Number.NaN : i % 11 === 2 ? -0 : i % 11 === 4 ? 0 : (s % 9) - 4;
      });
    const cases: Array<[number[], number | number[], boolean]> = [
      [[32, 24, 128], 1, false],
      [[32, 24, 130], 1, true],
      [[3, 4, 5, 6], [1, 2], false],
      [[7, 9], 0, false],
      [[2, 3, 4, 5], [0, 1], true],
      [[5, 1, 3], 1, false],
      [[4, 6], -1, false],
      [[4, 6, 3], [0, 2], false],
    ];
    for (const [shape, axis, keepDims] of cases) {
      const x = tf.tensor(values(tf.util.sizeFromShape(shape)), shape);
      const got = tf.max(x, axis, keepDims);
      setWasmOps(false);
      let want: tf.Tensor;
      try {
        want = tf.max(x, axis, keepDims);
      } finally {
        setWasmOps(true);
      }
      expect(got.shape, `${shape} ${axis}`).toEqual(want.shape);
      const g = Array.from(got.dataSync());
      const w = Array.from(want.dataSync());
      expect(g.map((v) => Object.is(v, -0)), `${shape} ${axis} -0`).toEqual(w.map((v) => Object.is(v, -0)));
      expect(g, `${shape} ${axis}`).toEqual(w);
      tf.dispose([x, got, want]);
    }
  });
});

describe('comparisons on wasm', () => {
  const ops = { equal: tf.equal, notEqual: tf.notEqual, greater: tf.greater, greaterEqual: tf.greaterEqual, less: tf.less, lessEqual: tf.lessEqual };
  const rand = (n: number, seed: number) => {
    let s = seed;
    // Few distinct values (ties are what Equal is for), a NaN, and both zeros.
    return Array.from({ length: n }, (_, i) => (i % 17 === 5 ? Number.NaN : i % 13 === 3 ? -0 : ((s = (s * 1103515245 + 12345) % 2147483648) % 7) - 3));
  };
  const pairs: Array<[number[], number[]]> = [
    [[32, 24, 16], [32, 1, 16]],
    [[32, 24, 16], [32, 24, 16]],
    [[4, 1, 5], [1, 3, 1]],
    [[6], []],
    [[], [2, 3]],
    [[2, 3, 4], [4]],
    // Rows of 16 and more (float32: ops.c's SIMD loop) with a tail, whole and broadcast.
    [[3, 5, 37], [3, 1, 37]],
    [[1001], [1001]],
  ];

  it('are the project\'s kernels, and give what the cpu backend gives (broadcasts, scalars, NaN, -0; float32, int32, bool)', async () => {
    await tf.setBackend('wasm');
    for (const k of ['Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual']) {
      expect(registeredKernelPatches().find((p) => p.kernel === k && p.backend === 'wasm')?.action).toBe('replaced');
    }
    for (const [name, op] of Object.entries(ops)) {
      for (const [sa, sb] of pairs) {
        for (const dtype of ['float32', 'int32', 'bool'] as const) {
          const av = rand(tf.util.sizeFromShape(sa), 7);
          const bv = rand(tf.util.sizeFromShape(sb), 11);
          const make = (v: number[], shape: number[]) => (dtype === 'float32' ? tf.tensor(v, shape) : dtype === 'int32' ? tf.tensor(v.map((x) => (Number.isNaN(x) ? 9 : x)), shape, 'int32') : tf.tensor(v.map((x) => x > 0), shape, 'bool'));
          const run = (backend: 'wasm' | 'cpu') => on(backend, () => tf.tidy(() => Array.from(op(make(av, sa), make(bv, sb)).dataSync())));
          const got = await run('wasm');
          const want = await run('cpu');
          expect(got, `${name} ${dtype} [${sa}] vs [${sb}]`).toEqual(want);
        }
      }
    }
  });

  it('the gradient of a max over time (GlobalMaxPooling1D) is the same as on cpu, ties included', async () => {
    const x = rand(8 * 6 * 5, 3);
    const grad = (backend: 'wasm' | 'cpu') =>
      on(backend, () => tf.tidy(() => Array.from(tf.grad((t: tf.Tensor) => tf.mul(tf.max(t, 1), tf.range(1, 41).reshape([8, 5])).sum())(tf.tensor3d(x.map((v) => (Number.isNaN(v) ? 1 : v)), [8, 6, 5])).dataSync())));
    expect(await grad('wasm')).toEqual(await grad('cpu'));
  });
});

describe('Reverse on wasm', () => {
  it('is the project\'s kernel and gives what the cpu backend gives (each axis, several, none, negative; 1-D to 4-D; float32, int32, bool)', async () => {
    await tf.setBackend('wasm');
    expect(registeredKernelPatches().find((p) => p.kernel === 'Reverse' && p.backend === 'wasm')?.action).toBe('replaced');
    const cases: Array<[number[], number[]]> = [
      [[7], [0]],
      [[3, 4], [0]],
      [[3, 4], [1]],
      [[3, 4], [0, 1]],
      [[4, 5, 6], [1]],
      [[4, 5, 6], [-1]],
      [[4, 5, 6], [0, 2]],
      [[4, 5, 6], []],
      [[2, 3, 4, 5], [1, 2]],
      [[2, 3, 4, 5], [3, 0]],
      [[2, 0, 3], [1]],
    ];
    for (const [shape, dims] of cases) {
      const n = tf.util.sizeFromShape(shape);
      for (const dtype of ['float32', 'int32', 'bool'] as const) {
        const values = Array.from({ length: n }, (_, i) => (dtype === 'bool' ? i % 3 === 0 : dtype === 'int32' ? i - 4 : i * 1.5 - 4));
        const run = (backend: 'wasm' | 'cpu') => on(backend, () => tf.tidy(() => Array.from(tf.reverse(tf.tensor(values as number[] | boolean[], shape, dtype), dims).dataSync())));
        expect(await run('wasm'), `[${shape}] dims [${dims}] ${dtype}`).toEqual(await run('cpu'));
      }
    }
  });
});

describe('training an Embedding model gives the same losses on wasm and cpu', () => {
  it.each(['dense', 'lstm', 'gru'] as const)('Embedding + %s', async (kind) => {
    const cpu = await trainSteps('cpu', kind);
    const wasm = await trainSteps('wasm', kind, cpu.init);
    expect(cpu.losses[3]!).toBeLessThan(cpu.losses[0]!); // it learns, so the gradients are not zero
    closeTo(wasm.losses, cpu.losses, 1e-4);
  });
});
