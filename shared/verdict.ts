// Did a run learn anything? Measured against what needs no learning at all (always answering the most common
// label) and against the project's baseline runs. Pure: the app marks runs with it; any caller may.
// Free of Node and DOM imports.
import type { SplitMetrics } from './domain.ts';

export interface ChanceLevel {
  /** The most common label of the split the run was judged on, and its share: the accuracy of always saying it. */
  label: string;
  accuracy: number;
  /** Macro-F1 of always saying that label: its F1 (2p / (1 + p)) averaged over every class. */
  macroF1: number;
  classes: number;
  /** Examples in the judged split. */
  examples: number;
}

/** What always answering the most common label scores, from the label counts of the judged split. */
export function chanceLevel(counts: ReadonlyArray<{ label: string; count: number }>): ChanceLevel | null {
  const total = counts.reduce((s, c) => s + c.count, 0);
  const present = counts.filter((c) => c.count > 0);
  if (!total || present.length < 2) return null;
  const top = present.reduce((a, b) => (b.count > a.count ? b : a));
  const p = top.count / total;
  return { label: top.label, accuracy: p, macroF1: (2 * p) / (1 + p) / present.length, classes: present.length, examples: total };
}

export type LearnedVerdict =
  | { kind: 'learned' }
  | { kind: 'did-not-learn'; reason: string }
  | { kind: 'below-baseline'; reason: string; baseline: string };

/** A baseline a run is compared with: a linear or baseline run of the same project. */
export interface BaselineScore {
  run: string;
  name: string;
  validation: SplitMetrics;
}

/**
 * How far above chance accuracy a run must be to have learned something: two standard errors of an accuracy
 * of p on n examples (a model that guesses scores p ± that by luck alone: ±5.8 points on 300 balanced
 * sentiment sentences, ±1.5 on 1,945 O*NET duties), and never less than one point.
 */
export function chanceMargin(c: Pick<ChanceLevel, 'accuracy' | 'examples'>): number {
  return Math.max(0.01, 2 * Math.sqrt((c.accuracy * (1 - c.accuracy)) / Math.max(1, c.examples)));
}

/** Macro-F1 this close to that of answering one label always means the run tells almost no labels apart. */
export const CHANCE_MARGIN = 0.01;
/** A recurrent run this far below the project's baseline in validation macro-F1 did worse than the yardstick. */
export const BASELINE_MARGIN = 0.05;

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

export function learnedVerdict(validation: SplitMetrics | null, chance: ChanceLevel | null, baseline: BaselineScore | null = null): LearnedVerdict {
  if (!validation || !Number.isFinite(validation.accuracy)) return { kind: 'learned' };
  if (chance) {
    if (validation.accuracy <= chance.accuracy + chanceMargin(chance)) {
      return {
        kind: 'did-not-learn',
        reason: `validation accuracy ${pct(validation.accuracy)} is no better than always answering “${chance.label}” (${pct(chance.accuracy)}, give or take ${pct(chanceMargin(chance))} by chance)`,
      };
    }
    if (validation.macroF1 <= chance.macroF1 + CHANCE_MARGIN) {
      return {
        kind: 'did-not-learn',
        reason: `validation macro-F1 ${validation.macroF1.toFixed(3)} is no better than always answering “${chance.label}” (${chance.macroF1.toFixed(3)}): it tells almost no labels apart`,
      };
    }
  }
  if (baseline && validation.macroF1 < baseline.validation.macroF1 - BASELINE_MARGIN) {
    return {
      kind: 'below-baseline',
      baseline: baseline.run,
      reason: `validation macro-F1 ${validation.macroF1.toFixed(3)} is below the ${baseline.name} run's ${baseline.validation.macroF1.toFixed(3)}`,
    };
  }
  return { kind: 'learned' };
}
