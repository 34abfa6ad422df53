import { describe, expect, it } from 'vitest';
import { tokenizeChars, tokenizeWords } from '../../main/engine/text/tokenize.ts';
import { fitPipeline, OOV_ID, PAD_ID, pipelineFromJSON } from '../../main/engine/text/pipeline.ts';

describe('word tokenizer', () => {
  it('splits English into lowercase words without punctuation', () => {
    expect(tokenizeWords("Don't stop me now: GREAT phone!")).toEqual(["don't", 'stop', 'me', 'now', 'great', 'phone']);
    expect(tokenizeWords('Great Phone', false)).toEqual(['Great', 'Phone']);
  });
  it('segments Chinese, which has no spaces, into words', () => {
    const toks = tokenizeWords('我喜欢机器学习');
    expect(toks.length).toBeGreaterThan(2);
    expect(toks.join('')).toBe('我喜欢机器学习');
    expect(toks).toContain('学习');
  });
  it('keeps Polish diacritics inside words and lowercases them', () => {
    expect(tokenizeWords('Zażółć GĘŚLĄ jaźń, to był świetny dzień!')).toEqual(['zażółć', 'gęślą', 'jaźń', 'to', 'był', 'świetny', 'dzień']);
  });
  it('splits characters by grapheme and collapses whitespace', () => {
    expect(tokenizeChars('Ab  ć\n')).toEqual(['a', 'b', ' ', 'ć']);
  });
});

describe('sequence pipeline', () => {
  const train = ['the cat sat', 'the dog sat', 'the cat ran far away', 'a bird'];
  it('builds a vocabulary by frequency with padding 0 and OOV 1, honouring minCount and maxVocab', () => {
    const p = fitPipeline(train, { minCount: 2 });
    const v = p.toJSON().vocabulary;
    expect(v.slice(0, 2)).toEqual(['<pad>', '<oov>']);
    expect(v.slice(2)).toEqual(['the', 'cat', 'sat']);
    expect(fitPipeline(train, { minCount: 1, maxVocab: 2 }).inputDim).toBe(4);
  });
  it('chooses the sequence length from the 95th percentile and pads on the left', () => {
    const p = fitPipeline(train, { minCount: 1 });
    expect(p.sequenceLength).toBe(5);
    const enc = p.encode(['cat zebra']);
    const row = Array.from(enc.inputs[0]!.data);
    expect(row.slice(0, 3)).toEqual([PAD_ID, PAD_ID, PAD_ID]);
    expect(row[4]).toBe(OOV_ID);
    expect(enc.long).toEqual(['fits']);
  });
  it('truncates long texts for training and splits them into windows for classification', () => {
    const p = fitPipeline(train, { minCount: 1, sequenceLength: 2 });
    const long = 'the cat sat the dog sat';
    expect(p.encode([long]).long).toEqual(['truncated']);
    const w = p.encode([long, 'cat'], 'windows');
    expect(w.long).toEqual(['windows', 'fits']);
    expect(w.inputs[0]!.shape[0]).toBeGreaterThan(2);
    expect(Array.from(w.textIndex).filter((i) => i === 0).length).toBe(w.inputs[0]!.shape[0] - 1);
  });
  it('learns a character alphabet for tokens: chars', () => {
    const p = fitPipeline(['abc', 'abd'], { tokens: 'chars' });
    expect(p.toJSON().vocabulary).toEqual(['<pad>', '<oov>', 'a', 'b', 'c', 'd']);
    expect(Array.from(p.encode(['abz']).inputs[0]!.data)).toEqual([2, 3, OOV_ID]);
  });
  it('round-trips through JSON with identical encodings', () => {
    const p = fitPipeline(train, { minCount: 1 });
    const q = pipelineFromJSON(JSON.parse(JSON.stringify(p.toJSON())));
    expect(q.encode(['the cat ran']).inputs[0]!.data).toEqual(p.encode(['the cat ran']).inputs[0]!.data);
  });
  it('refuses an unknown format version with a clear message', () => {
    expect(() => pipelineFromJSON({ ...fitPipeline(train).toJSON(), version: 2 as 1 })).toThrow(/format version 2/);
  });
});

describe('n-gram pipeline', () => {
  const train = ['good phone great battery', 'bad phone awful battery', 'great value', 'awful case'];
  it('produces ids and TF-IDF weights with a bias feature, each group L2-normalised', () => {
    const p = fitPipeline(train, { tokens: 'ngrams' });
    const enc = p.encode(['good phone']);
    expect(enc.inputs.map((i) => i.name)).toEqual(['ids', 'weights']);
    const ids = Array.from(enc.inputs[0]!.data);
    const w = Array.from(enc.inputs[1]!.data);
    expect(ids[0]).toBe(1);
    expect(w[0]).toBe(1);
    const norm2 = w.slice(1).reduce((a, x) => a + x * x, 0);
    expect(norm2).toBeCloseTo(1, 5); // two groups, each unit norm, scaled by 1/sqrt(2)
    expect(new Set(ids.filter((x) => x > 1)).size).toBe(ids.filter((x) => x > 1).length);
  });
  it('weighs a rare word above a common one', () => {
    const p = fitPipeline(train, { tokens: 'ngrams', ngrams: { charNgrams: [0, 0] } });
    const json = p.toJSON();
    const enc = p.encode(['good phone']);
    const w = Array.from(enc.inputs[1]!.data).slice(1, 4);
    // "good" (df 1) > "phone" (df 2): weights are sorted, highest first
    expect(w[0]).toBeGreaterThan(w[2]!);
    expect((json.extra!.buckets as number[]).length).toBe(p.inputDim - 2);
  });
  it('round-trips through JSON', () => {
    const p = fitPipeline(train, { tokens: 'ngrams' });
    const q = pipelineFromJSON(JSON.parse(JSON.stringify(p.toJSON())));
    const a = p.encode(['awful phone value']);
    const b = q.encode(['awful phone value']);
    expect(b.inputs[0]!.data).toEqual(a.inputs[0]!.data);
    expect(b.inputs[1]!.data).toEqual(a.inputs[1]!.data);
  });
});
