// The custom loop on small slices of the real UCI sentiment data: early stopping, resume, cancellation,
// flat memory, determinism, and carrying out the doctor's decisions.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { MODEL_BUILDERS } from '../../main/engine/train/models.ts';
import { trainLoop, type LoopState } from '../../main/engine/train/loop.ts';
import { modelFromArtifacts, modelToArtifacts, type ModelArtifactsData } from '../../main/engine/train/artifacts.ts';
import type { DoctorVerdict, TrainingDoctor } from '../../main/engine/train/doctor/types.ts';
import { LABELS, SETTINGS, uciSlice, type Slice } from './loop-fixtures.ts';

let slice: Slice;
beforeAll(async () => {
  await initBackend();
  slice = uciSlice(160, 48);
});

function baseline(seed = 3): tf.LayersModel {
  return MODEL_BUILDERS.baseline({ embeddingDim: 16, dropout: 0.2 })({ inputDim: slice.pipeline.inputDim, sequenceLength: slice.pipeline.sequenceLength, classes: 2 }, seed);
}

const flat = (m: tf.LayersModel) => m.getWeights().flatMap((w) => Array.from(w.dataSync()));

describe('training loop', () => {
  it('is deterministic: the same seed and data give the same curve and weights', async () => {
    const a = baseline();
    const b = baseline();
    const ra = await trainLoop(a, slice.train, slice.validation, LABELS, SETTINGS);
    const rb = await trainLoop(b, slice.train, slice.validation, LABELS, SETTINGS);
    expect(rb.state.history.map((h) => h.trainLoss)).toEqual(ra.state.history.map((h) => h.trainLoss));
    expect(flat(b)).toEqual(flat(a));
    const c = baseline();
    const rc = await trainLoop(c, slice.train, slice.validation, LABELS, { ...SETTINGS, seed: 8 });
    expect(rc.state.history[0]!.trainLoss).not.toBe(ra.state.history[0]!.trainLoss);
    for (const m of [a, b, c]) m.dispose();
  });

  it('early stopping ends after `patience` epochs without improvement and restores the best epoch', async () => {
    // Validation labels inverted: the better the model fits train, the worse validation gets.
    const flipped = uciSlice(160, 48, {}, true);
    const model = baseline();
    const atEpoch = new Map<number, number[]>();
    const r = await trainLoop(model, flipped.train, flipped.validation, LABELS, { ...SETTINGS, epochs: 8, learningRate: 0.02, earlyStop: 'val-loss', patience: 2 }, {
      hooks: { checkpoint: ({ epoch, model: m }) => void atEpoch.set(epoch, flat(m)) },
    });
    expect(r.stoppedBy).toBe('early-stopping');
    expect(r.epochs).toBe(r.bestEpoch + 2);
    const losses = r.state.history.map((h) => h.validationLoss);
    expect(Math.min(...losses)).toBe(losses[r.bestEpoch - 1]);
    expect(flat(model)).toEqual(atEpoch.get(r.bestEpoch));
    expect(flat(model)).not.toEqual(atEpoch.get(r.epochs));
    model.dispose();
  });

  it('resume continues from the last checkpoint: with SGD (no optimizer state) it matches an uninterrupted run', async () => {
    const settings = { ...SETTINGS, optimizer: 'sgd' as const, learningRate: 0.5, epochs: 4 };
    const whole = baseline();
    const full = await trainLoop(whole, slice.train, slice.validation, LABELS, settings);

    const first = baseline();
    let saved: { state: LoopState; artifacts: ModelArtifactsData } | undefined;
    await trainLoop(first, slice.train, slice.validation, LABELS, { ...settings, epochs: 2 }, {
      hooks: { checkpoint: async ({ state, model }) => void (saved = { state, artifacts: await modelToArtifacts(model) }) },
    });
    first.dispose();
    expect(saved!.state.epoch).toBe(2);
    const restored = await modelFromArtifacts(saved!.artifacts);
    const epochsSeen: number[] = [];
    const rest = await trainLoop(restored, slice.train, slice.validation, LABELS, settings, {
      resume: { state: saved!.state },
      hooks: { onEpoch: (m) => epochsSeen.push(m.epoch) },
    });
    expect(epochsSeen).toEqual([3, 4]);
    expect(rest.epochs).toBe(4);
    expect(rest.state.history).toHaveLength(4);
    const a = flat(whole);
    const b = flat(restored);
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i]!, 5);
    expect(rest.state.history[3]!.validationLoss).toBeCloseTo(full.state.history[3]!.validationLoss, 5);
    whole.dispose();
    restored.dispose();
  });

  it('stops when cancelled, dropping the unfinished epoch', async () => {
    const model = baseline();
    let batches = 0;
    let epoch1: number[] = [];
    const r = await trainLoop(model, slice.train, slice.validation, LABELS, { ...SETTINGS, epochs: 5 }, {
      hooks: { onBatch: () => void batches++, shouldStop: () => batches >= 7, checkpoint: ({ model: m }) => void (epoch1 = flat(m)) },
    });
    // 160 examples / 32 = 5 batches per epoch: epoch 1 completes, epoch 2 is cut after 2 batches
    expect(r.status).toBe('stopped');
    expect(r.stoppedBy).toBe('user');
    expect(r.epochs).toBe(1);
    expect(batches).toBe(7);
    // the half-trained second epoch is dropped: the model holds epoch 1's weights, as its checkpoint does
    expect(flat(model)).toEqual(epoch1);
    model.dispose();
  });

  it('keeps the tensor count flat across epochs', async () => {
    const model = baseline();
    const counts: number[] = [];
    await trainLoop(model, slice.train, slice.validation, LABELS, { ...SETTINGS, epochs: 4, earlyStop: 'val-loss', patience: 10, classWeights: 'balanced', loss: 'topk', clipNorm: 0.5 }, {
      hooks: { onEpoch: () => void counts.push(tf.memory().numTensors) },
    });
    expect(counts).toHaveLength(4);
    expect(counts[3]).toBe(counts[1]);
    expect(counts[2]).toBe(counts[1]);
    model.dispose();
  });

  it("carries out the doctor's decisions and records them as actions", async () => {
    // A scripted doctor: the real one lives in train/doctor; here only the loop's side of the contract is checked.
    const steps: number[] = [];
    const epochs: number[] = [];
    const doctor: TrainingDoctor = {
      beforeTraining: () => [],
      onStep: (s) => {
        steps.push(s.gradNorm);
        expect(s.classCounts.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
        return null;
      },
      onEpoch: (s): DoctorVerdict => {
        epochs.push(s.epoch);
        expect(s.predictedClassCounts.reduce((a, b) => a + b, 0)).toBe(48);
        if (s.epoch === 1) {
          return {
            findings: [{ kind: 'plateau', severity: 'warning', epochs: [1, 1], message: 'scripted', evidence: {} }],
            decisions: [
              { kind: 'lr-change', to: 0.001, reason: 'scripted' },
              { kind: 'clip', norm: 1, reason: 'scripted' },
              { kind: 'rebalance', reason: 'scripted' },
            ],
          };
        }
        if (s.epoch === 2) return { findings: [], decisions: [{ kind: 'rollback', reason: 'scripted' }] };
        return { findings: [], decisions: [{ kind: 'stop', reason: 'scripted' }] };
      },
    };
    const model = baseline();
    const atEpoch = new Map<number, number[]>();
    const actions: string[] = [];
    const r = await trainLoop(model, slice.train, slice.validation, LABELS, { ...SETTINGS, epochs: 6 }, {
      doctor,
      hooks: { onAction: (a) => void actions.push(a.kind), checkpoint: ({ epoch, model: m }) => void atEpoch.set(epoch, flat(m)) },
    });
    expect(actions).toEqual(['lr-change', 'clip', 'rebalance', 'rollback', 'stop']);
    expect(r.stoppedBy).toBe('doctor');
    expect(r.epochs).toBe(3);
    expect(r.state.learningRate).toBe(0.001);
    expect(r.state.history[1]!.learningRate).toBe(0.001);
    expect(r.state.clipNorm).toBe(1);
    expect(r.state.classWeights).toBe('balanced');
    expect(r.state.findings).toHaveLength(1);
    expect(steps.length).toBe(15);
    // the rollback at epoch 2 put epoch 1's weights back before the checkpoint was written
    expect(atEpoch.get(2)).toEqual(atEpoch.get(1));
    model.dispose();
  });

  it('reports findings but leaves training alone with repair off', async () => {
    const doctor: TrainingDoctor = {
      beforeTraining: () => [],
      onStep: () => null,
      onEpoch: () => ({ findings: [{ kind: 'plateau', severity: 'info', epochs: [1, 1], message: 'x', evidence: {} }], decisions: [{ kind: 'stop', reason: 'x' }] }),
    };
    const model = baseline();
    const r = await trainLoop(model, slice.train, slice.validation, LABELS, { ...SETTINGS, repair: false }, { doctor });
    expect(r.epochs).toBe(2);
    expect(r.state.actions).toEqual([]);
    expect(r.state.findings).toHaveLength(2);
    model.dispose();
  });
});
