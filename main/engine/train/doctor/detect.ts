// Detection: pure functions from the numbers the loop measures (per-epoch and per-step statistics) to findings.
// No state lives here; the doctor (index.ts) keeps the history and decides what to do.
// Every threshold is relative (to the loss's own scale, to chance level, to the recent median) and every detector
// needs a minimum number of epochs or steps, so that the ordinary noise of a healthy run is never flagged.
import type { Finding } from '../../../../shared/domain.ts';
import type { DataSummary, EpochStats } from './types.ts';

export interface Thresholds {
  /** Plateau: epochs in the window, all at the current learning rate. */
  plateauWindow: number;
  /** Plateau: mean relative change of the validation loss per epoch below this is "still". */
  plateauRelativeChange: number;
  /** Plateau: validation accuracy gaining less than this over the window is "flat". */
  plateauAccuracyRange: number;
  /** Collapse: share of validation predictions taken by one class. */
  collapseShare: number;
  /** Collapse: consecutive epochs it must last when the model never learned (a sudden collapse counts at once). */
  collapseEpochs: number;
  /** Overfitting: epochs since the best validation loss. */
  overfitPatience: number;
  /** Overfitting: validation loss above its best by this fraction. */
  overfitRise: number;
  /** Overfitting (gap form): train accuracy minus validation accuracy. */
  overfitGap: number;
  /** Divergence at step level: loss above this multiple of the recent median, for `divergenceSteps` steps running. */
  divergenceFactor: number;
  divergenceSteps: number;
  /** Gradient explosion: gradient norm above this multiple of the recent median. */
  gradientSpikeFactor: number;
  /** Imbalance: train split max/min class count ratio. */
  imbalanceRatio: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  plateauWindow: 3,
  plateauRelativeChange: 0.005,
  plateauAccuracyRange: 0.02,
  collapseShare: 0.95,
  collapseEpochs: 3,
  overfitPatience: 3,
  overfitRise: 0.05,
  overfitGap: 0.3,
  divergenceFactor: 3,
  divergenceSteps: 3,
  gradientSpikeFactor: 25,
  imbalanceRatio: 10,
};

const r3 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x);
const r4 = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(4)) : x);
const pct = (x: number) => `${Math.round(x * 100)}%`;

export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Cross-entropy of guessing uniformly: the natural scale of a classification loss. */
export function chanceLoss(classes: number): number {
  return Math.log(Math.max(2, classes));
}

// ---------------------------------------------------------------------------------------------------------------
// Before training: the data.

