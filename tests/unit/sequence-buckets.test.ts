// Length buckets, trimmed batches and the head+tail cut of long texts.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { acceptsAnyLength, batchWidth, bucketedBatches, ladderWidth, POOL_BATCHES, rowLengths, trimWidth } from '../../main/engine/train/buckets.ts';
import { batchTensors, predictProbabilities, trainLoop } from '../../main/engine/train/loop.ts';
import { MODEL_BUILDERS } from '../../main/engine/train/models.ts';
import { cutTokens, describeLength, fitPipeline, OOV_ID, pipelineFromJSON } from '../../main/engine/text/pipeline.ts';
import { mulberry32 } from '../../main/engine/random.ts';
import { LABELS, SETTINGS, uciRows } from './loop-fixtures.ts';
import type { EncodedInput } from '../../main/engine/text/types.ts';

beforeAll(async () => {
  await initBackend();
});

/** Left-padded [rows, L] ids with the given real lengths (ids 2..). */
function padded(lengths: number[], L: number): EncodedInput {
  const data = new Int32Array(lengths.length * L);
  lengths.forEach((n, r) => {
    for (let j = 0; j < n; j++) data[r * L + L - n + j] = 2 + ((r + j) % 7);
  });
  return { name: 'tokens', dtype: 'int32', data, shape: [lengths.length, L] };
}

describe('length buckets', () => {
  const rand = mulberry32(3);
  // A long-tailed length distribution, like job ads or reviews.
  const lengths = Array.from({ length: 2000 }, () => 1 + Math.floor(Math.exp(rand() * 5)));
  const input = padded(lengths, 150);
  const real = rowLengths(input);

  it('reads each row’s real length from the left padding', () => {
    expect(Array.from(real)).toEqual(lengths);
  });

  it('puts every row in exactly one batch, differently each epoch', () => {
    const a = bucketedBatches(real, 32, 1);
    const b = bucketedBatches(real, 32, 2);
    expect(a.length).toBe(Math.ceil(2000 / 32));
    const seen = a.flatMap((x) => Array.from(x)).sort((x, y) => x - y);
    expect(seen).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    expect(a.map((x) => x[0])).not.toEqual(b.map((x) => x[0]));
    expect(bucketedBatches(real, 32, 1).map((x) => Array.from(x))).toEqual(a.map((x) => Array.from(x)));
  });

  it('groups similar lengths: the padded cells of an epoch shrink several-fold against random batches', () => {
    const cells = (batches: Int32Array[]) => batches.reduce((s, idx) => s + idx.length * batchWidth(real, idx), 0);
    const randomBatches: Int32Array[] = [];
    const order = Array.from({ length: 2000 }, (_, i) => i).sort(() => rand() - 0.5);
    for (let i = 0; i < 2000; i += 32) randomBatches.push(Int32Array.from(order.slice(i, i + 32)));
    const tokens = lengths.reduce((a, b) => a + b, 0);
    const bucketed = cells(bucketedBatches(real, 32, 1));
    expect(bucketed).toBeLessThan(cells(randomBatches) / 2);
    // Within a pool of POOL_BATCHES batches everything is sorted, so the waste is small.
    expect(bucketed / tokens).toBeLessThan(1.3);
    expect(POOL_BATCHES).toBeGreaterThan(1);
  });

  it('rounds batch widths up a ladder: few distinct shapes, never narrower than the longest row, at most half again as wide', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 17, 24, 25, 100].map(ladderWidth)).toEqual([1, 2, 3, 4, 6, 6, 8, 8, 12, 12, 16, 24, 24, 32, 128]);
    for (let w = 1; w <= 5000; w++) {
      expect(ladderWidth(w)).toBeGreaterThanOrEqual(w);
      expect(ladderWidth(w)).toBeLessThanOrEqual(Math.ceil(w * 1.5));
    }
    const widths = new Set(bucketedBatches(real, 32, 1).map((idx) => ladderWidth(batchWidth(real, idx))));
    const exact = new Set(bucketedBatches(real, 32, 1).map((idx) => batchWidth(real, idx)));
    expect(widths.size).toBeLessThanOrEqual(2 * Math.log2(Math.max(...lengths)) + 1);
    expect(widths.size).toBeLessThan(exact.size);
  });

  it('uses the ladder only on backends that build kernels per shape; elsewhere the longest row itself', () => {
    for (const w of [1, 5, 7, 13, 25, 100]) {
      expect(trimWidth(w, 'webgpu')).toBe(ladderWidth(w));
      expect(trimWidth(w, 'webgl')).toBe(ladderWidth(w));
      for (const backend of ['wasm', 'cpu', 'tensorflow']) expect(trimWidth(w, backend)).toBe(w);
    }
  });

  it('trims a batch to its longest row, keeping the right-hand (real) columns', () => {
    const x = padded([2, 5, 3], 8);
    const [t] = batchTensors([x], [0, 2], 3);
    expect(t!.shape).toEqual([2, 3]);
    expect(Array.from(t!.dataSync())).toEqual([0, ...Array.from(x.data.subarray(6, 8)), ...Array.from(x.data.subarray(21, 24))]);
    t!.dispose();
  });

  it('trains on trimmed batches and predicts the same with and without trimming', async () => {
    const rows = uciRows().filter((r) => r.split === 'train').slice(0, 96);
    const pipeline = fitPipeline(rows.map((r) => r.text), { minCount: 1, sequenceLength: 30 });
    const data = { inputs: pipeline.encode(rows.map((r) => r.text)).inputs, labels: Int32Array.from(rows, (r) => LABELS.indexOf(r.label)) };
    const model = MODEL_BUILDERS.gru({ embeddingDim: 8, units: 8 })({ inputDim: pipeline.inputDim, sequenceLength: 30, classes: 2 }, 1);
    expect(acceptsAnyLength(model, data.inputs)).toBe(true);
    const r = await trainLoop(model, data, data, LABELS, { ...SETTINGS, epochs: 1 });
    expect(Number.isFinite(r.state.history[0]!.trainLoss)).toBe(true);
    // predictProbabilities sorts by length and trims; a plain full-width predict must agree.
    const sorted = await predictProbabilities(model, data.inputs, 16);
    const x = tf.tensor(data.inputs[0]!.data, data.inputs[0]!.shape, 'int32');
    const full = (model.predict(x) as tf.Tensor).dataSync();
    expect(Math.max(...Array.from(sorted, (v, i) => Math.abs(v - full[i]!)))).toBeLessThan(1e-5);
    tf.dispose(x);
    model.dispose();
  });
});

