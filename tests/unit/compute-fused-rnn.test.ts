// The fused LSTM and GRU (compute/fused-rnn.ts, contract in rnn-op.ts), in every implementation (WebAssembly SIMD
// on one thread and split over three, JavaScript) and on every backend they are registered for:
// - values and gradients against an independent float64 implementation of the contract and its finite
//   differences, with masks (leading, trailing and inner padding, all-padding rows), recurrent dropout masks,
//   both directions, and sizes that are not multiples of the SIMD width;
// - against tfjs's own per-step ops (autodiff) with hardSigmoid gates;
// - as layers, against tf.layers.lstm/gru with the same weights: masking from an Embedding with maskZero,
//   returnSequences, goBackwards, bidirectional, stacked, and 20 seeded training steps with dropout and
//   recurrent dropout (same losses: the dropout masks are drawn as tfjs draws them);
// - saved as themselves (checkpoints) and as their standard twins (bundles, plain tf.loadLayersModel);
// - and the WebAssembly kernels' saved forward state is freed once tfjs is done with it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { loadWasmRnnKernels, registerFusedRnnKernels, registeredKernelPatches, wasmRnnKernelsLoaded, type RnnImplementation } from '../../main/engine/compute/kernels.ts';
import {
  FusedGRU,
  FusedLSTM,
  bidirectionalLayer,
  hasFusedKernels,
  recurrentLayer,
  recurrentSequence,
  recurrentSequenceWithOps,
  withStandardRecurrentLayers,
  type Cell,
  type GateActivation,
  type RecurrentLayerArgs,
  type SequenceOptions,
} from '../../main/engine/compute/fused-rnn.ts';
import { mulberry32 } from '../../main/engine/random.ts';
import { threadPolicy } from '../../main/engine/compute/rnn-wasm.ts';

beforeAll(async () => {
  // The shapes here are small; split them over the threads anyway (in use they would run on one), to check the split.
  threadPolicy.minMacsPerThread = 0;
  await initBackend('cpu');
  await initBackend('wasm');
});

afterAll(async () => {
  await loadWasmRnnKernels(1);
});

interface Implementation {
  rnn: RnnImplementation;
  threads: number;
  /** The build with fused multiply-adds (every Node this project supports has relaxed SIMD); false: the plain one. */
  fma?: boolean;
}
const IMPLEMENTATIONS: Array<[string, Implementation]> = [
  ['WebAssembly SIMD with FMA on 1 thread', { rnn: 'wasm-simd', threads: 1, fma: true }],
  ['WebAssembly SIMD with FMA on 3 threads', { rnn: 'wasm-simd', threads: 3, fma: true }],
  ['WebAssembly SIMD without FMA on 1 thread', { rnn: 'wasm-simd', threads: 1, fma: false }],
  ['WebAssembly SIMD without FMA on 3 threads', { rnn: 'wasm-simd', threads: 3, fma: false }],
  ['JavaScript', { rnn: 'js', threads: 1 }],
];

/** Makes `impl` the fused kernels of both backends. */
async function use(impl: Implementation): Promise<void> {
  if (impl.rnn === 'wasm-simd') {
    const info = (await loadWasmRnnKernels(impl.threads, { fma: impl.fma }))?.info;
    expect(info?.threads).toBe(impl.threads);
    expect(info?.fma).toBe(impl.fma);
  }
  for (const backend of ['wasm', 'cpu']) registerFusedRnnKernels(backend, impl.rnn);
  const detail = registeredKernelPatches().find((k) => k.kernel === 'TextbenchFusedGru' && k.backend === 'wasm')?.detail;
  expect(detail).toMatch(impl.rnn === 'js' ? /^JavaScript/ : new RegExp(`^WebAssembly SIMD, ${impl.threads} threads?${impl.fma ? ', fused multiply-add' : '$'}`));
}

/** The WebAssembly kernels keep no forward state once tfjs has disposed the tensors that refer to it. */
function expectNoSavedState(): void {
  expect(wasmRnnKernelsLoaded()?.liveEntries() ?? 0).toBe(0);
}

interface Dims {
  B: number;
  T: number;
  E: number;
  U: number;
}

// Rows that repeat (4 per thread with 3 threads): all real, padded at the end, padded at the start, all padding, holes.
const MASK_ROWS = [
  [1, 1, 1, 1, 1, 1],
  [1, 1, 1, 0, 0, 0],
  [0, 0, 1, 1, 1, 1],
  [0, 0, 0, 0, 0, 0],
  [1, 0, 1, 1, 0, 1],
  [1, 1, 0, 1, 1, 0],
];
const maskOf = (B: number, T: number): number[] => Array.from({ length: B * T }, (_, i) => MASK_ROWS[Math.floor(i / T) % MASK_ROWS.length]![i % T]!);