export function checkData(data: DataSummary, t: Thresholds = DEFAULT_THRESHOLDS): Finding[] {
  const out: Finding[] = [];
  const { labels, counts } = data;
  const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const all = total(counts.train) + total(counts.validation) + total(counts.test);
  if (data.emptyTexts > 0 || data.nanLikeTexts > 0) {
    const n = data.emptyTexts + data.nanLikeTexts;
    out.push({
      kind: 'data',
      severity: n / Math.max(1, all) > 0.01 ? 'warning' : 'info',
      epochs: [0, 0],
      message:
        `${n} of ${all} examples have no real text: ${data.emptyTexts} empty and ${data.nanLikeTexts} that read like a missing value ` +
        '("nan", "null", "N/A"). The model learns nothing from them, and if they carry labels they teach it to guess those labels for blank input.',
      evidence: { emptyTexts: data.emptyTexts, nanLikeTexts: data.nanLikeTexts, examples: all },
      fix: 'Review the data (`textbench review`) and fix or remove these rows; check the text column chosen at import.',
    });
  }
  if (data.duplicatesAcrossSplits > 0) {
    const held = total(counts.validation) + total(counts.test);
    const share = data.duplicatesAcrossSplits / Math.max(1, held);
    out.push({
      kind: 'data',
      severity: share > 0.05 ? 'warning' : 'info',
      epochs: [0, 0],
      message:
        `${data.duplicatesAcrossSplits} validation/test examples (${pct(share)}) also appear word for word in the train split. ` +
        'The model has seen their answers, so validation and test scores look better than they will be on new text.',
      evidence: { duplicatesAcrossSplits: data.duplicatesAcrossSplits, heldOutExamples: held, share: r3(share) },
      fix: 'Remove the duplicates from validation and test, or re-split the data so that identical texts stay in one split.',
    });
  }
  const missingTrain = labels.filter((_, i) => (counts.train[i] ?? 0) === 0 && ((counts.validation[i] ?? 0) > 0 || (counts.test[i] ?? 0) > 0));
  if (missingTrain.length) {
    out.push({
      kind: 'data',
      severity: 'error',
      epochs: [0, 0],
      message:
        `${missingTrain.length} label(s) have no examples in the train split but appear in validation or test: ${list(missingTrain)}. ` +
        'The model can never predict them, so every one of those examples will be counted wrong.',
      evidence: { split: 'train', labels: missingTrain },
      fix: 'Move some examples of these labels into the train split, or relabel or remove them.',
    });
  }
  const hasValidation = total(counts.validation) > 0;
  const missingValidation = hasValidation ? labels.filter((_, i) => (counts.train[i] ?? 0) > 0 && (counts.validation[i] ?? 0) === 0) : [];
  if (missingValidation.length) {
    out.push({
      kind: 'data',
      severity: 'warning',
      epochs: [0, 0],
      message:
        `${missingValidation.length} label(s) have no examples in the validation split: ${list(missingValidation)}. ` +
        'Training cannot tell whether it gets them right, so early stopping and the doctor judge the run without them.',
      evidence: { split: 'validation', labels: missingValidation },
      fix: 'Give every label a few validation examples (re-split the data, stratified by label).',
    });
  }
  const hasTest = total(counts.test) > 0;
  const missingTest = hasTest ? labels.filter((_, i) => (counts.train[i] ?? 0) > 0 && (counts.test[i] ?? 0) === 0) : [];
  if (missingTest.length) {
    out.push({
      kind: 'data',
      severity: 'info',
      epochs: [0, 0],
      message: `${missingTest.length} label(s) have no examples in the test split: ${list(missingTest)}. The test scores say nothing about them.`,
      evidence: { split: 'test', labels: missingTest },
      fix: 'Re-split the data stratified by label if you need a test score for every label.',
    });
  }
  const present = counts.train.map((c, i) => ({ label: labels[i]!, c })).filter((x) => x.c > 0);
  if (present.length >= 2) {
    const max = present.reduce((a, b) => (b.c > a.c ? b : a));
    const min = present.reduce((a, b) => (b.c < a.c ? b : a));
    const ratio = max.c / min.c;
    if (ratio >= t.imbalanceRatio) {
      const rare = present.filter((x) => x.c * t.imbalanceRatio <= max.c).map((x) => x.label);
      out.push({
        kind: 'imbalance',
        severity: ratio >= 5 * t.imbalanceRatio ? 'warning' : 'info',
        epochs: [0, 0],
        message:
          `The labels are imbalanced: "${max.label}" has ${max.c} train examples and "${min.label}" only ${min.c} (${Math.round(ratio)} to 1). ` +
          `A model can score well by favouring the big labels and rarely predicting the small ones (${list(rare)}).`,
        evidence: { largest: { label: max.label, count: max.c }, smallest: { label: min.label, count: min.c }, ratio: r3(ratio), rareLabels: rare },
        fix: 'Train with --class-weights balanced, or with the top-k loss (--loss topk --k 16, as the jobs-minimal recipe does), and judge runs by macro-F1.',
      });
    }
  }
  return out;
}

function list(xs: readonly string[], max = 6): string {
  const shown = xs.slice(0, max).map((x) => `"${x}"`).join(', ');
  return xs.length > max ? `${shown} and ${xs.length - max} more` : shown;
}

// ---------------------------------------------------------------------------------------------------------------
// During training, per epoch. `history` is the run's epochs so far, the current one last.

/** The epochs trained at the current learning rate (a change of rate starts a new segment). */
export function currentSegment(history: readonly EpochStats[]): EpochStats[] {
  const last = history[history.length - 1];
  if (!last) return [];
  let i = history.length - 1;
  while (i > 0 && history[i - 1]!.learningRate === last.learningRate) i--;
  return history.slice(i);
}

/**
 * Plateau: the validation loss barely moves (relative to its own size) and validation accuracy is flat for a
 * window of epochs, while the model has learned little (the loss is still near where the segment began, or
 * near chance level). A converged model also has a flat loss, but a low one: that is not flagged.
 */
