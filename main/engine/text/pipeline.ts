// The text pipeline: fitted on the train split, stored with the run as JSON, rebuilt by bundles and classify.
import type { CutMode, EncodedInput, EncodedTexts, LongTextMode, PipelineJSON, PipelineOptions, TextPipeline, TokenKind } from './types.ts';
import { fnv1a, fnv1aFeed, tokenizeChars, tokenizeWords } from './tokenize.ts';
import { TextbenchError } from '../errors.ts';
import { BAG_CHARS, clipForSequence, clipText } from './clip.ts';

export const PAD_ID = 0;
export const OOV_ID = 1;
/** In the n-gram pipeline id 1 is a feature present in every text with weight 1: the logistic regression's bias. */
export const BIAS_ID = 1;

export interface NgramSettings {
  /** Features are hashed into 2^hashBits buckets; only buckets seen in train get an input id. */
  hashBits: number;
  wordNgrams: [number, number];
  charNgrams: [number, number];
  /** Keep a feature only if it occurs in at least this many train texts. */
  minDf: number;
  /** tf = 1 + ln(count) instead of the raw count. */
  sublinearTf: boolean;
  /** Upper bound on the number of features kept per text (the highest tf-idf weights win). */
  maxFeatures: number;
}

export const DEFAULT_NGRAMS: NgramSettings = {
  hashBits: 20,
  wordNgrams: [1, 2],
  charNgrams: [3, 5],
  minDf: 1,
  sublinearTf: true,
  maxFeatures: 1024,
};

export type FitOptions = Partial<PipelineOptions> & { ngrams?: Partial<NgramSettings> };

/**
 * Upper bound on the chosen sequence length, a compute bound: a recurrent step per token. Length buckets in the
 * loop make short texts pay only for their own length, so the cap matters only for long-text data sets; there
 * 400 words keeps head and tail of nearly every job ad (O*NET jobs: median 290 words) at twice the cost of 200.
 */
export const SEQUENCE_CAP: Record<Exclude<TokenKind, 'tfidf'>, number> = { words: 400, chars: 400, ngrams: 1024 };
/** The chosen length covers this share of the train texts whole; the rest are cut (head and tail kept). */
export const LENGTH_PERCENTILE = 0.95;

export function defaultPipelineOptions(tokens: TokenKind = 'words'): PipelineOptions {
  return {
    tokens,
    lowercase: true,
    minCount: tokens === 'words' ? 2 : 1,
    maxVocab: tokens === 'chars' ? 1000 : 30000,
    sequenceLength: null,
    long: 'truncate',
    cut: 'head-tail',
  };
}

/**
 * The ids kept of a text longer than `len`: its first `len` ids, or (head-tail) its first ⌈len/2⌉ and last ⌊len/2⌋.
 * The end of a text carries signal too (a job ad's requirements, a review's verdict); Sun et al. 2019 ("How to
 * fine-tune BERT for text classification") found head+tail better than head-only or tail-only on long texts.
 */
export function cutTokens<T>(ids: readonly T[], len: number, mode: CutMode): T[] {
  if (ids.length <= len) return [...ids];
  if (mode === 'head') return ids.slice(0, len);
  const head = Math.ceil(len / 2);
  return [...ids.slice(0, head), ...ids.slice(ids.length - (len - head))];
}

/** What fitting a sequence pipeline decided about lengths, for the run's log and details. */
export interface LengthChoice {
  sequenceLength: number;
  /** 'data': the LENGTH_PERCENTILE of train lengths, capped; 'fixed': the caller's --seq-len. */
  source: 'data' | 'fixed';
  cap: number;
  /** Train texts longer than the sequence length (cut by `cut`). */
  longer: number;
  texts: number;
  cut: CutMode;
}

/** A person's sentence about the sequence length of a fitted pipeline. */
export function describeLength(c: LengthChoice, unit: string): string {
  const how =
    c.source === 'fixed'
      ? 'as asked'
      : `the ${Math.round(LENGTH_PERCENTILE * 100)}th percentile of train lengths${c.sequenceLength === c.cap ? `, capped at ${c.cap}` : ''}`;
  const kept = c.cut === 'head-tail' ? `their first ${Math.ceil(c.sequenceLength / 2)} and last ${Math.floor(c.sequenceLength / 2)} ${unit} kept` : `their first ${c.sequenceLength} ${unit} kept`;
  return `sequence length ${c.sequenceLength} ${unit} (${how}); ${c.longer} of ${c.texts} train texts are longer: ${c.longer ? kept : 'none cut'}`;
}


