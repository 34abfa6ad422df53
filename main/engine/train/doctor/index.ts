// The training doctor: keeps the run's history, asks the detectors (detect.ts) what they see, and decides what
// to do about it (the repair policy). The loop carries the decisions out and records them as actions.
//
// Policy (repair on):
//   NaN / divergence → roll back to the last good checkpoint, learning rate ÷10, clip gradients at norm 1; continue.
//                      After `maxEmergencies` of them the run is stopped: it cannot be stabilised this way.
//   plateau          → raise the learning rate (×100 below 1e-4, else ×10; never above `maxLearningRate`);
//                      at the bound, only suggest `textbench lr-find`.
//   collapse         → after the model had told labels apart: roll back and rebalance (class weights);
//                      never told them apart: rebalance only (a plateau finding raises the rate if the loss is still).
//   overfitting      → stop when validation macro-F1 stopped improving too (the loop restores the best weights).
//   gradient spike   → turn on clipping.
// Repair off: the same findings, no decisions.
import type { Finding } from '../../../../shared/domain.ts';
import type { DataSummary, DoctorDecision, DoctorVerdict, EpochStats, StepStats, TrainingDoctor } from './types.ts';
import {
  DEFAULT_THRESHOLDS,
  batchSkew,
  chanceLoss,
  checkData,
  currentSegment,
  detectCollapse,
  detectDivergence,
  detectGap,
  detectIgnoredClasses,
  detectNonFiniteEpoch,
  detectOverfitting,
  detectPlateau,
  isCollapsed,
  median,
  type Thresholds,
} from './detect.ts';

export { DEFAULT_THRESHOLDS, type Thresholds } from './detect.ts';

export interface DoctorOptions {
  /** Carry out repairs automatically (on by default, switchable off per run). */
  repair: boolean;
  /** Override detection thresholds (tests, experiments). */
  thresholds?: Partial<Thresholds>;
  /** The plateau repair never raises the learning rate above this (default 0.01). */
  maxLearningRate?: number;
  /** NaN/divergence rollbacks before the doctor gives up and stops the run (default 4). */
  maxEmergencies?: number;
}

const r4 = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(4)) : String(x));
const RECENT_STEPS = 50;
const COOLDOWN_STEPS = 5;

export class Doctor implements TrainingDoctor {
  private readonly t: Thresholds;
  private readonly repair: boolean;
  private readonly maxLearningRate: number;
  private readonly maxEmergencies: number;

  private labels: string[] | undefined;
  private trainCounts: number[] | undefined;
  private validationCounts: number[] | undefined;
  private majorityShare: number | undefined;

  private history: EpochStats[] = [];
  private wasDiverse = false;
  private collapsedEpisode = false;
  private rebalanced = false;
  private clipOn = false;
  private emergencies = 0;
  private gaveUp = false;
  private readonly emitted = new Set<string>();

  // Step state: losses and gradient norms of recent healthy steps at the current learning rate.
  private stepCount = 0;
  private stepLr: number | null = null;
  private recentLoss: number[] = [];
  private recentGrad: number[] = [];
  private highRun = 0;
  private lastEmergencyStep = -Infinity;
  private emergencyEpoch = -1;
  private stepEpoch = -1;
  private epochBatches: number[][] = [];

  constructor(options: DoctorOptions) {
    this.repair = options.repair;
    this.t = { ...DEFAULT_THRESHOLDS, ...options.thresholds };
    this.maxLearningRate = options.maxLearningRate ?? 0.01;
    this.maxEmergencies = options.maxEmergencies ?? 4;
  }

  beforeTraining(data: DataSummary): Finding[] {
    this.labels = data.labels;
    this.trainCounts = data.counts.train;
    this.validationCounts = data.counts.validation;
    const v = data.counts.validation.reduce((a, b) => a + b, 0);
    if (v > 0) this.majorityShare = Math.max(...data.counts.validation) / v;
    return checkData(data, this.t);
  }

