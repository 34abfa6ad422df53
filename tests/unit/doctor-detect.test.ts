// The doctor's detection and repair policy on synthetic statistics: each failure is caught with its evidence,
// and healthy runs (including their ordinary noise) are left alone.
import { describe, expect, it } from 'vitest';
import { createDoctor, Doctor } from '../../main/engine/train/doctor/index.ts';
import { batchSkew, checkData, detectPlateau } from '../../main/engine/train/doctor/detect.ts';
import type { DataSummary, EpochStats, StepStats } from '../../main/engine/train/doctor/types.ts';

const C = 4;
function epoch(n: number, o: Partial<EpochStats> = {}): EpochStats {
  return {
    epoch: n,
    trainLoss: 1,
    trainAccuracy: 0.6,
    validationLoss: 1,
    validationAccuracy: 0.6,
    validationMacroF1: 0.55,
    learningRate: 1e-3,
    predictedClassCounts: [30, 25, 25, 20],
    predictedEntropy: 1.37,
    weightNorm: 10,
    weightsFinite: true,
    gradNormMean: 1,
    gradNormMax: 2,
    nonFiniteSteps: 0,
    clipNorm: null,
    ...o,
  };
}
function step(epochN: number, stepN: number, o: Partial<StepStats> = {}): StepStats {
  return { epoch: epochN, step: stepN, loss: 1, gradNorm: 1, finite: true, learningRate: 1e-3, classCounts: [8, 8, 8, 8], ...o };
}
const summary: DataSummary = {
  labels: ['a', 'b', 'c', 'd'],
  counts: { train: [100, 100, 100, 100], validation: [25, 25, 25, 25], test: [25, 25, 25, 25] },
  emptyTexts: 0,
  nanLikeTexts: 0,
  duplicatesAcrossSplits: 0,
};

/** A healthy run: loss falls with a little noise, accuracy rises, then levels off at a low loss. */
function healthy(epochs: number, seed = 1): EpochStats[] {
  let s = seed;
  const noise = () => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 0.04;
  return Array.from({ length: epochs }, (_, i) => {
    const tl = 1.3 * Math.exp(-i / 3) + 0.25 + noise();
    const vl = 1.3 * Math.exp(-i / 3) + 0.45 + noise();
    const acc = 0.9 - 0.6 * Math.exp(-i / 3) + noise();
    return epoch(i + 1, { trainLoss: tl, validationLoss: vl, trainAccuracy: acc + 0.03, validationAccuracy: acc, validationMacroF1: acc - 0.03 });
  });
}

function run(doctor: Doctor, epochs: EpochStats[]) {
  const findings = [];
  const decisions = [];
  for (const e of epochs) {
    const v = doctor.onEpoch(e);
    findings.push(...v.findings);
    decisions.push(...v.decisions.map((d) => ({ ...d, epoch: e.epoch })));
  }
  return { findings, decisions };
}

describe('doctor: healthy runs', () => {
  it('flags nothing on a healthy run with noise, over several seeds', () => {
    for (const seed of [1, 7, 42, 99]) {
      const d = new Doctor({ repair: true });
      d.beforeTraining(summary);
      for (let e = 1; e <= 12; e++) for (let s = 1; s <= 20; s++) expect(d.onStep(step(e, s, { loss: 1.3 * Math.exp(-e / 3) + 0.25 + (s % 3) * 0.05, gradNorm: 1 + (s % 5) * 0.3 }))).toBeNull();
      const { findings, decisions } = run(d, healthy(12, seed));
      expect(findings, `seed ${seed}`).toEqual([]);
      expect(decisions).toEqual([]);
    }
  });

  it('a converged run (flat but low loss) is not a plateau', () => {
    const conv = Array.from({ length: 8 }, (_, i) => epoch(i + 1, { trainLoss: i < 3 ? 1.2 - i * 0.4 : 0.05, validationLoss: i < 3 ? 1.2 - i * 0.3 : 0.31, validationAccuracy: i < 3 ? 0.5 + i * 0.15 : 0.92, trainAccuracy: 0.98 }));
    expect(detectPlateau(conv)).toBeNull();
  });
});