export function detectPlateau(history: readonly EpochStats[], t: Thresholds = DEFAULT_THRESHOLDS): Finding | null {
  const window = currentSegment(history).slice(-t.plateauWindow);
  if (window.length < t.plateauWindow) return null;
  const last = window[window.length - 1]!;
  const classes = last.predictedClassCounts.length;
  const vl = window.map((e) => e.validationLoss);
  const tl = window.map((e) => e.trainLoss);
  if (![...vl, ...tl].every(Number.isFinite)) return null;
  const rel = (xs: number[]) => {
    let s = 0;
    for (let i = 1; i < xs.length; i++) s += Math.abs(xs[i]! - xs[i - 1]!) / Math.max(Math.abs(xs[i - 1]!), 1e-8);
    return s / (xs.length - 1);
  };
  const valChange = rel(vl);
  const trainChange = rel(tl);
  const accs = window.map((e) => e.validationAccuracy);
  // "Flat" means no gain: accuracy that bounces or sinks near chance level is not learning either.
  const accGain = Math.max(...accs) - accs[0]!;
  // On a small validation split one or two predictions flipping moves accuracy by more than the threshold.
  const nVal = last.predictedClassCounts.reduce((a, b) => a + b, 0);
  const accBar = Math.max(t.plateauAccuracyRange, nVal > 0 ? 2.5 / nVal : 0);
  if (valChange >= t.plateauRelativeChange || trainChange >= 2 * t.plateauRelativeChange || accGain >= accBar) return null;
  const chance = chanceLoss(classes);
  const learnedLittle = last.trainLoss >= 0.8 * history[0]!.trainLoss || last.validationLoss >= 0.7 * chance;
  if (!learnedLittle) return null;
  const from = window[0]!.epoch;
  return {
    kind: 'plateau',
    severity: 'warning',
    epochs: [from, last.epoch],
    message:
      `Training has stalled: from epoch ${from} to ${last.epoch} the validation loss changed by ${valChange < 1e-4 ? 'less than 0.01%' : `only ${(valChange * 100).toFixed(2)}%`} per epoch ` +
      `(${r4(vl[0]!)} → ${r4(vl[vl.length - 1]!)}) and validation accuracy stayed at ${pct(last.validationAccuracy)}. ` +
      `With a learning rate of ${last.learningRate} the weights move too little to learn; this is the classic sign of a learning rate that is too low.`,
    evidence: {
      validationLoss: vl.map(r4),
      trainLoss: tl.map(r4),
      validationAccuracy: accs.map(r3),
      relativeChangePerEpoch: r4(valChange),
      learningRate: last.learningRate,
      chanceLoss: r3(chance),
    },
    fix: 'Raise the learning rate (about ×10), or run `textbench lr-find` and use its suggested rate.',
  };
}

export interface CollapseContext {
  /** Share of the most frequent label among validation examples (from the data summary), if known. */
  majorityShare?: number;
  /** Whether an earlier epoch of this run predicted several classes. */
  wasDiverse: boolean;
}

/** The share of predictions taken by the most predicted class, and that class. */
export function topPrediction(counts: readonly number[]): { share: number; cls: number } {
  const total = counts.reduce((a, b) => a + b, 0);
  let cls = 0;
  for (let i = 1; i < counts.length; i++) if (counts[i]! > counts[cls]!) cls = i;
  return { share: total ? counts[cls]! / total : 0, cls };
}

export function isCollapsed(e: EpochStats, majorityShare: number | undefined, t: Thresholds = DEFAULT_THRESHOLDS): boolean {
  const total = e.predictedClassCounts.reduce((a, b) => a + b, 0);
  if (total < 10 || e.predictedClassCounts.length < 2) return false;
  const majority = majorityShare ?? 1 / e.predictedClassCounts.length;
  // With a label that is 90% of the data, predicting it everywhere is not a collapse one can tell from imbalance.
  if (majority >= 0.9) return false;
  const share = topPrediction(e.predictedClassCounts).share;
  return share >= Math.max(t.collapseShare, Math.min(0.999, majority + 0.1));
}