  onStep(s: StepStats): DoctorVerdict | null {
    this.stepCount++;
    if (s.epoch !== this.stepEpoch) {
      this.stepEpoch = s.epoch;
      this.epochBatches = [];
    }
    if (this.epochBatches.length < 500) this.epochBatches.push(s.classCounts);
    if (this.stepLr !== s.learningRate) {
      this.stepLr = s.learningRate;
      this.recentLoss = [];
      this.recentGrad = [];
      this.highRun = 0;
    }
    if (this.gaveUp) return null;
    const cooling = this.stepCount - this.lastEmergencyStep < COOLDOWN_STEPS;
    if (!s.finite) {
      if (cooling) return null;
      return this.emergency(s.epoch, {
        kind: 'nan',
        severity: 'error',
        epochs: [s.epoch, s.epoch],
        message:
          `At step ${s.step} of epoch ${s.epoch} the loss or the gradients became invalid (NaN or infinity), with a learning rate of ${s.learningRate}. ` +
          'That step was not applied. It comes from exploding gradients with too high a learning rate, or from invalid values in the data.',
        evidence: { step: s.step, loss: String(s.loss), gradNorm: String(s.gradNorm), learningRate: s.learningRate, recentMedianLoss: r4(median(this.recentLoss)) },
        fix: 'Roll back to the last good epoch, lower the learning rate (÷10) and clip gradients (--clip 1).',
      }, s.learningRate);
    }
    const chance = chanceLoss(s.classCounts.length);
    const ref = this.recentLoss.length >= 5 ? median(this.recentLoss) : chance;
    const high = s.loss > Math.max(this.t.divergenceFactor * ref, ref + chance);
    this.highRun = high ? this.highRun + 1 : 0;
    if (high && this.highRun >= this.t.divergenceSteps && !cooling) {
      return this.emergency(s.epoch, {
        kind: 'divergence',
        severity: 'error',
        epochs: [s.epoch, s.epoch],
        message:
          `Training blew up at step ${s.step} of epoch ${s.epoch}: for ${this.highRun} steps in a row the loss has been ${r4(s.loss)} or so, ` +
          `more than ${this.t.divergenceFactor}× its usual ${r4(ref)}, with a learning rate of ${s.learningRate}. The steps overshoot and the weights are running away.`,
        evidence: { step: s.step, loss: r4(s.loss), usualLoss: r4(ref), chanceLoss: r4(chance), gradNorm: r4(s.gradNorm), learningRate: s.learningRate },
        fix: 'Roll back to the last good epoch, lower the learning rate (÷10) and clip gradients (--clip 1).',
      }, s.learningRate);
    }
    if (high) return null;
    // Gradient spike: clipping is the cure for exploding gradients even when the loss has not reacted yet.
    // A spike is an outlier against every recent step, not a norm that grows as the model starts to learn
    // (measured on O*NET: a BiLSTM's norm rose 0.15 → 1 → 3.9 over its first 60 steps, which is not an explosion).
    const gradRef = this.recentGrad.length >= 20 ? median(this.recentGrad) : NaN;
    const gradMax = this.recentGrad.length ? Math.max(...this.recentGrad) : NaN;
    if (Number.isFinite(gradRef) && s.gradNorm > this.t.gradientSpikeFactor * gradRef && s.gradNorm > 5 * gradMax && !this.clipOn && !this.emitted.has('spike')) {
      this.emitted.add('spike');
      const norm = Math.max(1, Number((2 * gradRef).toPrecision(2)));
      const finding: Finding = {
        kind: 'divergence',
        severity: 'warning',
        epochs: [s.epoch, s.epoch],
        message:
          `The gradients exploded at step ${s.step} of epoch ${s.epoch}: their size jumped to ${r4(s.gradNorm)}, ${Math.round(s.gradNorm / gradRef)}× the usual ${r4(gradRef)}. ` +
          'Recurrent networks are prone to this; one such step can throw away what the model has learned.',
        evidence: { step: s.step, gradNorm: r4(s.gradNorm), usualGradNorm: r4(gradRef), loss: r4(s.loss) },
        fix: `Clip gradients by global norm (--clip ${norm}).`,
      };
      const decisions: DoctorDecision[] = this.repair ? [{ kind: 'clip', norm, reason: 'gradient spike' }] : [];
      if (this.repair) this.clipOn = true;
      this.pushRecent(s);
      return { findings: [finding], decisions };
    }
    this.pushRecent(s);
    return null;
  }

