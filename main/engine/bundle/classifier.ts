// Classification math over a text pipeline's encode() output: one forward pass per chunk of texts,
// the output turned into probabilities, and the windows of a long text averaged into one distribution.
import * as tf from '@tensorflow/tfjs';
import type { ModelOutputKind } from '../../../shared/bundle.ts';
import type { Prediction } from '../../../shared/domain.ts';
import type { EncodedTexts, TextPipeline } from '../text/types.ts';
import { TextbenchError } from '../errors.ts';

export interface ClassifierOptions {
  /** Texts encoded and run through the model at a time (bounds memory for big files). */
  chunkTexts?: number;
  /** Rows (windows) per forward pass. */
  batchSize?: number;
  /**
   * Run LSTM/GRU layers as written in the bundle (tf.layers.lstm/gru) even where the fused recurrent kernels are
   * registered; by default they run on the fused kernels (same numbers, compute/recurrent-twin.ts). Benchmarks
   * compare the two.
   */
  standardLayers?: boolean;
}

/** Turns one row of raw outputs into probabilities over `classes` labels, in place into `dst`. */
export function toProbabilities(raw: ArrayLike<number>, offset: number, width: number, kind: ModelOutputKind, dst: Float64Array): void {
  if (kind === 'sigmoid' && width === 1) {
    const p = raw[offset]!;
    dst[0] = 1 - p;
    dst[1] = p;
    return;
  }
  if (kind === 'logits') {
    let max = -Infinity;
    for (let j = 0; j < width; j++) max = Math.max(max, raw[offset + j]!);
    let sum = 0;
    for (let j = 0; j < width; j++) sum += dst[j] = Math.exp(raw[offset + j]! - max);
    for (let j = 0; j < width; j++) dst[j]! /= sum;
    return;
  }
  for (let j = 0; j < width; j++) dst[j] = raw[offset + j]!;
}

/**
 * Averages per-row probabilities into per-text probabilities using textIndex (row -> text).
 * Returns a texts x classes matrix, row-major.
 */
export function averageWindows(
  raw: ArrayLike<number>,
  rows: number,
  width: number,
  classes: number,
  kind: ModelOutputKind,
  textIndex: Int32Array,
  texts: number,
): Float64Array {
  const sums = new Float64Array(texts * classes);
  const counts = new Int32Array(texts);
  const row = new Float64Array(classes);
  for (let r = 0; r < rows; r++) {
    const t = textIndex[r]!;
    toProbabilities(raw, r * width, width, kind, row);
    for (let j = 0; j < classes; j++) sums[t * classes + j]! += row[j]!;
    counts[t]!++;
  }
  for (let t = 0; t < texts; t++) {
    const c = counts[t]!;
    if (c === 0) throw new Error(`Text ${t} produced no rows from the text pipeline; its encode() broke the contract.`);
    for (let j = 0; j < classes; j++) sums[t * classes + j]! /= c;
  }
  return sums;
}

/**
 * Rows of a token-id sequence input reordered longest first (real tokens: ids other than the padding id 0), with
 * textIndex following them. The recurrent kernels then run each step's products on the rows still real at that step
 * only (compute/wasm/rnn.c real_end); each row's numbers stay what they were. Other inputs are left as they are.
 */
export function longestFirst(enc: EncodedTexts): EncodedTexts {
  const [input] = enc.inputs;
  if (enc.inputs.length !== 1 || !input || input.dtype !== 'int32' || input.shape.length !== 2) return enc;
  const [rows, T] = input.shape as [number, number];
  const data = input.data as Int32Array;
  const real = new Int32Array(rows);
  let sorted = true;
  for (let r = 0; r < rows; r++) {
    let n = 0;
    for (let t = r * T, end = t + T; t < end; t++) if (data[t] !== 0) n++;
    real[r] = n;
    if (r > 0 && n > real[r - 1]!) sorted = false;
  }
  if (sorted) return enc;
  const order = Array.from({ length: rows }, (_, r) => r).sort((a, b) => real[b]! - real[a]! || a - b);
  const out = new Int32Array(data.length);
  const textIndex = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const r = order[i]!;
    out.set(data.subarray(r * T, (r + 1) * T), i * T);
    textIndex[i] = enc.textIndex[r]!;
  }
  return { ...enc, inputs: [{ ...input, data: out }], textIndex };
}

