// The contract between the training loop (train/loop.ts) and the training doctor (train/doctor/).
// The loop measures; the doctor judges and decides; the loop carries out decisions and records them as actions.
import type { DoctorAction, Finding, TrainingEpoch } from '../../../../shared/domain.ts';

export interface StepStats {
  epoch: number;
  step: number;
  loss: number;
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: number;
  /** False when the loss or any gradient is NaN/Inf. */
  finite: boolean;
  learningRate: number;
  /** Examples per class in this batch (index = class id). */
  classCounts: number[];
}

/** An epoch's stored figures (shared/domain.ts TrainingEpoch) and what the doctor measures besides. */
export interface EpochStats extends Pick<TrainingEpoch, 'epoch' | 'trainLoss' | 'trainAccuracy' | 'validationLoss' | 'validationAccuracy' | 'validationMacroF1' | 'learningRate'> {
  /** Validation predictions per class (argmax counts). */
  predictedClassCounts: number[];
  /** Entropy (nats) of the distribution of predicted classes on validation; 0 = one constant output. */
  predictedEntropy: number;
  /** Global L2 norm of all weights, and whether any weight is NaN/Inf. */
  weightNorm: number;
  weightsFinite: boolean;
  gradNormMean: number;
  gradNormMax: number;
  nonFiniteSteps: number;
  clipNorm: number | null;
}

export interface DataSummary {
  labels: string[];
  /** Examples per class per split, index = class id. */
  counts: { train: number[]; validation: number[]; test: number[] };
  emptyTexts: number;
  nanLikeTexts: number;
  /** Identical texts present in train and in validation or test. */
  duplicatesAcrossSplits: number;
}

export type DoctorDecision =
  | { kind: 'rollback'; reason: string }
  | { kind: 'lr-change'; to: number; reason: string }
  | { kind: 'clip'; norm: number; reason: string }
  | { kind: 'rebalance'; reason: string }
  | { kind: 'stop'; reason: string };

export interface DoctorVerdict {
  findings: Finding[];
  decisions: DoctorDecision[];
}

export interface TrainingDoctor {
  beforeTraining(data: DataSummary): Finding[];
  /** Called after every step; return decisions only for emergencies (NaN/Inf), else null. */
  onStep(stats: StepStats): DoctorVerdict | null;
  onEpoch(stats: EpochStats): DoctorVerdict;
}

/** What the loop records after carrying out a decision. */
export type RecordedAction = DoctorAction;