describe('long texts: head and tail', () => {
  const words = Array.from({ length: 10 }, (_, i) => `w${i}`);
  it('keeps the first ⌈L/2⌉ and the last ⌊L/2⌋ tokens', () => {
    expect(cutTokens(words, 5, 'head-tail')).toEqual(['w0', 'w1', 'w2', 'w8', 'w9']);
    expect(cutTokens(words, 4, 'head-tail')).toEqual(['w0', 'w1', 'w8', 'w9']);
    expect(cutTokens(words, 4, 'head')).toEqual(['w0', 'w1', 'w2', 'w3']);
    expect(cutTokens(words, 20, 'head-tail')).toEqual(words);
  });

  it('encodes a long text by head and tail, and says so', () => {
    const p = fitPipeline([words.join(' '), 'w0 w1'], { minCount: 1, sequenceLength: 4 });
    const enc = p.encode([words.join(' ')]);
    const vocab = p.toJSON().vocabulary;
    expect(Array.from(enc.inputs[0]!.data).map((id) => vocab[id])).toEqual(['w0', 'w1', 'w8', 'w9']);
    expect(enc.long).toEqual(['truncated']);
  });

  it('keeps cutting by the head for pipelines saved before head+tail existed', () => {
    const p = fitPipeline([words.join(' ')], { minCount: 1, sequenceLength: 4 });
    const json = p.toJSON();
    delete json.options.cut;
    const old = pipelineFromJSON(json);
    expect(Array.from(old.encode([words.join(' ')]).inputs[0]!.data).map((id) => json.vocabulary[id])).toEqual(['w0', 'w1', 'w2', 'w3']);
  });

  it('chooses the length from the train lengths and states it', () => {
    const texts = Array.from({ length: 100 }, (_, i) => words.slice(0, 1 + (i % 10)).join(' '));
    const p = fitPipeline(texts, { minCount: 1 }) as ReturnType<typeof fitPipeline> & { lengthChoice?: Parameters<typeof describeLength>[0] };
    expect(p.sequenceLength).toBe(10);
    const longer = fitPipeline([...texts, Array.from({ length: 900 }, () => 'w1').join(' ')], { minCount: 1 }) as typeof p;
    expect(longer.lengthChoice).toMatchObject({ sequenceLength: 10, source: 'data', longer: 1, texts: 101, cut: 'head-tail' });
    expect(describeLength(longer.lengthChoice!, 'words')).toMatch(/sequence length 10 words \(the 95th percentile of train lengths\); 1 of 101 train texts are longer: their first 5 and last 5 words kept/);
  });

  it('encodes a text without any token as one unknown word, so that no row is all padding', () => {
    const p = fitPipeline(['a b c'], { minCount: 1, sequenceLength: 3 });
    expect(Array.from(p.encode(['', '!!!']).inputs[0]!.data)).toEqual([0, 0, OOV_ID, 0, 0, OOV_ID]);
  });
});