function seededValues(n: number, seed: number, lo: number, hi: number): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * r());
}

interface Problem {
  cell: Cell;
  gate: GateActivation;
  back: boolean;
  mask?: number[];
  rm?: Float64Array;
}

/** The contract of rnn-op.ts written plainly in float64: h [B,T,U] by time step. */
function reference(d: Dims, p: Problem, x: Float64Array, k: Float64Array, rk: Float64Array, bias: Float64Array): Float64Array {
  const { B, T, E, U } = d;
  const G = (p.cell === 'lstm' ? 4 : 3) * U;
  const gate = p.gate === 'sigmoid' ? (a: number) => 1 / (1 + Math.exp(-a)) : (a: number) => Math.min(1, Math.max(0, 0.2 * a + 0.5));
  const h = new Float64Array(B * T * U);
  for (let b = 0; b < B; b++) {
    let hPrev = new Float64Array(U);
    let cPrev = new Float64Array(U);
    for (let s = 0; s < T; s++) {
      const t = p.back ? T - 1 - s : s;
      if (p.mask && p.mask[b * T + t] === 0) {
        h.set(hPrev, (b * T + t) * U);
        continue;
      }
      const hd = hPrev.map((v, u) => v * (p.rm ? p.rm[b * U + u]! : 1));
      const xw = new Float64Array(G);
      for (let g = 0; g < G; g++) {
        let sum = bias[g]!;
        for (let e = 0; e < E; e++) sum += x[(b * T + t) * E + e]! * k[e * G + g]!;
        xw[g] = sum;
      }
      const rec = (v: Float64Array, col: number): number => {
        let sum = 0;
        for (let u = 0; u < U; u++) sum += v[u]! * rk[u * G + col]!;
        return sum;
      };
      const hNew = new Float64Array(U);
      const cNew = new Float64Array(U);
      if (p.cell === 'lstm') {
        for (let j = 0; j < U; j++) {
          const i = gate(xw[j]! + rec(hd, j));
          const f = gate(xw[U + j]! + rec(hd, U + j));
          const g = Math.tanh(xw[2 * U + j]! + rec(hd, 2 * U + j));
          const o = gate(xw[3 * U + j]! + rec(hd, 3 * U + j));
          cNew[j] = f * cPrev[j]! + i * g;
          hNew[j] = o * Math.tanh(cNew[j]!);
        }
      } else {
        const z = new Float64Array(U);
        const rh = new Float64Array(U);
        for (let j = 0; j < U; j++) {
          z[j] = gate(xw[j]! + rec(hd, j));
          rh[j] = gate(xw[U + j]! + rec(hd, U + j)) * hd[j]!;
        }
        for (let j = 0; j < U; j++) hNew[j] = z[j]! * hd[j]! + (1 - z[j]!) * Math.tanh(xw[2 * U + j]! + rec(rh, 2 * U + j));
      }
      h.set(hNew, (b * T + t) * U);
      hPrev = hNew;
      cPrev = cNew;
    }
  }
  return h;
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

function optionsOf(d: Dims, p: Problem): SequenceOptions {
  return {
    gate: p.gate,
    goBackwards: p.back,
    ...(p.mask ? { mask: tf.tensor2d(p.mask, [d.B, d.T]) } : {}),
    ...(p.rm ? { recurrentMask: tf.tensor2d(Float32Array.from(p.rm), [d.B, d.U]) } : {}),
  };
}

// Sizes that exercise the SIMD tails: 5 units (gate rows of 15/20 floats), 3 input features.
const FD: Dims = { B: 12, T: 5, E: 3, U: 5 };
const dropMask = (seed: number, d: Dims): Float64Array => seededValues(d.B * d.U, seed, 0, 1).map((v) => (v < 0.3 ? 0 : 1 / 0.7));
const PROBLEMS: Array<Omit<Problem, 'cell'>> = [
  { gate: 'sigmoid', back: false },
  { gate: 'sigmoid', back: true, mask: maskOf(FD.B, FD.T) },
  { gate: 'sigmoid', back: false, mask: maskOf(FD.B, FD.T), rm: dropMask(9, FD) },
  { gate: 'sigmoid', back: true, mask: maskOf(FD.B, FD.T), rm: dropMask(10, FD) },
];

describe.each(IMPLEMENTATIONS)('fused kernels: %s', (_name, impl) => {
  beforeAll(async () => {
    await use(impl);
  });

  describe.each([
    ['lstm', 'wasm'],
    ['gru', 'wasm'],
    ['lstm', 'cpu'],
    ['gru', 'cpu'],
  ] as const)('%s on %s', (cell, backend) => {
    beforeAll(async () => {
      await tf.setBackend(backend);
    });

    it('are registered there', () => {
      expect(hasFusedKernels(cell, backend)).toBe(true);
    });

    it.each(PROBLEMS.map((p, i) => [i, p] as const))('match a float64 reference and its finite-difference gradients (case %i)', (_i, problem) => {
      const p: Problem = { ...problem, cell };
      const d = FD;
      const G = (cell === 'lstm' ? 4 : 3) * d.U;
      const params = {
        x: seededValues(d.B * d.T * d.E, 1, -1.5, 1.5),
        k: seededValues(d.E * G, 2, -0.6, 0.6),
        rk: seededValues(d.U * G, 3, -0.6, 0.6),
        b: seededValues(G, 4, -0.8, 0.8),
      };
      const w = seededValues(d.B * d.T * d.U, 5, -1, 1);
      const loss = (): number => reference(d, p, params.x, params.k, params.rk, params.b).reduce((s, v, i) => s + v * w[i]!, 0);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const opts = optionsOf(d, p);
        const [x, k, rk, b] = [
          tf.tensor3d(Float32Array.from(params.x), [d.B, d.T, d.E]),
          tf.tensor2d(Float32Array.from(params.k), [d.E, G]),
          tf.tensor2d(Float32Array.from(params.rk), [d.U, G]),
          tf.tensor1d(Float32Array.from(params.b)),
        ];
        const wt = tf.tensor3d(Float32Array.from(w), [d.B, d.T, d.U]);
        const h = recurrentSequence(cell, x, k, rk, b, opts);
        const want = reference(d, p, params.x, params.k, params.rk, params.b);
        const got = h.dataSync();
        want.forEach((v, i) => expect(Math.abs(got[i]! - v)).toBeLessThan(2e-6));
        const grads = tf.grads((xx: tf.Tensor, kk: tf.Tensor, rr: tf.Tensor, bb: tf.Tensor) =>
          tf.sum(tf.mul(recurrentSequence(cell, xx as tf.Tensor3D, kk as tf.Tensor2D, rr as tf.Tensor2D, bb as tf.Tensor1D, opts), wt)),
        )([x, k, rk, b]);
        // Central differences of the float64 reference, for every input and weight.
        (['x', 'k', 'rk', 'b'] as const).forEach((name, gi) => {
          const analytic = grads[gi]!.dataSync();
          const values = params[name];
          let largest = 0;
          for (let i = 0; i < values.length; i++) {
            const v = values[i]!;
            values[i] = v + 1e-5;
            const up = loss();
            values[i] = v - 1e-5;
            const down = loss();
            values[i] = v;
            const fd = (up - down) / 2e-5;
            largest = Math.max(largest, Math.abs(fd));
            expect(Math.abs(analytic[i]! - fd), `${name}[${i}]`).toBeLessThan(2e-5 + 1e-4 * Math.abs(fd));
          }
          expect(largest).toBeGreaterThan(1e-2); // a real gradient, not zeros everywhere
        });
      });
      expect(tf.memory().numTensors).toBe(before);
      expectNoSavedState();
    });

    it.each([false, true])('match tfjs per-step ops in value and gradient with hardSigmoid gates (goBackwards %s)', (back) => {
      const d: Dims = { B: 12, T: 6, E: 8, U: 8 };
      const G = (cell === 'lstm' ? 4 : 3) * d.U;
      tf.tidy(() => {
        const p: Problem = { cell, gate: 'hardSigmoid', back, mask: maskOf(d.B, d.T), rm: seededValues(d.B * d.U, 11, 0.5, 1.5) };
        const opts = optionsOf(d, p);
        const x = tf.randomNormal([d.B, d.T, d.E], 0, 1.5, 'float32', 1) as tf.Tensor3D;
        const k = tf.randomUniform([d.E, G], -0.8, 0.8, 'float32', 2) as tf.Tensor2D;
        const rk = tf.randomUniform([d.U, G], -0.8, 0.8, 'float32', 3) as tf.Tensor2D;
        // A wide bias range puts some hardSigmoid gates in their clipped region, where the gradient is 0.
        const b = tf.randomUniform([G], -3, 3, 'float32', 4) as tf.Tensor1D;
        const w = tf.randomNormal([d.B, d.T, d.U], 0, 1, 'float32', 5);
        const f = (impl: typeof recurrentSequence) => (xx: tf.Tensor, kk: tf.Tensor, rr: tf.Tensor, bb: tf.Tensor) =>
          tf.sum(tf.mul(impl(cell, xx as tf.Tensor3D, kk as tf.Tensor2D, rr as tf.Tensor2D, bb as tf.Tensor1D, opts), w));
        expect(maxAbsDiff(recurrentSequence(cell, x, k, rk, b, opts), recurrentSequenceWithOps(cell, x, k, rk, b, opts))).toBeLessThan(1e-5);
        const fused = tf.grads(f(recurrentSequence))([x, k, rk, b]);
        const ops = tf.grads(f(recurrentSequenceWithOps))([x, k, rk, b]);
        fused.forEach((g, i) => expect(maxAbsDiff(g, ops[i]!)).toBeLessThan(1e-5));
      });
      expectNoSavedState();
    });
  });
});

