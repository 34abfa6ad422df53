// Training on the webgpu backend (the tests' GPU is SwiftShader: real Dawn and WGSL on the CPU) gives the losses
// of the wasm backend, step by step: the model zoo's LSTM, GRU, BiLSTM and BiGRU, built by the product's builders
// (fused layers on both backends: the WGSL kernels here, the WebAssembly ones there), trained by the product's
// loop on real UCI sentences with the same seed.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { MODEL_BUILDERS } from '../../main/engine/train/models.ts';
import { trainLoop } from '../../main/engine/train/loop.ts';
import { LABELS, SETTINGS, uciSlice } from '../unit/loop-fixtures.ts';
import { useSoftwareGpu, webgpuPackage } from '../fixtures/software-gpu.ts';

// Measured: the four models' per-step losses agree to 1e-6 (float32 on both sides, different summation order);
// 1e-4 leaves room for a real GPU's fused multiply-adds over a few steps.
const TOLERANCE = 1e-4;
const KINDS = ['lstm', 'gru', 'bilstm', 'bigru'] as const;

interface Trained {
  losses: number[];
  layers: string[];
}

async function train(kind: (typeof KINDS)[number]): Promise<Trained> {
  // 32 sentences in batches of 16: two steps, then the validation pass; sequence length 8 keeps SwiftShader quick.
  const slice = uciSlice(32, 8, { sequenceLength: 8 });
  const model = MODEL_BUILDERS[kind]({ units: 8, embeddingDim: 8, dropout: 0.1 })({ inputDim: slice.pipeline.inputDim, sequenceLength: 8, classes: 2 }, 3);
  const losses: number[] = [];
  try {
    await trainLoop(model, slice.train, slice.validation, LABELS, { ...SETTINGS, epochs: 1, batchSize: 16 }, { hooks: { onBatch: (p) => void losses.push(p.loss) } });
    return { losses, layers: model.layers.map((l) => l.getClassName()) };
  } finally {
    model.dispose();
  }
}

const pkg = webgpuPackage();

describe.skipIf(!pkg.loads)(`training on webgpu matches wasm${pkg.loads ? '' : ` (skipped: ${pkg.reason})`}`, () => {
  const wasm = new Map<string, Trained>();

  beforeAll(async () => {
    const gpu = useSoftwareGpu();
    if (!gpu.ok) throw new Error(`The webgpu tests need SwiftShader: ${gpu.reason}`);
    await initBackend('wasm');
    for (const kind of KINDS) wasm.set(kind, await train(kind));
    await initBackend('webgpu');
  });

  for (const kind of KINDS) {
    it(`${kind}: the same loss at every step, on the fused WGSL layers`, async () => {
      expect(tf.getBackend()).toBe('webgpu');
      const gpu = await train(kind);
      const reference = wasm.get(kind)!;
      expect(gpu.losses).toHaveLength(2);
      expect(gpu.layers).toEqual(reference.layers);
      expect(gpu.layers.some((l) => /TextbenchFused(LSTM|GRU)|Bidirectional/.test(l))).toBe(true);
      for (let i = 0; i < gpu.losses.length; i++) expect(Math.abs(gpu.losses[i]! - reference.losses[i]!)).toBeLessThan(TOLERANCE);
      // It learns: the loss is finite and near ln 2 for two balanced classes at the start.
      expect(gpu.losses.every((l) => Number.isFinite(l) && l > 0.5 && l < 0.9)).toBe(true);
    });
  }
});