/** Collapse: the model gives (nearly) the same answer for every validation example, for several epochs. */
export function detectCollapse(history: readonly EpochStats[], ctx: CollapseContext, labels: readonly string[] | undefined, t: Thresholds = DEFAULT_THRESHOLDS): Finding | null {
  const recent = history.slice(-t.collapseEpochs);
  if (recent.length < t.collapseEpochs || !recent.every((e) => isCollapsed(e, ctx.majorityShare, t))) return null;
  const last = recent[recent.length - 1]!;
  const { share, cls } = topPrediction(last.predictedClassCounts);
  const name = labels?.[cls] ?? `class ${cls}`;
  return {
    kind: 'collapse',
    severity: ctx.wasDiverse ? 'error' : 'warning',
    epochs: [recent[0]!.epoch, last.epoch],
    message: ctx.wasDiverse
      ? `The model has collapsed: it now answers "${name}" for ${pct(share)} of validation texts, whatever they say, although it told labels apart before. ` +
        'This usually follows a blow-up of the weights (too high a learning rate, exploding gradients) or a loss dominated by one big label.'
      : `The model answers "${name}" for ${pct(share)} of validation texts, whatever they say: it has not learned to tell the labels apart. ` +
        'Either it has not started learning (see any plateau finding) or the biggest label dominates the loss.',
    evidence: {
      predictedClassCounts: last.predictedClassCounts,
      topClass: name,
      topShare: r3(share),
      predictedEntropy: r3(last.predictedEntropy),
      labelMajorityShare: ctx.majorityShare === undefined ? null : r3(ctx.majorityShare),
      validationAccuracy: recent.map((e) => r3(e.validationAccuracy)),
    },
    fix: ctx.wasDiverse
      ? 'Roll back to the last good epoch and rebalance the classes (--class-weights balanced); lower the learning rate if the loss jumped.'
      : 'Rebalance the classes (--class-weights balanced or --loss topk); if the loss is not moving, raise the learning rate.',
  };
}

/**
 * Overfitting: the validation loss has risen above its best for several epochs while the train loss kept falling.
 * `stop` says whether validation macro-F1 also stopped improving (then stopping loses nothing; otherwise the
 * model is only growing overconfident and training may continue).
 */
export function detectOverfitting(history: readonly EpochStats[], t: Thresholds = DEFAULT_THRESHOLDS): { finding: Finding; stop: boolean } | null {
  const finite = history.filter((e) => Number.isFinite(e.validationLoss) && Number.isFinite(e.trainLoss));
  if (finite.length < t.overfitPatience + 1) return null;
  const best = finite.reduce((a, b) => (b.validationLoss < a.validationLoss ? b : a));
  const last = finite[finite.length - 1]!;
  const since = finite.filter((e) => e.epoch > best.epoch);
  if (since.length < t.overfitPatience) return null;
  const rose = last.validationLoss > best.validationLoss * (1 + t.overfitRise) && since.slice(-t.overfitPatience).every((e) => e.validationLoss > best.validationLoss);
  const trainImproved = last.trainLoss < best.trainLoss;
  if (!rose || !trainImproved) return null;
  const window = finite.slice(-t.overfitPatience);
  const before = finite.slice(0, finite.length - t.overfitPatience);
  const bestF1Before = Math.max(...before.map((e) => e.validationMacroF1));
  const bestF1Window = Math.max(...window.map((e) => e.validationMacroF1));
  const stop = bestF1Window <= bestF1Before + 0.005;
  const gap = last.trainAccuracy - last.validationAccuracy;
  return {
    finding: {
      kind: 'overfitting',
      severity: stop ? 'warning' : 'info',
      epochs: [best.epoch, last.epoch],
      message:
        `The model is memorising the train split: since epoch ${best.epoch} its train loss fell from ${r4(best.trainLoss)} to ${r4(last.trainLoss)} ` +
        `while the validation loss rose from ${r4(best.validationLoss)} to ${r4(last.validationLoss)}` +
        (stop
          ? ` and validation macro-F1 stopped improving. Training accuracy is ${pct(last.trainAccuracy)} against ${pct(last.validationAccuracy)} on validation.`
          : `; validation macro-F1 still creeps up, so the model is mostly growing overconfident.`),
      evidence: {
        bestEpoch: best.epoch,
        validationLoss: finite.filter((e) => e.epoch >= best.epoch).map((e) => r4(e.validationLoss)),
        trainLoss: finite.filter((e) => e.epoch >= best.epoch).map((e) => r4(e.trainLoss)),
        validationMacroF1: finite.filter((e) => e.epoch >= best.epoch).map((e) => r3(e.validationMacroF1)),
        trainAccuracy: r3(last.trainAccuracy),
        validationAccuracy: r3(last.validationAccuracy),
        gap: r3(gap),
      },
      fix: stop
        ? `Stop and keep the weights of epoch ${best.epoch} (early stopping does this). To lift the ceiling: more data, more dropout, a smaller model, or the linear model.`
        : 'Let early stopping on macro-F1 (--early-stop macro-f1) decide; add dropout or use a smaller model.',
    },
    stop,
  };
}