// ---- as layers, against tf.layers.lstm/gru ----

const V = 12;
const L = 6;
const E = 3;
const U = 4;
// Post-padded, pre-padded, padded in the middle, and all padding.
const IDS = [
  [3, 4, 5, 6, 7, 8],
  [9, 2, 11, 0, 0, 0],
  [0, 0, 0, 5, 1, 10],
  [4, 0, 7, 7, 0, 2],
  [0, 0, 0, 0, 0, 0],
];

type LayerKind = 'lstm' | 'gru';

/** Embedding(maskZero) → what `body` makes of it; returns the model. */
function maskedModel(body: (x: tf.SymbolicTensor) => tf.SymbolicTensor): tf.LayersModel {
  const tokens = tf.input({ shape: [L], dtype: 'int32' });
  const emb = tf.layers
    .embedding({ inputDim: V, outputDim: E, maskZero: true, embeddingsInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: 7 }) })
    .apply(tokens) as tf.SymbolicTensor;
  return tf.model({ inputs: tokens, outputs: body(emb) });
}

function seeded(i: number): Pick<RecurrentLayerArgs, 'kernelInitializer' | 'recurrentInitializer'> {
  return { kernelInitializer: tf.initializers.glorotUniform({ seed: 20 + i }), recurrentInitializer: tf.initializers.glorotUniform({ seed: 40 + i }) };
}