/** Fits a pipeline on the train texts: vocabulary (or IDF for n-grams) and sequence length. */
export function fitPipeline(texts: readonly string[], options: FitOptions = {}): TextPipeline {
  const tokens = options.tokens ?? 'words';
  const { ngrams, ...rest } = options;
  const opts: PipelineOptions = { ...defaultPipelineOptions(tokens), ...stripUndefined(rest) };
  if (opts.sequenceLength !== null && (!Number.isInteger(opts.sequenceLength) || opts.sequenceLength < 1)) {
    throw new TextbenchError(`The sequence length must be a positive whole number, got ${opts.sequenceLength}.`, 'BAD_SEQUENCE_LENGTH');
  }
  if (!texts.length) throw new TextbenchError('Cannot fit a text pipeline on zero texts: the train split is empty.', 'EMPTY_TRAIN');
  if (tokens === 'ngrams') return NgramPipeline.fit(texts, opts, { ...DEFAULT_NGRAMS, ...stripUndefined(ngrams ?? {}) });
  return SequencePipeline.fit(texts, opts);
}

/** Rebuilds a pipeline from its JSON, refusing versions or kinds this code does not know. */
export function pipelineFromJSON(json: PipelineJSON): TextPipeline {
  if (!json || json.version !== 1) {
    throw new TextbenchError(`Unknown text pipeline format version ${String(json?.version)}; this Textbench reads version 1.`, 'PIPELINE_VERSION');
  }
  if (json.options.tokens === 'ngrams') return NgramPipeline.fromJSON(json);
  if (json.options.tokens === 'words' || json.options.tokens === 'chars') return new SequencePipeline(json.options, json.vocabulary, json.sequenceLength);
  throw new TextbenchError(`Unknown token kind "${String(json.options.tokens)}" in the text pipeline.`, 'PIPELINE_KIND');
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function percentile(values: number[], p: number): number {
  if (!values.length) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

function tokenize(kind: 'words' | 'chars', text: string, lowercase: boolean): string[] {
  return kind === 'words' ? tokenizeWords(text, lowercase) : tokenizeChars(text, lowercase);
}

/** Windows of `len` tokens, half-overlapping, at most `maxWindows`, the last one ending at the text's end. */
function windowStarts(n: number, len: number, maxWindows = 32): number[] {
  if (n <= len) return [0];
  const stride = Math.max(1, Math.floor(len / 2));
  const starts: number[] = [];
  for (let s = 0; s + len < n && starts.length < maxWindows - 1; s += stride) starts.push(s);
  starts.push(n - len);
  return starts;
}

/**
 * Words or characters mapped to vocabulary ids, padded on the left (so a recurrent net ends on real tokens).
 * A text with no tokens at all is encoded as one unknown token: every row has a real step, which masked pooling
 * over the real steps needs.
 */
class SequencePipeline implements TextPipeline {
  readonly options: PipelineOptions;
  readonly sequenceLength: number;
  readonly inputDim: number;
  /** Set by fit(): how the length was chosen (not stored; the log and run details state it). */
  lengthChoice?: LengthChoice;
  private readonly vocabulary: string[];
  private readonly index: Map<string, number>;

  constructor(options: PipelineOptions, vocabulary: string[], sequenceLength: number) {
    this.options = options;
    this.vocabulary = vocabulary;
    this.sequenceLength = sequenceLength;
    this.inputDim = vocabulary.length;
    this.index = new Map(vocabulary.map((t, i) => [t, i]));
  }

  static fit(texts: readonly string[], opts: PipelineOptions): SequencePipeline {
    const kind = opts.tokens as 'words' | 'chars';
    const counts = new Map<string, number>();
    const lengths: number[] = [];
    // Only what a model of the longest allowed sequence could read is tokenised (clip.ts).
    const reach = opts.sequenceLength ?? SEQUENCE_CAP[kind];
    for (const t of texts) {
      const toks = tokenize(kind, clipForSequence(t, reach).text, opts.lowercase);
      lengths.push(toks.length);
      for (const tok of toks) counts.set(tok, (counts.get(tok) ?? 0) + 1);
    }
    const kept = [...counts.entries()]
      .filter(([, c]) => c >= opts.minCount)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, opts.maxVocab)
      .map(([t]) => t);
    const vocabulary = ['<pad>', '<oov>', ...kept];
    const cap = SEQUENCE_CAP[kind];
    const len = opts.sequenceLength ?? Math.max(1, Math.min(cap, percentile(lengths, LENGTH_PERCENTILE)));
    const pipeline = new SequencePipeline(opts, vocabulary, len);
    pipeline.lengthChoice = {
      sequenceLength: len,
      source: opts.sequenceLength === null ? 'data' : 'fixed',
      cap,
      longer: lengths.filter((l) => l > len).length,
      texts: lengths.length,
      cut: opts.cut ?? 'head',
    };
    return pipeline;
  }

  encode(texts: readonly string[], mode: LongTextMode = 'truncate'): EncodedTexts {
    const L = this.sequenceLength;
    const rows: number[][] = [];
    const textIndex: number[] = [];
    const long: EncodedTexts['long'] = [];
    const cutMode = this.options.cut ?? 'head';
    texts.forEach((text, ti) => {
      const cut = clipForSequence(text, L, mode === 'windows');
      const ids = tokenize(this.options.tokens as 'words' | 'chars', cut.text, this.options.lowercase).map((t) => this.index.get(t) ?? OOV_ID);
      if (!ids.length) ids.push(OOV_ID);
      if (ids.length <= L && !cut.clipped) {
        long.push('fits');
        rows.push(ids);
        textIndex.push(ti);
      } else if (mode === 'windows') {
        long.push('windows');
        for (const s of windowStarts(ids.length, L)) {
          rows.push(ids.slice(s, s + L));
          textIndex.push(ti);
        }
      } else {
        long.push('truncated');
        rows.push(cutTokens(ids, L, cutMode));
        textIndex.push(ti);
      }
    });
    const data = new Int32Array(rows.length * L);
    rows.forEach((r, i) => data.set(r, i * L + (L - r.length)));
    return { inputs: [{ name: 'tokens', dtype: 'int32', data, shape: [rows.length, L] }], textIndex: Int32Array.from(textIndex), long };
  }

  toJSON(): PipelineJSON {
    return { version: 1, options: { ...this.options }, sequenceLength: this.sequenceLength, vocabulary: [...this.vocabulary] };
  }
}

interface NgramExtra {
  ngrams: NgramSettings;
  /** Hash buckets seen in train, ascending; input id = 2 + position. */
  buckets: number[];
  /** IDF of each kept bucket, same order. */
  idf: number[];
}

/** Hashed word n-grams and character n-grams (within word boundaries) with TF-IDF weights, L2-normalised. */
class NgramPipeline implements TextPipeline {
  readonly options: PipelineOptions;
  readonly sequenceLength: number;
  readonly inputDim: number;
  private readonly extra: NgramExtra;
  /** Hash bucket → input id (0 = not seen in train). A typed array: millions of lookups per encode. */
  private readonly idOf: Int32Array;

  constructor(options: PipelineOptions, sequenceLength: number, extra: NgramExtra) {
    this.options = options;
    this.sequenceLength = sequenceLength;
    this.extra = extra;
    this.inputDim = extra.buckets.length + 2;
    this.idOf = new Int32Array(2 ** extra.ngrams.hashBits);
    extra.buckets.forEach((b, i) => {
      this.idOf[b] = i + 2;
    });
  }

  static features(text: string, lowercase: boolean, s: NgramSettings): { word: Map<number, number>; char: Map<number, number> } {
    // Hashes are fed piece by piece (prefix, then the n-gram's characters) so no n-gram string is ever built:
    // the same buckets as hashing `w2\u0001good phone` or `c\u0001 goo` directly, much faster on big datasets.
    const mask = 2 ** s.hashBits - 1;
    const words = tokenizeWords(clipText(text, BAG_CHARS).text, lowercase);
    const word = new Map<number, number>();
    const char = new Map<number, number>();
    const add = (m: Map<number, number>, h: number) => {
      const b = h & mask;
      m.set(b, (m.get(b) ?? 0) + 1);
    };
    for (let n = s.wordNgrams[0]; n <= s.wordNgrams[1]; n++) {
      if (n < 1) continue;
      const prefix = fnv1a(`w${n}\u0001`);
      for (let i = 0; i + n <= words.length; i++) {
        let h = fnv1aFeed(prefix, words[i]!, 0, words[i]!.length);
        for (let j = i + 1; j < i + n; j++) h = fnv1aFeed(fnv1aFeed(h, ' ', 0, 1), words[j]!, 0, words[j]!.length);
        add(word, h);
      }
    }
    if (s.charNgrams[1] > 0) {
      const prefix = fnv1a('c\u0001');
      for (const w of words) {
        const padded = ` ${w} `;
        // Offsets of each code point, so n-grams never split a surrogate pair.
        const starts: number[] = [];
        for (let i = 0; i < padded.length; i++) {
          const c = padded.charCodeAt(i);
          if (c < 0xdc00 || c > 0xdfff) starts.push(i);
        }
        const cps = starts.length;
        starts.push(padded.length);
        for (let n = s.charNgrams[0]; n <= s.charNgrams[1]; n++) {
          if (cps < n) {
            if (n === s.charNgrams[0]) add(char, fnv1aFeed(prefix, padded, 0, padded.length));
            break;
          }
          for (let i = 0; i + n <= cps; i++) add(char, fnv1aFeed(prefix, padded, starts[i]!, starts[i + n]!));
        }
      }
    }
    return { word, char };
  }

  static fit(texts: readonly string[], opts: PipelineOptions, s: NgramSettings): NgramPipeline {
    const df = new Map<number, number>();
    let longest = 1;
    for (const t of texts) {
      const { word, char } = NgramPipeline.features(t, opts.lowercase, s);
      let distinct = word.size;
      for (const b of word.keys()) df.set(b, (df.get(b) ?? 0) + 1);
      for (const b of char.keys()) {
        if (word.has(b)) continue;
        distinct++;
        df.set(b, (df.get(b) ?? 0) + 1);
      }
      // Distinct features of the text (an upper bound once minDf drops rare ones), plus the bias feature.
      longest = Math.max(longest, distinct + 1);
    }
    const n = texts.length;
    const buckets = [...df.entries()].filter(([, d]) => d >= s.minDf).map(([b]) => b).sort((a, b) => a - b);
    const idf = buckets.map((b) => Math.log((1 + n) / (1 + df.get(b)!)) + 1);
    const len = opts.sequenceLength ?? Math.min(s.maxFeatures, longest);
    return new NgramPipeline(opts, len, { ngrams: s, buckets, idf });
  }

  static fromJSON(json: PipelineJSON): NgramPipeline {
    const extra = json.extra as unknown as NgramExtra | undefined;
    if (!extra || !Array.isArray(extra.buckets) || !Array.isArray(extra.idf) || extra.buckets.length !== extra.idf.length || !extra.ngrams) {
      throw new TextbenchError('The n-gram text pipeline is missing its hash buckets or IDF weights; the run or bundle is damaged.', 'PIPELINE_DAMAGED');
    }
    return new NgramPipeline(json.options, json.sequenceLength, extra);
  }

  /** (input id, weight) pairs of one text, highest weight first; each group (words, chars) has unit L2 norm. */
  private weigh(text: string): Array<[number, number]> {
    const s = this.extra.ngrams;
    const { word, char } = NgramPipeline.features(text, this.options.lowercase, s);
    const groups = [word, char].map((m) => {
      const out: Array<[number, number]> = [];
      for (const [b, c] of m) {
        const id = this.idOf[b]!;
        if (id === 0) continue;
        const tf = s.sublinearTf ? 1 + Math.log(c) : c;
        out.push([id, tf * this.extra.idf[id - 2]!]);
      }
      let norm = 0;
      for (const [, w] of out) norm += w * w;
      norm = Math.sqrt(norm);
      if (norm > 0) for (const p of out) p[1] /= norm;
      return out;
    });
    const scale = groups[0]!.length && groups[1]!.length ? Math.SQRT1_2 : 1;
    // A word n-gram and a character n-gram may hash to the same bucket: their weights add up.
    const merged: Array<[number, number]> = [];
    const at = new Map<number, number>();
    for (const g of groups) {
      for (const [id, w] of g) {
        const k = at.get(id);
        if (k === undefined) {
          at.set(id, merged.length);
          merged.push([id, w * scale]);
        } else merged[k]![1] += w * scale;
      }
    }
    return merged.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  }

  encode(texts: readonly string[], _mode: LongTextMode = 'truncate'): EncodedTexts {
    // A bag of features has no order, so "windows" would only split the bag: the strongest features are kept instead.
    const L = this.sequenceLength;
    const ids = new Int32Array(texts.length * L);
    const weights = new Float32Array(texts.length * L);
    const long: EncodedTexts['long'] = [];
    texts.forEach((t, i) => {
      const f = this.weigh(t);
      ids[i * L] = BIAS_ID;
      weights[i * L] = 1;
      const k = Math.min(f.length, L - 1);
      for (let j = 0; j < k; j++) {
        ids[i * L + 1 + j] = f[j]![0];
        weights[i * L + 1 + j] = f[j]![1];
      }
      long.push(f.length > L - 1 ? 'truncated' : 'fits');
    });
    const inputs: EncodedInput[] = [
      { name: 'ids', dtype: 'int32', data: ids, shape: [texts.length, L] },
      { name: 'weights', dtype: 'float32', data: weights, shape: [texts.length, L] },
    ];
    return { inputs, textIndex: Int32Array.from(texts.map((_, i) => i)), long };
  }

  toJSON(): PipelineJSON {
    return {
      version: 1,
      options: { ...this.options },
      sequenceLength: this.sequenceLength,
      vocabulary: [],
      extra: { ngrams: { ...this.extra.ngrams }, buckets: [...this.extra.buckets], idf: [...this.extra.idf] } as unknown as Record<string, unknown>,
    };
  }
}
