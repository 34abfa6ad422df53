// The three failure stories (issue 6) on small slices of the real UCI sentiment data, through the real training
// loop with the real doctor: each failure is found, explained with evidence, and repaired as the policy says.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { MODEL_BUILDERS } from '../../main/engine/train/models.ts';
import { RECIPES } from '../../main/engine/train/recipes.ts';
import { trainLoop, type LoopResult, type LoopSettings } from '../../main/engine/train/loop.ts';
import { createDoctor } from '../../main/engine/train/doctor/index.ts';
import type { DataSummary } from '../../main/engine/train/doctor/types.ts';
import type { DoctorAction, Finding } from '../../shared/domain.ts';
import { LABELS, SETTINGS, uciSlice, type Slice } from '../unit/loop-fixtures.ts';

let slice: Slice;
beforeAll(async () => {
  await initBackend();
  slice = uciSlice(300, 150);
});

function summaryOf(s: Slice): DataSummary {
  const count = (ls: Int32Array) => {
    const c = [0, 0];
    for (const l of ls) c[l]! += 1;
    return c;
  };
  return { labels: LABELS, counts: { train: count(s.train.labels), validation: count(s.validation.labels), test: [0, 0] }, emptyTexts: 0, nanLikeTexts: 0, duplicatesAcrossSplits: 0 };
}

interface Story {
  result: LoopResult;
  findings: Finding[];
  actions: DoctorAction[];
  batchLosses: number[];
}

async function story(model: tf.LayersModel, s: Slice, settings: Partial<LoopSettings>): Promise<Story> {
  const doctor = createDoctor({ repair: true });
  const findings = doctor.beforeTraining(summaryOf(s));
  const actions: DoctorAction[] = [];
  const batchLosses: number[] = [];
  const result = await trainLoop(model, s.train, s.validation, LABELS, { ...SETTINGS, ...settings }, {
    doctor,
    hooks: {
      onFinding: (f) => findings.push(f),
      onAction: (a) => actions.push(a),
      onBatch: (b) => batchLosses.push(b.loss),
    },
  });
  return { result, findings, actions, batchLosses };
}

const dims = () => ({ inputDim: slice.pipeline.inputDim, sequenceLength: slice.pipeline.sequenceLength, classes: 2 });
const allFinite = (m: tf.LayersModel) => m.getWeights().every((w) => tf.tidy(() => tf.all(tf.isFinite(w)).dataSync()[0] === 1));

describe('the three stories, caught and repaired', () => {
  it('plateau: a GRU with learning rate 1e-6 is flagged within three epochs and the rate is raised', async () => {
    const model = RECIPES['sentiment-gru']!.build(dims(), 1);
    const s = await story(model, slice, { optimizer: 'rmsprop', learningRate: 1e-6, epochs: 4, earlyStop: 'none' });
    const plateau = s.findings.find((f) => f.kind === 'plateau');
    expect(plateau, JSON.stringify(s.findings)).toBeDefined();
    expect(plateau!.epochs[1]).toBeLessThanOrEqual(3);
    expect(plateau!.message).toMatch(/learning rate/i);
    expect(plateau!.evidence).toMatchObject({ learningRate: 1e-6 });
    expect(plateau!.fix).toMatch(/lr-find|learning rate/);
    const raise = s.actions.find((a) => a.kind === 'lr-change');
    expect(raise).toMatchObject({ before: 1e-6 });
    expect(raise!.after as number).toBeGreaterThan(1e-6);
    expect(s.result.state.history.at(-1)!.learningRate).toBe(raise!.after);
    model.dispose();
  });

  it('collapse: learning rate 10 blows up, is rolled back with a lower rate and clipping, and ends finite and better', async () => {
    const model = MODEL_BUILDERS.lstm({ embeddingDim: 16, units: 16 })(dims(), 1);
    const s = await story(model, slice, { learningRate: 10, epochs: 3, earlyStop: 'none' });
    const blowUp = s.findings.find((f) => f.kind === 'divergence' || f.kind === 'nan');
    expect(blowUp, JSON.stringify(s.findings)).toBeDefined();
    expect(blowUp!.severity).toBe('error');
    const kinds = s.actions.map((a) => a.kind);
    expect(kinds).toContain('rollback');
    // A rollback goes back to an earlier, finite epoch's weights (0 = the initial ones), never the blown-up one.
    for (const r of s.actions.filter((a) => a.kind === 'rollback')) {
      expect((r.after as { epoch: number }).epoch).toBeLessThan(r.epoch);
    }
    expect(kinds).toContain('clip');
    const lr = s.actions.filter((a) => a.kind === 'lr-change');
    expect(lr[0]).toMatchObject({ before: 10, after: 1 });
    expect(s.result.status).toBe('finished');
    expect(allFinite(model)).toBe(true);
    const worst = Math.max(...s.batchLosses.filter(Number.isFinite));
    const last = s.result.state.history.at(-1)!;
    expect(Number.isFinite(last.validationLoss)).toBe(true);
    expect(last.trainLoss).toBeLessThan(worst);
    expect(last.validationLoss).toBeLessThan(worst);
    model.dispose();
  });

  it('collapse: a model forced to one constant answer is flagged as collapsed', async () => {
    const model = MODEL_BUILDERS.baseline({ embeddingDim: 8 })(dims(), 1);
    // Zero, frozen output kernel with a bias towards "negative": the same probabilities for every text.
    const out = model.getLayer('output');
    const [kernel] = out.getWeights();
    out.setWeights([tf.zerosLike(kernel!), tf.tensor1d([1, 0])]);
    out.trainable = false;
    const s = await story(model, slice, { epochs: 3, earlyStop: 'none' });
    const c = s.findings.find((f) => f.kind === 'collapse');
    expect(c, JSON.stringify(s.findings)).toBeDefined();
    expect(c!.evidence).toMatchObject({ topClass: 'negative', topShare: 1 });
    expect(c!.message).toMatch(/"negative" for 100%/);
    // Constant output is not mistaken for a blow-up.
    expect(s.findings.filter((f) => f.kind === 'divergence' || f.kind === 'nan')).toEqual([]);
    model.dispose();
  });

  it('overfitting: a long run on a tiny train split is flagged and stopped early, keeping the best weights', async () => {
    const tiny = uciSlice(40, 150);
    const model = MODEL_BUILDERS.lstm({ embeddingDim: 32, units: 32 })({ inputDim: tiny.pipeline.inputDim, sequenceLength: tiny.pipeline.sequenceLength, classes: 2 }, 1);
    const s = await story(model, tiny, { learningRate: 0.01, epochs: 30, earlyStop: 'macro-f1', patience: 100 });
    const o = s.findings.find((f) => f.kind === 'overfitting' && f.severity === 'warning');
    expect(o, JSON.stringify(s.findings.map((f) => [f.kind, f.severity, f.epochs]))).toBeDefined();
    expect(o!.evidence).toHaveProperty('bestEpoch');
    expect(s.actions.find((a) => a.kind === 'stop')).toBeDefined();
    expect(s.result.stoppedBy).toBe('doctor');
    expect(s.result.epochs).toBeLessThan(30);
    expect(s.result.bestEpoch).toBeLessThan(s.result.epochs);
    model.dispose();
  });
});