  private pushRecent(s: StepStats): void {
    this.recentLoss.push(s.loss);
    this.recentGrad.push(s.gradNorm);
    if (this.recentLoss.length > RECENT_STEPS) this.recentLoss.shift();
    if (this.recentGrad.length > RECENT_STEPS) this.recentGrad.shift();
  }

  /** NaN or divergence: roll back, lower the rate, clip; or give up after too many. */
  private emergency(epoch: number, finding: Finding, lr: number): DoctorVerdict {
    this.lastEmergencyStep = this.stepCount;
    this.emergencyEpoch = epoch;
    this.emergencies++;
    this.recentLoss = [];
    this.recentGrad = [];
    this.highRun = 0;
    if (!this.repair) return { findings: [finding], decisions: [] };
    if (this.emergencies > this.maxEmergencies) {
      this.gaveUp = true;
      const giveUp: Finding = {
        kind: finding.kind,
        severity: 'error',
        epochs: finding.epochs,
        message:
          `Training kept blowing up after ${this.maxEmergencies} rollbacks with ever lower learning rates (now ${lr}). ` +
          'The doctor stopped the run; the weights of the best epoch so far are kept.',
        evidence: { rollbacks: this.maxEmergencies, learningRate: lr },
        fix: 'Check the data for invalid values, try a smaller model, or start from the rate `textbench lr-find` suggests with --clip 1.',
      };
      return { findings: [finding, giveUp], decisions: [{ kind: 'stop', reason: 'training could not be stabilised' }] };
    }
    const decisions: DoctorDecision[] = [
      { kind: 'rollback', reason: `${finding.kind} at epoch ${epoch}` },
      { kind: 'lr-change', to: Number((lr / 10).toPrecision(3)), reason: `${finding.kind}: learning rate too high` },
    ];
    if (!this.clipOn) {
      decisions.push({ kind: 'clip', norm: 1, reason: `${finding.kind}: limit the size of each step` });
      this.clipOn = true;
    }
    return { findings: [finding], decisions };
  }