describe('doctor: plateau', () => {
  // The plateau story: learning rate 1e-6, loss sits at chance level (ln 4 = 1.386) and accuracy at 25%.
  const stuck = (n: number, lr = 1e-6, start = 1) =>
    Array.from({ length: n }, (_, i) => epoch(start + i, { trainLoss: 1.3863 - i * 1e-5, validationLoss: 1.3862 - i * 1e-5, trainAccuracy: 0.25, validationAccuracy: 0.25, validationMacroF1: 0.1, learningRate: lr }));

  it('is flagged by epoch 3 with the evidence, and repaired by raising the learning rate', () => {
    const d = new Doctor({ repair: true });
    d.beforeTraining(summary);
    const { findings, decisions } = run(d, stuck(3));
    const p = findings.find((f) => f.kind === 'plateau');
    expect(p).toBeDefined();
    expect(p!.epochs).toEqual([1, 3]);
    expect(p!.message).toMatch(/learning rate/);
    expect(p!.evidence).toMatchObject({ learningRate: 1e-6 });
    expect(decisions).toContainEqual(expect.objectContaining({ kind: 'lr-change', to: 1e-4, epoch: 3 }));
  });

  it('is not repeated while the new rate is tried, and the raise is bounded', () => {
    const d = new Doctor({ repair: true, maxLearningRate: 0.01 });
    d.beforeTraining(summary);
    const a = run(d, stuck(3, 1e-6));
    const b = run(d, stuck(2, 1e-4, 4));
    expect(b.findings.filter((f) => f.kind === 'plateau')).toEqual([]);
    const c = run(d, stuck(1, 1e-4, 6));
    expect(c.decisions).toContainEqual(expect.objectContaining({ kind: 'lr-change', to: 1e-3 }));
    const e = run(d, stuck(3, 1e-2, 7));
    expect(e.findings.some((f) => f.kind === 'plateau')).toBe(true);
    expect(e.decisions.filter((x) => x.kind === 'lr-change')).toEqual([]);
    expect(e.findings.find((f) => f.kind === 'plateau')!.fix).toMatch(/lr-find/);
    expect(a.decisions.length).toBe(1);
  });

  it('with repair off reports but decides nothing', () => {
    const d = createDoctor({ repair: false });
    d.beforeTraining(summary);
    let decisions = 0;
    let plateaus = 0;
    for (const e of stuck(4)) {
      const v = d.onEpoch(e);
      decisions += v.decisions.length;
      plateaus += v.findings.filter((f) => f.kind === 'plateau').length;
    }
    expect(plateaus).toBe(1);
    expect(decisions).toBe(0);
  });
});

