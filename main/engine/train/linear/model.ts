// A trained linear text classifier: the TF-IDF vocabulary, one weight vector per one-vs-rest problem, and the
// probability calibration. Plain data in, plain data out; no TensorFlow.js. This is the in-process API other
// parts build on (evaluation, bundles, the ensemble): decision values, probabilities, explanations, and a
// JSON + Float32Array form that round-trips to identical probabilities.
import { TextbenchError } from '../../errors.ts';
import { TfidfVectorizer } from '../../text/tfidf.ts';
import type { LinearModelJSON, LinearModelMeta, ProbabilityMap } from '../../store/linear-parts.ts';
import type { ClassNgrams, NgramContribution, NgramWeight, TextExplanation } from '../../../../shared/linear.ts';
import { charNgramsOfToken, preprocess, wordTokenSpans } from '../../text/tfidf-analyzer.ts';
import type { CsrMatrix } from '../../text/tfidf-matrix.ts';
import { softmaxRows } from '../../evaluate/calibration.ts';
import { decisionValues, problemCount, type LinearLoss } from './ovr.ts';
import type { FeatureSet } from './select.ts';

// The stored form of the model (its settings, labels, calibration and vocabulary) is plain data that the store
// keeps: it is declared in store/linear-parts.ts, below train/ and store/ alike.
export type { LinearModelJSON, LinearModelMeta, ProbabilityMap } from '../../store/linear-parts.ts';

export class LinearModel {
  readonly labels: string[];
  readonly vectorizer: TfidfVectorizer;
  readonly meta: LinearModelMeta;
  /** Feature-major weights W[j · m + c]; row `features` holds the bias weights. */
  readonly weights: Float32Array;
  private readonly m: number;

  constructor(vectorizer: TfidfVectorizer, labels: string[], weights: Float32Array, meta: LinearModelMeta) {
    this.vectorizer = vectorizer;
    this.labels = labels;
    this.meta = meta;
    this.m = problemCount(labels.length);
    const expected = (vectorizer.features + 1) * this.m;
    if (weights.length !== expected) {
      throw new TextbenchError(`The linear model's weights have ${weights.length} values where ${expected} were expected; the model is damaged.`, 'MODEL_DAMAGED');
    }
    this.weights = weights;
  }

  get classes(): number {
    return this.labels.length;
  }

  /** Feature matrix of texts as this model reads it. */
  features(texts: readonly string[]): CsrMatrix {
    return this.vectorizer.transform(texts);
  }

  /** Decision values, row-major (texts × classes); for two classes (−f, f). */
  decisionValues(texts: readonly string[]): Float64Array {
    return this.decisionValuesOf(this.features(texts));
  }

  decisionValuesOf(x: CsrMatrix): Float64Array {
    const rows = Int32Array.from({ length: x.rows }, (_, i) => i);
    return decisionValues(x, rows, this.weights, this.classes, this.meta.bias);
  }

  /** Probabilities, row-major (texts × classes), each row summing to 1. */
  predictProba(texts: readonly string[]): Float64Array {
    return this.probabilitiesOf(this.decisionValues(texts), texts.length);
  }

  probabilitiesOf(decisions: Float64Array, n: number): Float64Array {
    return toProbabilities(decisions, n, this.classes, this.meta.probability);
  }

  /** Per class, the k n-grams with the largest positive and the k with the most negative weights. */
  topFeatures(k = 20): ClassNgrams[] {
    const F = this.vectorizer.features;
    return this.labels.map((label, c) => {
      const w = (j: number) => this.weightOf(j, c);
      const pos: number[] = [];
      const neg: number[] = [];
      // Keep the k best of each sign with a small sorted buffer: F can be a million, k is small.
      for (let j = 0; j < F; j++) {
        const v = w(j);
        if (v > 0) insertTop(pos, j, k, (a, b) => w(b) - w(a));
        else if (v < 0) insertTop(neg, j, k, (a, b) => w(a) - w(b));
      }
      const toRef = (j: number): NgramWeight => ({ ...this.vectorizer.feature(j), weight: w(j) });
      return { label, positive: pos.map(toRef), negative: neg.map(toRef), intercept: this.weightOf(F, c) * this.meta.bias };
    });
  }

  /** Weight of column j for class c (for two classes, class 0 reads the one problem's weights negated). */
  private weightOf(j: number, c: number): number {
    if (this.classes === 2) return (c === 1 ? 1 : -1) * this.weights[j]!;
    return this.weights[j * this.m + c]!;
  }

  /**
   * Why a text gets its label (or `label`): each feature's value × weight for that class, the strongest
   * `k` each way, and the per-word shares for highlighting.
   */
  explain(text: string, options: { k?: number; label?: string } = {}): TextExplanation {
    const k = options.k ?? 10;
    const x = this.features([text]);
    const dec = this.decisionValuesOf(x);
    const probs = this.probabilitiesOf(dec, 1);
    let c = 0;
    if (options.label !== undefined) {
      c = this.labels.indexOf(options.label);
      if (c < 0) throw new TextbenchError(`Unknown label "${options.label}"; the model knows: ${this.labels.join(', ')}.`, 'BAD_OPTION', { field: 'label' });
    } else for (let j = 1; j < this.classes; j++) if (dec[j]! > dec[c]!) c = j;
    const contributions: NgramContribution[] = [];
    const byColumn = new Map<number, number>();
    for (let p = x.indptr[0]!; p < x.indptr[1]!; p++) {
      const j = x.indices[p]!;
      const v = x.data[p]! * this.weightOf(j, c);
      byColumn.set(j, v);
      contributions.push({ ...this.vectorizer.feature(j), contribution: v });
    }
    const towards = contributions.filter((f) => f.contribution > 0).sort((a, b) => b.contribution - a.contribution).slice(0, k);
    const against = contributions.filter((f) => f.contribution < 0).sort((a, b) => a.contribution - b.contribution).slice(0, k);
    return {
      label: this.labels[c]!,
      probability: probs[c]!,
      decision: dec[c]!,
      intercept: this.weightOf(this.vectorizer.features, c) * this.meta.bias,
      towards,
      against,
      spans: this.spans(text, byColumn),
    };
  }

