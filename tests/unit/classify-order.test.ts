// Classification sorts texts (and within a chunk, rows) longest first so that the recurrent kernels run each step on
// the rows still real at that step (compute/wasm/rnn.c real_end). The answers must be those of one text at a time,
// in the caller's order, with the kernels on one thread and with rows split over two by their real steps.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { parse } from 'csv-parse/sync';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { loadWasmRnnKernels, registerFusedRnnKernels } from '../../main/engine/compute/kernels.ts';
import { threadPolicy } from '../../main/engine/compute/rnn-wasm.ts';
import { Classifier, longestFirst } from '../../main/engine/bundle/classifier.ts';
import { fitPipeline } from '../../main/engine/text/pipeline.ts';
import { modelBuilder } from '../../main/engine/train/models.ts';
import type { ModelName } from '../../shared/training.ts';

const UCI = path.resolve(import.meta.dirname, '../../../shared/datasets/uci_sentiment_labelled_sentences/uci_sentiment.csv');
const texts = (parse(fs.readFileSync(UCI), { columns: true }) as Array<{ text: string }>).slice(0, 300).map((r) => r.text);
const policy = threadPolicy.minMacsPerThread;

beforeAll(async () => {
  await initBackend('wasm', { kernels: { threads: 2 } });
});
afterAll(async () => {
  threadPolicy.minMacsPerThread = policy;
  await loadWasmRnnKernels(1);
  registerFusedRnnKernels('wasm');
});

describe('classification longest first', () => {
  it('reorders rows by real tokens and textIndex with them; leaves sorted input alone', () => {
    const enc = { inputs: [{ name: 'tokens', dtype: 'int32' as const, data: Int32Array.from([0, 0, 5, 0, 7, 8, 9, 9, 9]), shape: [3, 3] }], textIndex: Int32Array.from([0, 1, 2]), long: [] };
    const out = longestFirst(enc);
    expect([...out.inputs[0]!.data]).toEqual([9, 9, 9, 0, 7, 8, 0, 0, 5]);
    expect([...out.textIndex]).toEqual([2, 1, 0]);
    expect(longestFirst(out)).toBe(out);
  });

  for (const name of ['gru', 'bilstm'] as ModelName[]) {
    it(`${name}: a batch gives each text what it gets alone, on one and on two threads`, async () => {
      const pipeline = fitPipeline(texts, { tokens: 'words', sequenceLength: 40 });
      const net = modelBuilder(name)({ inputDim: pipeline.inputDim, sequenceLength: pipeline.sequenceLength, classes: 3 }, 5);
      const classifier = new Classifier(net, pipeline, ['a', 'b', 'c'], 'softmax', { chunkTexts: 64 });
      try {
        const alone: number[] = [];
        for (const t of texts.slice(0, 40)) alone.push(...(await classifier.scores([t])).probabilities);
        for (const threads of [1, 2]) {
          expect((await loadWasmRnnKernels(threads))?.info.threads).toBe(threads);
          registerFusedRnnKernels('wasm');
          threadPolicy.minMacsPerThread = 0;
          const batch = await classifier.scores(texts);
          const first = [...batch.probabilities.subarray(0, alone.length)];
          for (let i = 0; i < alone.length; i++) expect(first[i]!).toBeCloseTo(alone[i]!, 6);
        }
      } finally {
        classifier.dispose();
        tf.disposeVariables();
      }
    }, 60_000);
  }
});
