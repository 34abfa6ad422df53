// The data a run trains on: the project's splits with current labels, the label order, and a seeded,
// stratified hold-out of train when the project has no validation split.
import type { Db } from '../store/db.ts';
import { listSplitExamples, type SplitExample } from '../store/examples.ts';
import { sha256 } from '../store/ids.ts';
import { TextbenchError } from '../errors.ts';
import { shuffled } from './rng.ts';
import type { DataSummary } from './doctor/types.ts';
import type { RunDetail } from '../../../shared/training.ts';

export type ValidationSource = NonNullable<RunDetail['validationSource']>;

export interface RunData {
  labels: string[];
  train: SplitExample[];
  validation: SplitExample[];
  test: SplitExample[];
  validationSource: ValidationSource;
  /** Fingerprint of exactly what was trained and evaluated on (ids, texts, labels, splits). */
  dataHash: string;
}

/** Stratified: each label gives the same share of its train examples (at least one when it has two or more). */
export function holdOut(train: readonly SplitExample[], fraction: number, seed: number): { train: SplitExample[]; validation: SplitExample[] } {
  const byLabel = new Map<string, number[]>();
  train.forEach((e, i) => {
    const list = byLabel.get(e.label) ?? [];
    list.push(i);
    byLabel.set(e.label, list);
  });
  const held = new Set<number>();
  for (const [label, idx] of [...byLabel.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (idx.length < 2) continue;
    const take = Math.max(1, Math.round(idx.length * fraction));
    const order = shuffled(idx.length, seed ^ hashLabel(label));
    for (let i = 0; i < take; i++) held.add(idx[order[i]!]!);
  }
  return { train: train.filter((_, i) => !held.has(i)), validation: train.filter((_, i) => held.has(i)) };
}

function hashLabel(s: string): number {
  return parseInt(sha256(s).slice(0, 8), 16);
}

/**
 * The run's splits. Without a validation split, a seeded share of train is held out for validation, unless
 * `holdOut` is false: the linear model trains on all of train and reports cross-validation instead.
 */
export function loadRunData(db: Db, projectId: string, options: { validationFraction: number; seed: number; labels?: string[]; holdOut?: boolean }): RunData {
  let train = listSplitExamples(db, projectId, 'train');
  let validation = listSplitExamples(db, projectId, 'validation');
  const test = listSplitExamples(db, projectId, 'test');
  if (!train.length) {
    throw new TextbenchError(
      'The project has no examples in its train split. Import data (`textbench import FILE`) or check the split column.',
      'EMPTY_TRAIN',
    );
  }
  let validationSource: RunData['validationSource'] = 'split';
  if (!validation.length && options.holdOut !== false) {
    ({ train, validation } = holdOut(train, options.validationFraction, options.seed));
    validationSource = 'train-holdout';
  } else if (!validation.length) validationSource = 'cross-validation';
  const seen = [...new Set([...train, ...validation, ...test].map((e) => e.label))].sort();
  const labels = options.labels ?? seen;
  const known = new Set(labels);
  const unknown = seen.filter((l) => !known.has(l));
  if (unknown.length) {
    throw new TextbenchError(
      `The project now has labels this run did not train with (${unknown.slice(0, 5).join(', ')}). Start a new run instead of resuming.`,
      'LABELS_CHANGED',
    );
  }
  if (labels.length < 2) {
    throw new TextbenchError(`A classifier needs at least two labels; this project has ${labels.length} (${labels.join(', ')}).`, 'TOO_FEW_LABELS');
  }
  const h = [train, validation, test].map((s, k) => s.map((e) => `${k}\t${e.id}\t${e.label}\t${e.text}`).join('\n')).join('\n\u0000\n');
  return { labels, train, validation, test, validationSource, dataHash: sha256(h) };
}

export function labelIds(examples: readonly SplitExample[], labels: readonly string[]): Int32Array {
  const index = new Map(labels.map((l, i) => [l, i]));
  return Int32Array.from(examples, (e) => index.get(e.label)!);
}

/** What the training doctor checks before the first step. */
export function summarize(data: RunData): DataSummary {
  const count = (s: SplitExample[]) => {
    const c = new Array<number>(data.labels.length).fill(0);
    const ids = labelIds(s, data.labels);
    for (const i of ids) c[i]! += 1;
    return c;
  };
  const all = [...data.train, ...data.validation, ...data.test];
  const trainTexts = new Set(data.train.map((e) => e.text.trim().toLowerCase()));
  return {
    labels: data.labels,
    counts: { train: count(data.train), validation: count(data.validation), test: count(data.test) },
    emptyTexts: all.filter((e) => !e.text.trim()).length,
    nanLikeTexts: all.filter((e) => /^(nan|null|none|undefined|n\/a)$/i.test(e.text.trim())).length,
    duplicatesAcrossSplits: [...data.validation, ...data.test].filter((e) => trainTexts.has(e.text.trim().toLowerCase())).length,
  };
}
