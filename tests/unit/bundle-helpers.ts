// Test helpers for the bundle tests: a tiny real tf model and a minimal word pipeline whose windows are
// easy to reason about. The real text pipeline is exercised by the integration tests.
import * as tf from '@tensorflow/tfjs';
import type { EncodedTexts, LongTextMode, PipelineJSON, TextPipeline } from '../../main/engine/text/types.ts';

export function tinyModel(inputDim: number, sequenceLength: number, classes: number, activation: 'softmax' | 'linear' = 'softmax'): tf.LayersModel {
  const init = (seed: number) => tf.initializers.randomUniform({ minval: -1, maxval: 1, seed });
  return tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim, outputDim: 8, inputLength: sequenceLength, embeddingsInitializer: init(1) }),
      tf.layers.globalAveragePooling1d(),
      tf.layers.dense({ units: classes, activation, kernelInitializer: init(2), biasInitializer: init(3) }),
    ],
  });
}

/** Whitespace words; id 0 padding, 1 unknown. Windows of `sequenceLength` words with no overlap. */
export class WordPipeline implements TextPipeline {
  readonly options: PipelineJSON['options'];
  readonly sequenceLength: number;
  readonly inputDim: number;
  private readonly ids: Map<string, number>;
  constructor(private readonly json: PipelineJSON) {
    this.options = json.options;
    this.sequenceLength = json.sequenceLength;
    this.inputDim = json.vocabulary.length;
    this.ids = new Map(json.vocabulary.map((w, i) => [w, i]));
  }
  encode(texts: readonly string[], mode: LongTextMode = 'truncate'): EncodedTexts {
    const rows: number[][] = [];
    const textIndex: number[] = [];
    const long: EncodedTexts['long'] = [];
    texts.forEach((t, i) => {
      const ids = t.toLowerCase().split(/\s+/).filter(Boolean).map((w) => this.ids.get(w) ?? 1);
      const n = this.sequenceLength;
      if (ids.length <= n) long.push('fits');
      else long.push(mode === 'windows' ? 'windows' : 'truncated');
      const parts = mode === 'windows' && ids.length > n ? Array.from({ length: Math.ceil(ids.length / n) }, (_, k) => ids.slice(k * n, k * n + n)) : [ids.slice(0, n)];
      for (const p of parts) {
        rows.push([...p, ...new Array(n - p.length).fill(0)]);
        textIndex.push(i);
      }
    });
    return {
      inputs: [{ name: 'tokens', dtype: 'int32', data: Int32Array.from(rows.flat()), shape: [rows.length, this.sequenceLength] }],
      textIndex: Int32Array.from(textIndex),
      long,
    };
  }
  toJSON(): PipelineJSON {
    return this.json;
  }
}

export function wordPipelineJSON(long: LongTextMode = 'truncate', sequenceLength = 6): PipelineJSON {
  return {
    version: 1,
    options: { tokens: 'words', lowercase: true, minCount: 1, maxVocab: 100, sequenceLength, long },
    sequenceLength,
    vocabulary: ['<pad>', '<unk>', 'good', 'bad', 'great', 'awful', 'film', 'phone', 'не', 'плохо', '好'],
  };
}
