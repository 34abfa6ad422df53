import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Classifier, averageWindows, toProbabilities } from '../../main/engine/bundle/classifier.ts';
import { csvField, guessTextColumn } from '../../main/engine/bundle/batch.ts';
import { detectOutputKind } from '../../main/engine/bundle/format.ts';
import { modelToArtifacts } from '../../main/engine/train/artifacts.ts';
import { TextbenchError } from '../../main/engine/errors.ts';
import { WordPipeline, tinyModel, wordPipelineJSON } from './bundle-helpers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('classification math', () => {
  it('softmax of logits, sigmoid of one unit, probabilities passed through', () => {
    const dst = new Float64Array(3);
    toProbabilities([1, 2, 3], 0, 3, 'logits', dst);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const s = e[0]! + e[1]! + e[2]!;
    expect([...dst].map((x) => x.toFixed(12))).toEqual(e.map((x) => (x / s).toFixed(12)));
    toProbabilities([0.8], 0, 1, 'sigmoid', dst);
    expect(dst[0]).toBeCloseTo(0.2, 12);
    expect(dst[1]).toBeCloseTo(0.8, 12);
    toProbabilities([9, 0.1, 0.9], 1, 2, 'softmax', dst);
    expect([dst[0], dst[1]]).toEqual([0.1, 0.9]);
  });

  it('averages the windows of each text and leaves single-row texts alone', () => {
    // rows: text0 (one row), text1 (three windows), text2 (one row)
    const raw = Float32Array.from([0.9, 0.1, 0.2, 0.8, 0.6, 0.4, 0.4, 0.6, 0.3, 0.7]);
    const out = averageWindows(raw, 5, 2, 2, 'softmax', Int32Array.from([0, 1, 1, 1, 2]), 3);
    expect(out[0]).toBeCloseTo(0.9, 6);
    expect(out[2]).toBeCloseTo((0.2 + 0.6 + 0.4) / 3, 6);
    expect(out[3]).toBeCloseTo((0.8 + 0.4 + 0.6) / 3, 6);
    expect(out[5]).toBeCloseTo(0.7, 6);
  });

  it('detects the output kind from the topology', async () => {
    const soft = tinyModel(11, 6, 3, 'softmax');
    const lin = tinyModel(11, 6, 3, 'linear');
    expect(detectOutputKind((await modelToArtifacts(soft)).topology as Record<string, unknown>)).toBe('softmax');
    expect(detectOutputKind((await modelToArtifacts(lin)).topology as Record<string, unknown>)).toBe('logits');
    soft.dispose();
    lin.dispose();
  });
});

describe('Classifier', () => {
  it('gives label, probability and distribution; windows average the per-window predictions', async () => {
    const json = wordPipelineJSON('windows', 4);
    const pipeline = new WordPipeline(json);
    const model = tinyModel(json.vocabulary.length, 4, 3);
    const labels = ['a', 'b', 'c'];
    const c = new Classifier(model, pipeline, labels, 'softmax', { chunkTexts: 2 });
    const long = 'good film great phone bad awful film good bad';
    const texts = ['good film', long, '好 не плохо', ''];
    const preds = await c.classify(texts);
    expect(preds.map((p) => p.text)).toEqual(texts);
    expect(preds.map((p) => p.long)).toEqual(['fits', 'windows', 'fits', 'fits']);
    for (const p of preds) {
      const values = Object.values(p.probabilities);
      expect(Object.keys(p.probabilities)).toEqual(labels);
      expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(p.probability).toBe(Math.max(...values));
      expect(p.probabilities[p.label]).toBe(p.probability);
    }
    // The long text's distribution is the mean of its three windows run one by one.
    const windows = ['good film great phone', 'bad awful film good', 'bad'];
    const one = new Classifier(model, new WordPipeline(wordPipelineJSON('truncate', 4)), labels, 'softmax');
    const each = await one.classify(windows);
    for (const l of labels) {
      expect(preds[1]!.probabilities[l]).toBeCloseTo(each.reduce((s, p) => s + p.probabilities[l]!, 0) / 3, 6);
    }
    // Truncate mode gives the first window's prediction and says so.
    const [t] = await one.classify([long]);
    expect(t!.long).toBe('truncated');
    expect(t!.probabilities.a).toBeCloseTo(each[0]!.probabilities.a!, 6);
    c.dispose();
  });

  it('refuses labels that do not match the model output', () => {
    const model = tinyModel(11, 6, 3);
    expect(() => new Classifier(model, new WordPipeline(wordPipelineJSON()), ['x', 'y'], 'softmax')).toThrow(TextbenchError);
    model.dispose();
  });
});

describe('batch helpers', () => {
  it('quotes CSV fields that need it', () => {
    expect(csvField('plain', ',')).toBe('plain');
    expect(csvField('a, b', ',')).toBe('"a, b"');
    expect(csvField('say "hi"', ',')).toBe('"say ""hi"""');
    expect(csvField('two\nlines', ',')).toBe('"two\nlines"');
    expect(csvField('tab\there', '\t')).toBe('"tab\there"');
    expect(csvField(' padded', ',')).toBe('" padded"');
  });

  it('guesses the text column: not numbers, longest texts', () => {
    const rows = [
      { line: 2, values: { id: '1', title: 'Short', body: 'A much longer piece of text here', stars: '5' } },
      { line: 3, values: { id: '2', title: 'Tiny', body: 'Another long body of a review text', stars: '3' } },
    ];
    expect(guessTextColumn(['id', 'title', 'body', 'stars'], rows)).toBe('body');
    expect(guessTextColumn(['id', 'stars'], rows)).toBeUndefined();
  });
});