/** The other form of overfitting: a large, lasting gap between train and validation accuracy. */
export function detectGap(history: readonly EpochStats[], t: Thresholds = DEFAULT_THRESHOLDS): Finding | null {
  if (history.length < 3) return null;
  const recent = history.slice(-2);
  if (!recent.every((e) => e.trainAccuracy - e.validationAccuracy > t.overfitGap)) return null;
  const last = recent[recent.length - 1]!;
  return {
    kind: 'overfitting',
    severity: 'info',
    epochs: [recent[0]!.epoch, last.epoch],
    message:
      `Train accuracy (${pct(last.trainAccuracy)}) is far above validation accuracy (${pct(last.validationAccuracy)}): ` +
      'the model fits the train split much better than new text. Expect test scores near the validation ones, not the train ones.',
    evidence: { trainAccuracy: recent.map((e) => r3(e.trainAccuracy)), validationAccuracy: recent.map((e) => r3(e.validationAccuracy)) },
    fix: 'More data, more dropout, a smaller model or fewer epochs; compare with the linear model.',
  };
}

/**
 * Divergence at epoch level: the train loss jumped well above its best in this learning-rate segment while train
 * accuracy fell, or the model does worse than guessing (validation loss far above chance) without having fit train.
 */
export function detectDivergence(history: readonly EpochStats[], options: { unstable?: boolean } = {}): Finding | null {
  const last = history[history.length - 1];
  if (!last) return null;
  const classes = last.predictedClassCounts.length;
  const chance = chanceLoss(classes);
  const seg = currentSegment(history);
  const prior = seg.slice(0, -1).filter((e) => Number.isFinite(e.trainLoss));
  const minTrain = prior.length ? Math.min(...prior.map((e) => e.trainLoss)) : NaN;
  const bestAcc = prior.length ? Math.max(...prior.map((e) => e.trainAccuracy)) : NaN;
  const jumped =
    prior.length > 0 &&
    last.trainLoss > 1.5 * minTrain &&
    last.trainLoss - minTrain > 0.25 * chance &&
    last.trainAccuracy < bestAcc - 0.1;
  // A model that has not fit train (accuracy under 60%) and whose loss on both splits is well above what guessing
  // at random costs has weights that overshoot; a healthy run's epoch losses stay below chance level. A model stuck
  // on one moderately confident answer costs a little more than chance too, so the bar is 1.5× chance, or 1.2×
  // once the run is known to be unstable (a blow-up was already repaired).
  const bar = (options.unstable ? 1.2 : 1.5) * chance;
  const worseThanChance = last.validationLoss > bar && last.trainLoss > bar && last.trainAccuracy < 0.6;
  if (!jumped && !worseThanChance) return null;
  return {
    kind: 'divergence',
    severity: 'error',
    epochs: [prior[0]?.epoch ?? last.epoch, last.epoch],
    message: jumped
      ? `Training blew up in epoch ${last.epoch}: the train loss jumped from ${r4(minTrain)} to ${r4(last.trainLoss)} and train accuracy fell ` +
        `from ${pct(bestAcc)} to ${pct(last.trainAccuracy)}. With a learning rate of ${last.learningRate} the steps overshoot (exploding gradients).`
      : `Training has diverged: the validation loss is ${r4(last.validationLoss)}, worse than guessing at random (${r4(chance)}), ` +
        `with a learning rate of ${last.learningRate}. The steps are too large and the weights have blown up.`,
    evidence: {
      trainLoss: seg.map((e) => r4(e.trainLoss)),
      trainAccuracy: seg.map((e) => r3(e.trainAccuracy)),
      validationLoss: r4(last.validationLoss),
      chanceLoss: r3(chance),
      learningRate: last.learningRate,
      gradNormMax: r4(last.gradNormMax),
      weightNorm: r4(last.weightNorm),
    },
    fix: 'Roll back to the last good epoch, lower the learning rate (÷10) and clip gradients by global norm (--clip 1).',
  };
}

