// A model without a recurrence trains on the GPU only where that measures faster (compute/webgpu/placement.ts):
// the baseline, built by the product's builder on real UCI sentences, races webgpu (the tests'
// GPU, SwiftShader, standing in for an automatic choice) against wasm; the faster backend is current afterwards,
// the run's device says both measurements, and the model trains there. A recurrent model is not raced. Which
// backend wins is a measurement (SwiftShader is a CPU pretending to be a GPU); the tests check that the decision
// follows the numbers it reports, whichever way they fall.
import { beforeEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendInfo } from '../../main/engine/compute/backend.ts';
import { isRecurrent, placeModel, type Trial } from '../../main/engine/compute/webgpu/placement.ts';
import { MODEL_BUILDERS } from '../../main/engine/train/models.ts';
import { batchTensors, trainLoop } from '../../main/engine/train/loop.ts';
import { LABELS, SETTINGS, uciSlice } from '../unit/loop-fixtures.ts';
import { useSoftwareGpu, webgpuPackage } from '../fixtures/software-gpu.ts';
import type { ModelName } from '../../shared/training.ts';
import type { LoopDataset } from '../../main/engine/train/loop.ts';

function trialFor(model: ModelName): { trial: Trial; train: LoopDataset; build: () => tf.LayersModel } {
  const { train, pipeline } = uciSlice(64, 0, { sequenceLength: 20 });
  const build = () => MODEL_BUILDERS[model]({ units: 8, embeddingDim: 16, dropout: 0.3 })({ inputDim: pipeline.inputDim, sequenceLength: 20, classes: 2, trainExamples: 64 }, 5);
  const idx = Int32Array.from({ length: 32 }, (_, i) => i);
  const trial: Trial = {
    build: async () => build(),
    batch: () => ({ xs: batchTensors(train.inputs, idx), labels: tf.tensor1d(Int32Array.from(idx, (i) => train.labels[i]!), 'int32') }),
    classes: 2,
  };
  return { trial, train, build };
}

/** The two measurements a placement note reports, in the order raced: the GPU's, then the other backend's. */
function measurements(note: string): Array<{ ms: number; backend: string }> {
  return [...note.matchAll(/([\d.]+) ms a step on (\w+)/g)].map((m) => ({ ms: Number(m[1]), backend: m[2]! }));
}

const pkg = webgpuPackage();

describe.skipIf(!pkg.loads)(`the GPU trains a model without a recurrence only where it pays${pkg.loads ? '' : ` (skipped: ${pkg.reason})`}`, () => {
  let gpu: BackendInfo;
  beforeEach(async () => {
    const sw = useSoftwareGpu();
    if (!sw.ok) throw new Error(`The webgpu tests need SwiftShader: ${sw.reason}`);
    gpu = await initBackend('webgpu');
  });

  it('baseline: races webgpu against wasm, keeps the faster, says both numbers, and trains there', async () => {
    const { trial, train, build } = trialFor('baseline');
    const logged: string[] = [];
    const placed = await placeModel(gpu, trial, (m) => logged.push(m));
    const note = placed.device.note ?? '';
    const [onGpu, onCpu] = measurements(note);
    expect(onGpu).toMatchObject({ backend: 'webgpu' });
    expect(onCpu).toMatchObject({ backend: 'wasm' });
    expect(onGpu!.ms).toBeGreaterThan(0);
    expect(onCpu!.ms).toBeGreaterThan(0);
    expect(logged).toEqual([note]);
    const winner = onCpu!.ms < onGpu!.ms ? 'wasm' : 'webgpu';
    expect(placed.name).toBe(winner);
    expect(tf.getBackend()).toBe(winner);
    if (winner === 'wasm') {
      expect(note).toMatch(/^The GPU does not pay for this model \(no recurrent layer\): .* it trains on wasm\.$/);
      expect(placed.device).toMatchObject({ kind: 'cpu', label: expect.stringMatching(/^CPU: wasm/) });
      expect(placed.skipped.at(-1)).toEqual({ name: 'webgpu', reason: note });
    } else {
      expect(note).toMatch(/^The GPU pays for this model: /);
      expect(placed.device).toMatchObject({ kind: 'gpu', label: gpu.device.label });
    }
    // The run's model trains on the backend chosen.
    const net = build();
    const losses: number[] = [];
    try {
      await trainLoop(net, train, train, LABELS, { ...SETTINGS, epochs: 1, batchSize: 32 }, { hooks: { onBatch: (p) => void losses.push(p.loss) } });
    } finally {
      net.dispose();
    }
    expect(losses).toHaveLength(2);
    expect(losses.every((l) => Number.isFinite(l) && l > 0.3 && l < 1.2)).toBe(true);
    expect(tf.getBackend()).toBe(winner);
  });

  it('a recurrent model is not raced: the GPU keeps it, with nothing measured', async () => {
    const { trial } = trialFor('lstm');
    const probe = await trial.build();
    expect(isRecurrent(probe)).toBe(true);
    probe.dispose();
    const logged: string[] = [];
    const placed = await placeModel(gpu, trial, (m) => logged.push(m));
    expect(placed).toBe(gpu);
    expect(logged).toEqual([]);
    expect(tf.getBackend()).toBe('webgpu');
  });

  it('the race leaves the run\'s random numbers alone (dropout masks come from Math.random)', async () => {
    const seeded = (seed: number) => () => ((seed = (Math.imul(seed, 48271) + 11) >>> 0) / 2 ** 32);
    const expected = seeded(3);
    const saved = Math.random;
    Math.random = seeded(3);
    try {
      const { trial } = trialFor('baseline');
      await placeModel(gpu, trial);
      expect([Math.random(), Math.random()]).toEqual([expected(), expected()]);
    } finally {
      Math.random = saved;
    }
  });
});