describe('doctor: NaN and divergence', () => {
  it('a NaN step triggers rollback, learning rate ÷10 and clipping, once per cooldown', () => {
    const d = new Doctor({ repair: true });
    d.beforeTraining(summary);
    for (let s = 1; s <= 10; s++) d.onStep(step(1, s, { learningRate: 10 }));
    const v = d.onStep(step(1, 11, { loss: NaN, gradNorm: NaN, finite: false, learningRate: 10 }));
    expect(v!.findings[0]).toMatchObject({ kind: 'nan', severity: 'error', epochs: [1, 1] });
    expect(v!.decisions.map((x) => x.kind)).toEqual(['rollback', 'lr-change', 'clip']);
    expect(v!.decisions[1]).toMatchObject({ to: 1 });
    expect(d.onStep(step(1, 12, { loss: NaN, finite: false, learningRate: 1 }))).toBeNull();
    // Later, with the lower rate still failing: again, now without another clip decision.
    for (let s = 13; s <= 20; s++) d.onStep(step(1, s, { learningRate: 1 }));
    const again = d.onStep(step(1, 21, { loss: NaN, finite: false, learningRate: 1 }));
    expect(again!.decisions.map((x) => x.kind)).toEqual(['rollback', 'lr-change']);
    expect(again!.decisions[1]).toMatchObject({ to: 0.1 });
  });

  it('a loss that shoots up for several steps is divergence; a single noisy batch is not', () => {
    const d = new Doctor({ repair: true });
    d.beforeTraining(summary);
    for (let s = 1; s <= 20; s++) expect(d.onStep(step(1, s, { loss: 0.5 + (s % 2) * 0.1 }))).toBeNull();
    expect(d.onStep(step(1, 21, { loss: 2.5 }))).toBeNull();
    expect(d.onStep(step(1, 22, { loss: 0.55 }))).toBeNull();
    expect(d.onStep(step(1, 23, { loss: 9 }))).toBeNull();
    expect(d.onStep(step(1, 24, { loss: 12 }))).toBeNull();
    const v = d.onStep(step(1, 25, { loss: 14 }));
    expect(v!.findings[0]!.kind).toBe('divergence');
    expect(v!.decisions.map((x) => x.kind)).toContain('rollback');
  });

  it('gives up after too many emergencies and stops the run', () => {
    const d = new Doctor({ repair: true, maxEmergencies: 2 });
    d.beforeTraining(summary);
    let stops = 0;
    for (let k = 0; k < 4; k++) {
      for (let s = 0; s < 6; s++) d.onStep(step(1, k * 10 + s, { learningRate: 10 / 10 ** k }));
      const v = d.onStep(step(1, k * 10 + 7, { finite: false, loss: NaN, learningRate: 10 / 10 ** k }));
      stops += v?.decisions.filter((x) => x.kind === 'stop').length ?? 0;
    }
    expect(stops).toBe(1);
  });

  it('an epoch whose train loss jumps and accuracy falls is divergence', () => {
    const d = new Doctor({ repair: true });
    d.beforeTraining(summary);
    const h = healthy(4);
    h.push(epoch(5, { trainLoss: 6, trainAccuracy: 0.3, validationLoss: 7, validationAccuracy: 0.25, predictedClassCounts: [60, 20, 10, 10] }));
    const { findings, decisions } = run(d, h);
    expect(findings.map((f) => f.kind)).toContain('divergence');
    expect(decisions.map((x) => x.kind)).toEqual(['rollback', 'lr-change', 'clip']);
  });

  it('an epoch with NaN weights is caught; a run without validation examples is not mistaken for one', () => {
    const d = new Doctor({ repair: true });
    const v = d.onEpoch(epoch(1, { weightsFinite: false, validationLoss: NaN, nonFiniteSteps: 3 }));
    expect(v.findings[0]).toMatchObject({ kind: 'nan', severity: 'error' });
    expect(v.decisions.map((x) => x.kind)).toEqual(['rollback', 'lr-change', 'clip']);
    const noVal = new Doctor({ repair: true });
    expect(noVal.onEpoch(epoch(1, { validationLoss: NaN, predictedClassCounts: [0, 0, 0, 0] })).findings).toEqual([]);
  });

  it('a gradient spike turns on clipping', () => {
    const d = new Doctor({ repair: true });
    for (let s = 1; s <= 20; s++) d.onStep(step(1, s, { gradNorm: 0.8 + (s % 4) * 0.1 }));
    const v = d.onStep(step(1, 21, { gradNorm: 80 }));
    expect(v!.findings[0]).toMatchObject({ kind: 'divergence', severity: 'warning' });
    expect(v!.decisions).toEqual([expect.objectContaining({ kind: 'clip' })]);
  });

  it('a gradient norm that grows steadily as learning starts is not a spike', () => {
    const d = new Doctor({ repair: true });
    // Flat at 0.15, then rising to 1 over ten steps (median stays 0.15): 3.9 is 26× the median but not an outlier.
    for (let s = 1; s <= 60; s++) expect(d.onStep(step(1, s, { gradNorm: s <= 50 ? 0.15 : 0.15 * (1 / 0.15) ** ((s - 50) / 10) }))).toBeNull();
    expect(d.onStep(step(1, 61, { gradNorm: 3.9 }))).toBeNull();
  });
});