export class Classifier {
  readonly labels: readonly string[];
  private disposed = false;

  constructor(
    private readonly model: tf.LayersModel,
    private readonly pipeline: TextPipeline,
    labels: readonly string[],
    private readonly output: ModelOutputKind,
    private readonly options: ClassifierOptions = {},
  ) {
    this.labels = labels;
    const shape = model.outputs[0]!.shape;
    const width = shape[shape.length - 1];
    const fits = width === labels.length || (output === 'sigmoid' && width === 1 && labels.length === 2);
    if (model.outputs.length !== 1 || !fits) {
      throw new TextbenchError(
        `The model has ${model.outputs.length} output(s) of width ${String(width)}, but ${labels.length} labels (${labels.join(', ')}). ` +
          'The labels do not belong to this model; export it again.',
        'MODEL_LABELS_MISMATCH',
        { width, labels: labels.length },
      );
    }
  }

  /** Probabilities per text (texts x labels, row-major) and how each long text was handled. */
  async scores(texts: readonly string[]): Promise<{ probabilities: Float64Array; long: Prediction['long'][] }> {
    if (this.disposed) throw new Error('This classifier was disposed; load the bundle again.');
    const classes = this.labels.length;
    const chunk = this.options.chunkTexts ?? 256;
    const out = new Float64Array(texts.length * classes);
    const long: Prediction['long'][] = new Array(texts.length);
    // Texts of similar length go through the model together (longest first), so that a chunk's short texts do not
    // pay for its long ones' steps; results go back to the callers' order.
    const order = Array.from({ length: texts.length }, (_, i) => i);
    if (texts.length > 1) order.sort((a, b) => texts[b]!.length - texts[a]!.length || a - b);
    for (let start = 0; start < texts.length; start += chunk) {
      const ids = order.slice(start, start + chunk);
      const part = ids.map((i) => texts[i]!);
      const enc = longestFirst(this.pipeline.encode(part, this.pipeline.options.long));
      const rows = enc.textIndex.length;
      const tensors = enc.inputs.map((i) => tf.tensor(i.data, i.shape, i.dtype));
      let raw: Float32Array | Int32Array | Uint8Array;
      let width: number;
      try {
        const y = this.model.predict(tensors.length === 1 ? tensors[0]! : tensors, { batchSize: this.options.batchSize ?? 256 }) as tf.Tensor;
        try {
          width = y.shape[y.shape.length - 1]!;
          raw = await y.data();
        } finally {
          y.dispose();
        }
      } finally {
        for (const t of tensors) t.dispose();
      }
      const probs = averageWindows(raw, rows, width, classes, this.output, enc.textIndex, part.length);
      for (let i = 0; i < part.length; i++) {
        const at = ids[i]!;
        out.set(probs.subarray(i * classes, (i + 1) * classes), at * classes);
        long[at] = enc.long[i];
      }
    }
    return { probabilities: out, long };
  }

  async classify(texts: readonly string[]): Promise<Prediction[]> {
    const { probabilities, long } = await this.scores(texts);
    const classes = this.labels.length;
    return texts.map((text, i) => {
      const probs: Record<string, number> = {};
      let best = 0;
      for (let j = 0; j < classes; j++) {
        const p = probabilities[i * classes + j]!;
        probs[this.labels[j]!] = p;
        if (p > probabilities[i * classes + best]!) best = j;
      }
      return { text, label: this.labels[best]!, probability: probabilities[i * classes + best]!, probabilities: probs, long: long[i] };
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
  }
}
