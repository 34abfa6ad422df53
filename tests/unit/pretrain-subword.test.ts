// Subword skip-gram pretraining (train/pretrain.ts) on real O*NET task statements.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { ngramHashes, pretrainEmbeddings, pretrainEpochs, trainSubwordVectors, type PretrainProgress, type SubwordVectors } from '../../main/engine/train/pretrain.ts';
import { repoRoot } from './loop-fixtures.ts';

const ONET = path.resolve(repoRoot, '../shared/datasets/onet_tasks/onet_tasks_split.csv');
const rows = (parse(fs.readFileSync(ONET, 'utf8'), { columns: true }) as Array<{ task: string; split: string }>).filter((r) => r.split === 'train');
// A held-out word form: no text that contains it is in the corpus.
const UNSEEN = 'supervising';
const corpus = rows
  .map((r) => r.task)
  .filter((t) => !/\bsupervising\b/i.test(t))
  .slice(0, 4000);

/** Cosine of two word vectors after subtracting the corpus mean (as pretrainEmbeddings does). */
function cosine(v: SubwordVectors, a: string, b: string): number {
  const mean = v.meanVector();
  const x = v.wordVector(a).map((q, k) => q - mean[k]!);
  const y = v.wordVector(b).map((q, k) => q - mean[k]!);
  let d = 0;
  let nx = 0;
  let ny = 0;
  for (let k = 0; k < x.length; k++) {
    d += x[k]! * y[k]!;
    nx += x[k]! ** 2;
    ny += y[k]! ** 2;
  }
  return d / Math.sqrt(nx * ny);
}

describe('subword skip-gram pretraining', () => {
  it('hashes the character n-grams of <word>, 3 to 6 long, fastText’s way', () => {
    // "<ab>": 3-grams <ab, ab>; 4-gram <ab>.
    expect(ngramHashes('ab', 3, 6)).toHaveLength(3);
    // A surrogate pair counts as one character.
    expect(ngramHashes('a😀', 3, 3)).toHaveLength(2);
    expect(ngramHashes('ab', 3, 6)).toEqual(ngramHashes('ab', 3, 6));
  });

  it('gives an unseen word form a vector near its relatives, learns contexts, and reports progress', async () => {
    const progress: PretrainProgress[] = [];
    const r = await trainSubwordVectors(corpus, { dim: 32, epochs: 3, seed: 1, onProgress: (p) => progress.push(p) });
    const v = r.vectors;
    expect(v.words.has(UNSEEN)).toBe(false);
    expect(v.words.has('supervise')).toBe(true);
    const unseen = v.wordVector(UNSEEN);
    expect(unseen.some((x) => x !== 0)).toBe(true);
    // Closer to forms of the same word than to unrelated words.
    const related = Math.min(cosine(v, UNSEEN, 'supervise'), cosine(v, UNSEEN, 'supervision'));
    for (const other of ['patients', 'welding', 'budget', 'teach']) expect(related).toBeGreaterThan(cosine(v, UNSEEN, other));
    // Skip-gram learned something about contexts, not only spelling: words that share contexts but no n-grams.
    expect(cosine(v, 'patients', 'medical')).toBeGreaterThan(cosine(v, 'patients', 'welding'));
    // Progress goes forward and ends at 1; the loss falls from its start (6 × ln 2 with zero output rows).
    const fractions = progress.map((p) => p.fraction);
    expect(fractions.every((f, i) => i === 0 || f >= fractions[i - 1]!)).toBe(true);
    expect(fractions.at(-1)).toBe(1);
    expect(progress.at(-1)!.loss).toBeLessThan(progress[0]!.loss);
    expect(r.epochs).toBe(3);
  });

  it('stops early when asked and still returns vectors', async () => {
    let polls = 0;
    const r = await trainSubwordVectors(corpus, { dim: 8, epochs: 5, seed: 1, shouldStop: () => ++polls >= 2 });
    expect(r.stopped).toBe(true);
    expect(r.vectors.wordVector('operate').some((x) => x !== 0)).toBe(true);
  });

  it('fills a run vocabulary: padding zero, every word a vector at the scale of a fresh embedding', async () => {
    const vocabulary = ['<pad>', '<oov>', 'operate', 'equipment', UNSEEN, 'qqqqqq'];
    const e = await pretrainEmbeddings(corpus.slice(0, 500), vocabulary, { dim: 16, epochs: 1, seed: 2 });
    expect(e.matrix.length).toBe(vocabulary.length * 16);
    expect(Array.from(e.matrix.subarray(0, 16)).every((x) => x === 0)).toBe(true);
    expect(e.found).toBe(2);
    expect(e.missing).toBe(1); // "qqqqqq": no n-gram of it occurs anywhere
    const norm = (i: number) => Math.hypot(...Array.from(e.matrix.subarray(i * 16, i * 16 + 16)));
    const mean = (norm(2) + norm(3) + norm(4)) / 3;
    expect(mean).toBeCloseTo(0.05 * Math.sqrt(16 / 3), 6);
    for (const i of [1, 5]) expect(norm(i)).toBeGreaterThan(0);
  });

  it('runs more epochs on small corpora, fastText’s 5 on large ones', () => {
    expect(pretrainEpochs(20_000)).toBe(50);
    expect(pretrainEpochs(200_000)).toBe(10);
    expect(pretrainEpochs(5_000_000)).toBe(5);
  });
});