describe('doctor: collapse', () => {
  it('a model that answers one class for everything, three epochs running, is flagged (and rebalanced when labels are uneven)', () => {
    const even = new Doctor({ repair: true });
    even.beforeTraining(summary);
    const d = new Doctor({ repair: true });
    d.beforeTraining({ ...summary, counts: { ...summary.counts, train: [200, 100, 60, 40] } });
    const flat = { predictedClassCounts: [100, 0, 0, 0], predictedEntropy: 0, validationAccuracy: 0.25, trainLoss: 1.2, validationLoss: 1.3 };
    const { findings, decisions } = run(d, [epoch(1, flat), epoch(2, { ...flat, trainLoss: 1.1 }), epoch(3, { ...flat, trainLoss: 1.0 })]);
    const c = findings.find((f) => f.kind === 'collapse');
    expect(c).toMatchObject({ severity: 'warning', epochs: [1, 3] });
    expect(c!.evidence).toMatchObject({ topClass: 'a', topShare: 1 });
    expect(decisions.map((x) => x.kind)).toEqual(['rebalance']);
    const e = run(even, [epoch(1, flat), epoch(2, { ...flat, trainLoss: 1.1 }), epoch(3, { ...flat, trainLoss: 1.0 })]);
    expect(e.findings.map((f) => f.kind)).toContain('collapse');
    expect(e.decisions).toEqual([]);
  });

  it('a sudden collapse after the model told labels apart: rollback + rebalance at once', () => {
    const d = new Doctor({ repair: true });
    d.beforeTraining(summary);
    const h = healthy(4);
    h.push(epoch(5, { ...h[3]!, epoch: 5, predictedClassCounts: [0, 98, 1, 1], validationAccuracy: 0.26 }));
    const { findings, decisions } = run(d, h);
    expect(findings.find((f) => f.kind === 'collapse')).toMatchObject({ severity: 'error', epochs: [5, 5] });
    expect(decisions.map((x) => x.kind)).toEqual(['rollback']);
  });

  it('predicting the majority label of a 95% majority is not called a collapse', () => {
    const d = new Doctor({ repair: true });
    d.beforeTraining({ ...summary, counts: { ...summary.counts, validation: [95, 2, 2, 1] } });
    const { findings } = run(d, healthy(4).map((e) => ({ ...e, predictedClassCounts: [100, 0, 0, 0] })));
    expect(findings.filter((f) => f.kind === 'collapse')).toEqual([]);
  });
});

describe('doctor: overfitting', () => {
  it('validation loss rising for 3 epochs while train loss falls and F1 is flat: finding + stop', () => {
    const d = new Doctor({ repair: true });
    d.beforeTraining(summary);
    const vl = [1.2, 0.9, 0.8, 0.85, 0.95, 1.1, 1.3];
    const tl = [1.2, 0.8, 0.5, 0.3, 0.2, 0.1, 0.05];
    const h = vl.map((v, i) => epoch(i + 1, { validationLoss: v, trainLoss: tl[i]!, trainAccuracy: 0.5 + i * 0.08, validationAccuracy: 0.7, validationMacroF1: i < 3 ? 0.5 + i * 0.05 : 0.6 }));
    const { findings, decisions } = run(d, h);
    const o = findings.find((f) => f.kind === 'overfitting');
    expect(o).toBeDefined();
    expect(o!.epochs).toEqual([3, 6]);
    expect(o!.evidence).toMatchObject({ bestEpoch: 3 });
    expect(decisions).toEqual([expect.objectContaining({ kind: 'stop', epoch: 6 })]);
  });

  it('validation loss rising while macro-F1 still improves: reported, not stopped', () => {
    const d = new Doctor({ repair: true });
    const vl = [1.2, 0.9, 0.8, 0.85, 0.95, 1.1];
    const h = vl.map((v, i) => epoch(i + 1, { validationLoss: v, trainLoss: 1.2 - i * 0.2, validationMacroF1: 0.4 + i * 0.05 }));
    const { findings, decisions } = run(d, h);
    expect(findings.find((f) => f.kind === 'overfitting')).toMatchObject({ severity: 'info' });
    expect(decisions).toEqual([]);
  });
});