describe.each(['wasm', 'cpu'] as const)('fused layers (WebAssembly SIMD, 2 threads) on %s against tf.layers', (backend) => {
  beforeAll(async () => {
    await use({ rnn: 'wasm-simd', threads: 2, fma: true });
    await tf.setBackend(backend);
  });

  it.each([
    ['lstm', false, false],
    ['gru', false, false],
    ['lstm', true, false],
    ['gru', true, true],
    ['lstm', false, true],
  ] as const)('%s returnSequences=%s goBackwards=%s gives the standard layer\'s outputs on masked input', async (kind: LayerKind, returnSequences, goBackwards) => {
    const fused = maskedModel((x) => recurrentLayer(kind, { units: U, returnSequences, goBackwards, recurrentActivation: 'sigmoid', ...seeded(1) }).apply(x) as tf.SymbolicTensor);
    expect(fused.layers[2]).toBeInstanceOf(kind === 'lstm' ? FusedLSTM : FusedGRU);
    const standard = await withStandardRecurrentLayers(fused);
    expect(standard.layers[2]!.getClassName()).toBe(kind === 'lstm' ? 'LSTM' : 'GRU');
    const ids = tf.tensor2d(IDS, [IDS.length, L], 'int32');
    const a = fused.predict(ids) as tf.Tensor;
    const b = standard.predict(ids) as tf.Tensor;
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
    expect(a.shape).toEqual(returnSequences ? [IDS.length, L, U] : [IDS.length, U]);
    if (!returnSequences) expect(Array.from(a.dataSync().slice(4 * U))).toEqual(new Array(U).fill(0)); // all padding: zero state
    tf.dispose([ids, a, b]);
    fused.dispose();
    standard.dispose();
  });

  it('a stacked bidirectional model with dropout and recurrent dropout trains step for step like the standard one (20 steps, same seed)', async () => {
    const build = (): tf.LayersModel =>
      maskedModel((x) => {
        let y = bidirectionalLayer('lstm', { units: U, returnSequences: true, dropout: 0.3, recurrentDropout: 0.3, name: 'inner', ...seeded(2) }, { name: 'bi', mergeMode: 'concat' }).apply(x) as tf.SymbolicTensor;
        y = recurrentLayer('gru', { units: U, dropout: 0.2, recurrentDropout: 0.25, ...seeded(3) }).apply(y) as tf.SymbolicTensor;
        return tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 8 }) }).apply(y) as tf.SymbolicTensor;
      });
    const fused = build();
    const bi = fused.getLayer('bi') as unknown as { forwardLayer: tf.layers.Layer; backwardLayer: tf.layers.Layer };
    expect(bi.forwardLayer).toBeInstanceOf(FusedLSTM);
    expect(bi.backwardLayer).toBeInstanceOf(FusedLSTM);
    const standard = await withStandardRecurrentLayers(fused);
    expect(JSON.stringify(standard.toJSON(null, false))).not.toContain('"class_name":"Textbench');
    expect(standard.weights.map((w) => w.originalName)).toEqual(fused.weights.map((w) => w.originalName));
    const ids = tf.tensor2d(IDS, [IDS.length, L], 'int32');
    const y = tf.oneHot(tf.tensor1d([0, 2, 1, 1, 0], 'int32'), 3).toFloat();
    const train = (model: tf.LayersModel): number[] => {
      const random = Math.random;
      Math.random = mulberry32(1234); // what tfjs's unseeded dropout draws its seeds from
      const opt = tf.train.adam(0.03);
      const losses: number[] = [];
      try {
        for (let s = 0; s < 20; s++) {
          const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(ids, { training: true }) as tf.Tensor) as tf.Scalar, true)!;
          losses.push(loss.dataSync()[0]!);
          loss.dispose();
        }
      } finally {
        Math.random = random;
        opt.dispose();
      }
      return losses;
    };
    const want = train(standard);
    const before = tf.memory().numTensors;
    const bytes = wasmRnnKernelsLoaded()!.bytesInUse();
    const got = train(fused);
    // Nothing left behind by the fused kernels, in tfjs or in their own memory.
    expect(tf.memory().numTensors).toBe(before);
    expectNoSavedState();
    expect(wasmRnnKernelsLoaded()!.bytesInUse()).toBe(bytes);
    expect(want[19]!).toBeLessThan(want[0]! * 0.8);
    got.forEach((l, i) => expect(Math.abs(l - want[i]!) / want[i]!, `step ${i}`).toBeLessThan(1e-4));
    tf.dispose([ids, y]);
    fused.dispose();
    standard.dispose();
  });
});