  /**
   * Spreads feature contributions over the text: a word n-gram's share goes equally to its words; a character
   * n-gram's share to the whitespace tokens it occurs in (per occurrence), then equally to their words.
   */
  private spans(text: string, contribution: Map<number, number>): TextExplanation['spans'] {
    const v = this.vectorizer;
    const s = v.settings;
    const words = wordTokenSpans(text, s.lowercase);
    const weight = new Float64Array(words.length);
    const tokens = words.map((w) => w.token);
    const found: Array<{ i: number; n: number; j: number }> = [];
    const occurrences = new Map<number, number>();
    for (let n = s.wordNgrams[0]; n <= s.wordNgrams[1]; n++) {
      for (let i = 0; i + n <= tokens.length; i++) {
        const j = v.wordColumn(tokens.slice(i, i + n));
        if (j < 0) continue;
        found.push({ i, n, j });
        occurrences.set(j, (occurrences.get(j) ?? 0) + 1);
      }
    }
    // A feature's one contribution is shared by its occurrences, and an n-gram's share by its n words.
    for (const { i, n, j } of found) {
      const share = (contribution.get(j) ?? 0) / (occurrences.get(j)! * n);
      for (let q = i; q < i + n; q++) weight[q]! += share;
    }
    const spans: TextExplanation['spans'] = [];
    const wsTokens = [...text.matchAll(/[^\s\x1c-\x1f\x85]+/gu)];
    if (s.charNgrams) {
      const [lo, hi] = s.charNgrams;
      const charOccurrences = new Map<number, number>();
      const perToken = wsTokens.map((m) => {
        const cols = charNgramsOfToken(preprocess(m[0], s.lowercase), lo, hi)
          .map((g) => v.charColumn(g))
          .filter((j) => j >= 0);
        for (const j of cols) charOccurrences.set(j, (charOccurrences.get(j) ?? 0) + 1);
        return cols;
      });
      wsTokens.forEach((m, t) => {
        let share = 0;
        for (const j of perToken[t]!) share += (contribution.get(j) ?? 0) / charOccurrences.get(j)!;
        const start = m.index;
        const end = start + m[0].length;
        const inside = words.map((w, q) => q).filter((q) => words[q]!.start >= start && words[q]!.end <= end);
        if (inside.length) for (const q of inside) weight[q]! += share / inside.length;
        else if (share !== 0) spans.push({ start, end, weight: share });
      });
    }
    words.forEach((w, q) => spans.push({ start: w.start, end: w.end, weight: weight[q]! }));
    return spans.sort((a, b) => a.start - b.start);
  }

  toJSON(): { json: LinearModelJSON; weights: Float32Array } {
    return {
      json: { version: 1, labels: [...this.labels], ...this.meta, vectorizer: this.vectorizer.toJSON(), weights: this.weights.length },
      weights: this.weights,
    };
  }

  static fromJSON(json: LinearModelJSON, weights: Float32Array): LinearModel {
    if (!json || json.version !== 1) {
      throw new TextbenchError(`Unknown linear model format version ${String(json?.version)}; this Textbench reads version 1.`, 'MODEL_VERSION');
    }
    if (!Array.isArray(json.labels) || json.labels.length < 2) throw new TextbenchError('The linear model has fewer than two labels; it is damaged.', 'MODEL_DAMAGED');
    if (json.weights !== weights.length) {
      throw new TextbenchError(`The linear model expects ${json.weights} weights but ${weights.length} were found; it is damaged.`, 'MODEL_DAMAGED');
    }
    const { version: _v, labels, vectorizer, weights: _w, ...meta } = json;
    return new LinearModel(TfidfVectorizer.fromJSON(vectorizer), [...labels], weights, meta);
  }
}

/** Decision values to probabilities by the model's map; rows sum to 1. */
export function toProbabilities(decisions: Float64Array, n: number, classes: number, map: ProbabilityMap): Float64Array {
  if (map.kind === 'temperature') return softmaxRows(decisions, n, classes, map.a);
  const out = new Float64Array(n * classes);
  for (let i = 0; i < n; i++) {
    if (classes === 2) {
      // One problem: f = decisions[i·2 + 1]; P(class 1) = σ(f).
      const p = 1 / (1 + Math.exp(-decisions[i * 2 + 1]!));
      out[i * 2] = 1 - p;
      out[i * 2 + 1] = p;
      continue;
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const p = 1 / (1 + Math.exp(-decisions[i * classes + c]!));
      out[i * classes + c] = p;
      sum += p;
    }
    for (let c = 0; c < classes; c++) out[i * classes + c]! /= sum;
  }
  return out;
}

/** Keeps `top` as the best `k` items under `cmp` (negative = a before b), inserting j if it belongs. */
function insertTop(top: number[], j: number, k: number, cmp: (a: number, b: number) => number): void {
  if (top.length === k && cmp(j, top[k - 1]!) >= 0) return;
  let i = top.length;
  if (top.length < k) top.push(j);
  else i = k - 1;
  while (i > 0 && cmp(j, top[i - 1]!) < 0) {
    top[i] = top[i - 1]!;
    i--;
  }
  top[i] = j;
}