describe('doctor: data and imbalance', () => {
  it('finds empty and NaN-like texts, duplicates across splits and labels missing from a split', () => {
    const f = checkData({
      labels: ['a', 'b', 'c'],
      counts: { train: [50, 40, 0], validation: [10, 0, 3], test: [10, 10, 2] },
      emptyTexts: 2,
      nanLikeTexts: 3,
      duplicatesAcrossSplits: 4,
    });
    const kinds = f.map((x) => `${x.kind}:${x.severity}:${JSON.stringify(x.evidence.split ?? '')}`);
    expect(kinds).toEqual(expect.arrayContaining(['data:error:"train"', 'data:warning:"validation"']));
    expect(f.find((x) => x.evidence.emptyTexts === 2)).toBeDefined();
    expect(f.find((x) => x.evidence.duplicatesAcrossSplits === 4)!.message).toMatch(/word for word/);
    expect(f.find((x) => x.evidence.split === 'train')!.message).toMatch(/"c"/);
    expect(f.every((x) => x.epochs[0] === 0 && x.fix)).toBe(true);
  });

  it('clean, balanced data gives no findings; a 17:1 imbalance is reported', () => {
    expect(checkData(summary)).toEqual([]);
    const f = checkData({ ...summary, counts: { ...summary.counts, train: [340, 100, 60, 20] } });
    expect(f).toEqual([expect.objectContaining({ kind: 'imbalance' })]);
    expect(f[0]!.evidence).toMatchObject({ ratio: 17 });
  });

  it('batches sorted by label are lopsided; shuffled ones are not', () => {
    const expected = [100, 100, 100, 100];
    const sorted = Array.from({ length: 12 }, (_, i) => [0, 1, 2, 3].map((c) => (c === i % 4 ? 32 : 0)));
    let s = 3;
    const rnd = () => (s = (s * 16807) % 2147483647) / 2147483647;
    const shuffledBatches = Array.from({ length: 12 }, () => {
      const b = [0, 0, 0, 0];
      for (let i = 0; i < 32; i++) b[Math.floor(rnd() * 4)]! += 1;
      return b;
    });
    expect(batchSkew(sorted, expected)!.ratio).toBeGreaterThan(10);
    expect(batchSkew(shuffledBatches, expected)!.ratio).toBeLessThan(2);
  });

  it('a model that never predicts a quarter of the labels gets an imbalance finding', () => {
    const d = new Doctor({ repair: true });
    d.beforeTraining(summary);
    const early = run(d, healthy(4).map((e) => ({ ...e, predictedClassCounts: [40, 60, 0, 0] })));
    expect(early.findings.filter((f) => f.kind === 'imbalance')).toEqual([]);
    const { findings } = run(d, healthy(6).slice(4).map((e) => ({ ...e, predictedClassCounts: [40, 60, 0, 0] })));
    expect(findings.find((f) => f.kind === 'imbalance')!.evidence).toMatchObject({ ignoredLabels: ['c', 'd'] });
  });
});

describe('doctor: plateau detection is robust', () => {
  it('a loss stuck at chance level while accuracy bounces downwards is a plateau (jobs-minimal on O*NET)', () => {
    // Measured: top-k LSTM(6), 22 classes (chance 3.091), learning rate 5e-3.
    const vl = [3.088, 3.089, 3.086];
    const tl = [3.101, 3.095, 3.093];
    const acc = [0.116, 0.074, 0.042];
    const h = vl.map((v, i) => epoch(i + 1, { validationLoss: v, trainLoss: tl[i]!, validationAccuracy: acc[i]!, learningRate: 5e-3, predictedClassCounts: Array.from({ length: 22 }, () => 70) }));
    expect(detectPlateau(h)).toMatchObject({ kind: 'plateau', epochs: [1, 3] });
  });

  it('slow but steady learning is not a plateau', () => {
    const slow = Array.from({ length: 8 }, (_, i) => epoch(i + 1, { trainLoss: 1.38 * 0.97 ** i, validationLoss: 1.38 * 0.98 ** i, validationAccuracy: 0.25 + i * 0.01 }));
    expect(detectPlateau(slow)).toBeNull();
  });
  it('needs the window at one learning rate', () => {
    const h = [epoch(1, { learningRate: 1e-6, trainLoss: 1.386, validationLoss: 1.386, validationAccuracy: 0.25 }), epoch(2, { learningRate: 1e-6, trainLoss: 1.386, validationLoss: 1.386, validationAccuracy: 0.25 }), epoch(3, { learningRate: 1e-4, trainLoss: 1.386, validationLoss: 1.386, validationAccuracy: 0.25 })];
    expect(detectPlateau(h)).toBeNull();
    expect(C).toBe(4);
  });
});