describe('recurrentLayer() and saving', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });

  it('gives the fused layer for every configuration where the backend has the kernels', () => {
    for (const args of [{ units: 4 }, { units: 4, returnSequences: true }, { units: 4, recurrentDropout: 0.1 }, { units: 4, goBackwards: true, dropout: 0.2 }]) {
      expect(recurrentLayer('lstm', args)).toBeInstanceOf(FusedLSTM);
      expect(recurrentLayer('gru', args)).toBeInstanceOf(FusedGRU);
    }
  });

  it('a fused model saves and loads as itself (checkpoints) and as plain tfjs layers (bundles), with the same predictions', async () => {
    const model = maskedModel((x) => {
      const a = bidirectionalLayer('gru', { units: U, returnSequences: true, recurrentDropout: 0.1, ...seeded(4) }, { name: 'bi' }).apply(x) as tf.SymbolicTensor;
      return recurrentLayer('lstm', { units: U, dropout: 0.3, recurrentActivation: 'sigmoid', ...seeded(5) }).apply(a) as tf.SymbolicTensor;
    });
    const save = async (m: tf.LayersModel): Promise<tf.io.ModelArtifacts> => {
      let artifacts: tf.io.ModelArtifacts | undefined;
      await m.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
      return artifacts!;
    };
    const ids = tf.tensor2d(IDS, [IDS.length, L], 'int32');
    const want = model.predict(ids) as tf.Tensor;
    const checkpoint = await tf.loadLayersModel(tf.io.fromMemory(await save(model)));
    expect(checkpoint.layers[2]!.getClassName()).toBe('Bidirectional');
    expect(checkpoint.layers[3]).toBeInstanceOf(FusedLSTM);
    expect((checkpoint.layers[3] as FusedLSTM).dropout).toBe(0.3);
    const standard = await withStandardRecurrentLayers(model);
    const topology = JSON.stringify(standard.toJSON(null, false));
    expect(topology).not.toContain('"class_name":"Textbench');
    expect(topology).toContain('"recurrent_activation":"sigmoid"');
    const plain = await tf.loadLayersModel(tf.io.fromMemory(await save(standard)));
    for (const m of [checkpoint, plain]) {
      const got = m.predict(ids) as tf.Tensor;
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
      got.dispose();
    }
    tf.dispose([ids, want]);
    for (const m of [model, checkpoint, standard, plain]) m.dispose();
  });
});