/** NaN/Inf in the epoch's numbers or in the weights. */
export function detectNonFiniteEpoch(e: EpochStats): Finding | null {
  // Without validation examples the validation loss is NaN by construction, not by a blow-up.
  const hasValidation = e.predictedClassCounts.some((c) => c > 0);
  const bad = !e.weightsFinite || (hasValidation && !Number.isFinite(e.validationLoss)) || (e.nonFiniteSteps > 0 && !Number.isFinite(e.trainLoss));
  if (!bad) return null;
  return {
    kind: 'nan',
    severity: 'error',
    epochs: [e.epoch, e.epoch],
    message:
      `In epoch ${e.epoch} the numbers stopped being numbers (NaN or infinity): ` +
      `${!e.weightsFinite ? 'the weights themselves' : 'the validation loss'} became invalid, and ${e.nonFiniteSteps} training step(s) produced invalid gradients. ` +
      'This comes from exploding gradients with too high a learning rate, or from invalid values in the data.',
    evidence: { weightsFinite: e.weightsFinite, validationLoss: String(e.validationLoss), nonFiniteSteps: e.nonFiniteSteps, learningRate: e.learningRate, gradNormMax: r4(e.gradNormMax) },
    fix: 'Roll back to the last good epoch, lower the learning rate (÷10) and turn on gradient clipping (--clip 1).',
  };
}

/**
 * Classes that the model never predicts although validation has examples of them, after a few epochs, when
 * the model is not collapsed: the quiet form of imbalance.
 */
export function detectIgnoredClasses(history: readonly EpochStats[], validationCounts: readonly number[] | undefined, labels: readonly string[] | undefined): Finding | null {
  // Every model ignores the rare labels for its first epochs; only a habit that lasts is worth reporting.
  if (history.length < 5 || !validationCounts) return null;
  const last = history[history.length - 1]!;
  const present = validationCounts.map((c, i) => ({ i, c })).filter((x) => x.c > 0);
  const ignored = present.filter((x) => history.slice(-3).every((e) => (e.predictedClassCounts[x.i] ?? 0) === 0));
  if (present.length < 3 || ignored.length / present.length < 0.25) return null;
  const names = ignored.map((x) => labels?.[x.i] ?? `class ${x.i}`);
  return {
    kind: 'imbalance',
    severity: 'warning',
    epochs: [history[history.length - 3]!.epoch, last.epoch],
    message:
      `The model never predicts ${ignored.length} of ${present.length} labels (${list(names)}), although validation has ` +
      `${ignored.reduce((a, x) => a + x.c, 0)} examples of them: it has learned that betting on the big labels pays.`,
    evidence: { ignoredLabels: names, validationExamples: ignored.map((x) => x.c), predictedClassCounts: last.predictedClassCounts },
    fix: 'Train with --class-weights balanced or the top-k loss (--loss topk --k 16), and compare runs by macro-F1.',
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Per step.

/**
 * Batches whose class mix is far from the train split's: the mean chi-square of the batches' class counts against
 * the expected counts is many times its value under random shuffling (classes - 1). Also checked against a uniform
 * mix so that batches rebalanced on purpose are not flagged.
 */
export function batchSkew(batches: readonly number[][], expected: readonly number[]): { ratio: number; batches: number } | null {
  if (batches.length < 10) return null;
  const total = expected.reduce((a, b) => a + b, 0);
  const present = expected.map((c, i) => ({ i, p: c / total })).filter((x) => x.p > 0);
  if (present.length < 2 || !total) return null;
  const chi = (p: (i: number) => number) => {
    let s = 0;
    for (const b of batches) {
      const n = b.reduce((a, c) => a + c, 0);
      for (const x of present) {
        const e = n * p(x.i);
        s += ((b[x.i] ?? 0) - e) ** 2 / e;
      }
    }
    return s / batches.length / (present.length - 1);
  };
  const vsSplit = chi((i) => expected[i]! / total);
  const vsUniform = chi(() => 1 / present.length);
  return { ratio: Math.min(vsSplit, vsUniform), batches: batches.length };
}
