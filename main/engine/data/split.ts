import { SPLITS, type Split } from '../../../shared/domain.ts';
import { mulberry32 } from '../random.ts';

/** Splits as small integers while a file is read: a split's code is its position in SPLITS. */
export const SPLIT_CODES: readonly Split[] = SPLITS;
export const TRAIN = 0;
export const VALIDATION = 1;
export const TEST = 2;

/** The seeded generator behind splits, so that a recorded seed reproduces the same split. */
export const seededRandom = mulberry32;

function shuffle(items: number[], rand: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

function byLabel(labels: ArrayLike<number>, keep: (i: number) => boolean): number[][] {
  const groups: number[][] = [];
  for (let i = 0; i < labels.length; i++) {
    if (!keep(i)) continue;
    (groups[labels[i]!] ??= []).push(i);
  }
  return groups.filter(Boolean);
}

/**
 * Stratified split: within each label, rows are shuffled with the seed and the first `validation` and `test`
 * shares go to those splits (rounded per label, so a class of 3 rows or fewer stays in train). Returns a split
 * code per row.
 */
export function stratifiedSplit(labels: ArrayLike<number>, seed: number, shares = { validation: 0.1, test: 0.1 }): Uint8Array {
  const out = new Uint8Array(labels.length);
  const rand = seededRandom(seed);
  for (const rows of byLabel(labels, () => true)) {
    shuffle(rows, rand);
    const nVal = Math.round(rows.length * shares.validation);
    const nTest = Math.round(rows.length * shares.test);
    rows.forEach((r, k) => (out[r] = k < nVal ? VALIDATION : k < nVal + nTest ? TEST : TRAIN));
  }
  return out;
}

/**
 * A split from the file that lacks validation (or test) rows: a stratified share of each label's train rows
 * is moved there. Changes `splits` in place and says how many rows moved where.
 */
export function carveFromTrain(labels: ArrayLike<number>, splits: Uint8Array, seed: number, share = 0.1): { validation: number; test: number } {
  const has = [false, false, false];
  for (const s of splits) has[s] = true;
  const moved = { validation: 0, test: 0 };
  const rand = seededRandom(seed);
  const missing = [VALIDATION, TEST].filter((s) => !has[s]);
  if (!missing.length) return moved;
  for (const rows of byLabel(labels, (i) => splits[i] === TRAIN)) {
    shuffle(rows, rand);
    let k = 0;
    for (const target of missing) {
      const n = Math.round(rows.length * share);
      for (let m = 0; m < n && k < rows.length; m++, k++) {
        splits[rows[k]!] = target;
        if (target === VALIDATION) moved.validation++;
        else moved.test++;
      }
    }
  }
  return moved;
}
