// Small slices of the real UCI sentiment data for the loop and model tests.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { fitPipeline } from '../../main/engine/text/pipeline.ts';
import type { FitOptions } from '../../main/engine/text/pipeline.ts';
import type { TextPipeline } from '../../main/engine/text/types.ts';
import type { LoopDataset, LoopSettings } from '../../main/engine/train/loop.ts';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const UCI = path.resolve(repoRoot, '../shared/datasets/uci_sentiment_labelled_sentences/uci_sentiment.csv');
export const LABELS = ['negative', 'positive'];

interface Row {
  text: string;
  label: string;
  split: string;
}

export function uciRows(): Row[] {
  return parse(fs.readFileSync(UCI, 'utf8'), { columns: true }) as Row[];
}

export interface Slice {
  pipeline: TextPipeline;
  train: LoopDataset;
  validation: LoopDataset;
  trainTexts: string[];
}

/** `nTrain` train rows and `nVal` further train rows as validation; `flipValidation` inverts validation labels. */
export function uciSlice(nTrain: number, nVal: number, options: FitOptions = {}, flipValidation = false): Slice {
  const rows = uciRows().filter((r) => r.split === 'train');
  const tr = rows.slice(0, nTrain);
  const va = rows.slice(nTrain, nTrain + nVal);
  const pipeline = fitPipeline(
    tr.map((r) => r.text),
    { minCount: 1, sequenceLength: 20, ...options },
  );
  const ds = (rs: Row[], flip: boolean): LoopDataset => ({
    inputs: pipeline.encode(rs.map((r) => r.text)).inputs,
    labels: Int32Array.from(rs, (r) => (LABELS.indexOf(r.label) + (flip ? 1 : 0)) % 2),
  });
  return { pipeline, train: ds(tr, false), validation: ds(va, flipValidation), trainTexts: tr.map((r) => r.text) };
}

export const SETTINGS: LoopSettings = {
  epochs: 2,
  batchSize: 32,
  optimizer: 'adam',
  learningRate: 0.01,
  loss: 'crossentropy',
  k: 8,
  classWeights: 'none',
  labelSmoothing: 0,
  clipNorm: null,
  earlyStop: 'none',
  patience: 2,
  seed: 7,
  repair: true,
};