  onEpoch(e: EpochStats): DoctorVerdict {
    // After a rollback the loop may replay an epoch number: the newer numbers replace the older ones.
    while (this.history.length && this.history[this.history.length - 1]!.epoch >= e.epoch) this.history.pop();
    this.history.push(e);
    if (e.clipNorm !== null) this.clipOn = true;
    const findings: Finding[] = [];
    const decisions: DoctorDecision[] = [];
    const decide = (d: DoctorDecision) => {
      if (this.repair && !decisions.some((x) => x.kind === d.kind)) decisions.push(d);
    };
    const once = (key: string, f: Finding | null): Finding | null => {
      if (!f || this.emitted.has(key)) return null;
      this.emitted.add(key);
      findings.push(f);
      return f;
    };

    // Batches: class mix far from the split's (unshuffled or sorted data).
    if (this.trainCounts && !this.emitted.has('batches')) {
      const skew = batchSkew(this.epochBatches, this.trainCounts);
      if (skew && skew.ratio > 4) {
        once('batches', {
          kind: 'imbalance',
          severity: 'warning',
          epochs: [e.epoch, e.epoch],
          message:
            `The batches of epoch ${e.epoch} are lopsided: their mix of labels differs from the train split ${Math.round(skew.ratio)}× more than random shuffling would give. ` +
            'Each step then pushes the model towards whichever labels the batch happens to hold, and the loss swings.',
          evidence: { skewRatio: Number(skew.ratio.toFixed(2)), batches: skew.batches },
          fix: 'Shuffle the data every epoch (check the order of the file), or use larger batches.',
        });
      }
    }

    const stepEmergency = this.emergencyEpoch === e.epoch;
    const nonFinite = detectNonFiniteEpoch(e);
    // Checked even after a step-level repair in this epoch: if the epoch still ends unstable, its weights must not
    // become the loop's "last good" checkpoint, and a rollback decision is what keeps them from it.
    const diverged = nonFinite ?? (this.gaveUp ? null : detectDivergence(this.history, { unstable: this.emergencies > 0 }));
    if (nonFinite && stepEmergency && e.weightsFinite) {
      // Already handled at the step where it happened.
    } else if (diverged && !this.gaveUp) {
      const v = this.emergency(e.epoch, diverged, e.learningRate);
      findings.push(...v.findings);
      for (const d of v.decisions) decide(d);
    }

    const collapsedNow = isCollapsed(e, this.majorityShare, this.t);
    if (!collapsedNow) {
      // "Told labels apart" = clearly better than always answering the biggest label, not early noise.
      const majority = this.majorityShare ?? 1 / Math.max(2, e.predictedClassCounts.length);
      if (e.validationAccuracy >= majority + 0.1) this.wasDiverse = true;
      this.collapsedEpisode = false;
    } else if (!this.collapsedEpisode) {
      // A sudden collapse (after the model told labels apart) is flagged at once, so the rollback reaches a good epoch.
      const t = this.wasDiverse ? { ...this.t, collapseEpochs: 1 } : this.t;
      const f = detectCollapse(this.history, { majorityShare: this.majorityShare, wasDiverse: this.wasDiverse }, this.labels, t);
      if (f) {
        this.collapsedEpisode = true;
        findings.push(f);
        if (this.wasDiverse && !decisions.some((d) => d.kind === 'rollback')) decide({ kind: 'rollback', reason: 'predictions collapsed to one class' });
        // Class weights change nothing when the train labels are already about even.
        const tc = this.trainCounts?.filter((c) => c > 0) ?? [];
        const uneven = !tc.length || Math.max(...tc) >= 1.5 * Math.min(...tc);
        if (!this.rebalanced && uneven) {
          decide({ kind: 'rebalance', reason: 'predictions collapsed to one class' });
          if (this.repair) this.rebalanced = true;
        }
      }
    }

    if (!diverged) {
      const plateau = detectPlateau(this.history, this.t);
      const seg = currentSegment(this.history);
      if (plateau && once(`plateau@${seg[0]!.epoch}:${e.learningRate}`, plateau)) {
        const lr = e.learningRate;
        const to = Number(Math.min(this.maxLearningRate, lr * (lr < 1e-4 ? 100 : 10)).toPrecision(3));
        if (to > lr * 1.5) decide({ kind: 'lr-change', to, reason: 'plateau: learning rate too low' });
        else plateau.fix = `The learning rate is already ${lr}: run \`textbench lr-find\` to pick one, or try a different model.`;
      }
      const over = detectOverfitting(this.history, this.t);
      // The overconfident form (F1 still rising) is reported once; the stopping form may follow it later.
      if (over && once(over.stop ? 'overfitting' : 'overconfident', over.finding) && over.stop) {
        decide({ kind: 'stop', reason: 'overfitting: validation stopped improving' });
      }
      if (!over) once('gap', detectGap(this.history, this.t));
      if (!collapsedNow) once('ignored-classes', detectIgnoredClasses(this.history, this.validationCounts, this.labels));
    }
    return { findings, decisions };
  }
}

export function createDoctor(options: DoctorOptions): TrainingDoctor {
  return new Doctor(options);
}
