// The TF-IDF vectorizer against scikit-learn's TfidfVectorizer on a real dev dataset: the same vocabulary in
// the same order and the same values, for fitted and unseen texts, word n-grams and char_wb n-grams.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { TfidfVectorizer } from '../../main/engine/text/tfidf.ts';
import type { CsrMatrix } from '../../main/engine/text/tfidf-matrix.ts';
import { datasets } from '../fixtures/data.ts';
import { requireSklearn, sklearnTfidf, type SklearnCsr } from '../fixtures/sklearn.ts';

const rows = parse(fs.readFileSync(path.join(datasets, 'uci_sentiment_labelled_sentences/uci_sentiment.csv')), { columns: true }) as Record<string, string>[];
// scikit-learn does not normalise Unicode; these texts are already NFC, as the check below makes sure.
const train = rows.filter((r) => r.split === 'train').map((r) => r.text!);
const test = rows.filter((r) => r.split === 'test').map((r) => r.text!);

/** Largest absolute difference between our matrix and scikit-learn's (same columns), entry by entry. */
function maxDifference(ours: CsrMatrix, theirs: SklearnCsr): number {
  expect(Array.from(ours.indptr)).toEqual(theirs.indptr);
  expect(Array.from(ours.indices)).toEqual(theirs.indices);
  let worst = 0;
  theirs.data.forEach((v, k) => {
    worst = Math.max(worst, Math.abs(v - ours.data[k]!));
  });
  return worst;
}

describe('TF-IDF against scikit-learn (UCI sentiment, 2,418 train and 582 unseen texts)', () => {
  beforeAll(() => {
    requireSklearn();
    expect(train.every((t) => t === t.normalize('NFC'))).toBe(true);
  });

  it('word 1-2 grams, sublinear tf: same vocabulary, same values (float32 storage)', () => {
    const { vectorizer, blocks } = TfidfVectorizer.fit(train, { wordNgrams: [1, 2], charNgrams: null, minDf: 1 });
    const ref = sklearnTfidf(train, test, { analyzer: 'word', ngram: [1, 2], minDf: 1, sublinear: true });
    expect(vectorizer.toJSON().words.terms).toEqual(ref.terms);
    expect(maxDifference(blocks.words, ref.fit)).toBeLessThan(1e-6);
    expect(maxDifference(vectorizer.transformBlocks(test).words, ref.transform)).toBeLessThan(1e-6);
  });

  it('char_wb 2-5 grams: same vocabulary, same values', () => {
    const { vectorizer, blocks } = TfidfVectorizer.fit(train, { charNgrams: [2, 5], minDf: 1 });
    const ref = sklearnTfidf(train, test, { analyzer: 'char_wb', ngram: [2, 5], minDf: 1, sublinear: true });
    expect(vectorizer.toJSON().chars!.terms).toEqual(ref.terms);
    expect(maxDifference(blocks.chars!, ref.fit)).toBeLessThan(1e-6);
    expect(maxDifference(vectorizer.transformBlocks(test).chars!, ref.transform)).toBeLessThan(1e-6);
  });

  it('min_df = 3 and raw term counts drop the same rare n-grams and weigh the rest alike', () => {
    const { vectorizer, blocks } = TfidfVectorizer.fit(train, { wordNgrams: [1, 3], charNgrams: null, minDf: 3, sublinearTf: false });
    const ref = sklearnTfidf(train, test, { analyzer: 'word', ngram: [1, 3], minDf: 3, sublinear: false });
    expect(vectorizer.toJSON().words.terms).toEqual(ref.terms);
    expect(maxDifference(blocks.words, ref.fit)).toBeLessThan(1e-6);
    expect(maxDifference(vectorizer.transformBlocks(test).words, ref.transform)).toBeLessThan(1e-6);
  });
});
