// Word vectors learned on the project's own texts before training: skip-gram with negative sampling over words
// and their character n-grams, as fastText does (Bojanowski et al. 2017, "Enriching word vectors with subword
// information"; facebookresearch/fastText). A word's vector is the mean of its own row and the rows of its
// n-grams, so a word form never seen in training (Polish "programistami", German "Pflegekräften") still gets a
// vector from the n-grams it shares with forms that were seen.
//
// Written with typed arrays and plain loops (no TensorFlow.js): one SGD step touches a few dozen rows of 64
// numbers, far below what a tensor op's overhead is worth. Single-threaded; it yields to the event loop every few
// thousand tokens so that progress events and stop requests get through in the training worker.
//
// What follows fastText's skip-gram (src/fasttext.cc, model.cc, loss.cc, dictionary.cc), with its defaults:
// - subwords: the word wrapped in < >, every n-gram of 3 to 6 characters, plus the word itself;
// - context: for each centre word a window drawn uniformly from 1..5 on each side, within one text;
// - loss: binary logistic on the true context word and 5 negatives drawn from the unigram distribution raised
//   to the power 0.5; input rows get the summed gradient (not divided by the number of subwords);
// - subsampling: a word of corpus frequency f is kept with probability sqrt(t/f) + t/f, t = 1e-4;
// - learning rate 0.05, decayed linearly to 0 over all epochs; input rows start uniform in ±1/dim, output rows at 0.
// Where it differs, for small corpora: every word is kept (fastText's minCount is 5: a project's rare words are
// exactly the ones that need subword vectors), n-grams get exact rows rather than 2M hash buckets (a project has
// far fewer distinct n-grams; buckets only as a fallback past MAX_NGRAM_ROWS), texts are visited in a seeded
// shuffled order each epoch, and the number of epochs grows on small corpora (see pretrainEpochs).
import { tokenizeWords, fnv1aFeed, FNV_OFFSET } from '../text/tokenize.ts';
import { mulberry32 } from './rng.ts';

export interface PretrainOptions {
  dim: number;
  /** Passes over the corpus; default from its size (pretrainEpochs). */
  epochs?: number;
  /** Largest context window on each side (fastText -ws). */
  window?: number;
  /** Negatives per positive (fastText -neg). */
  negatives?: number;
  minn?: number;
  maxn?: number;
  /** Initial learning rate (fastText -lr for skip-gram). */
  learningRate?: number;
  /** Subsampling threshold (fastText -t). */
  sample?: number;
  seed?: number;
  lowercase?: boolean;
  onProgress?(p: PretrainProgress): void;
  /** Polled between chunks of work; true stops early (the vectors so far are returned). */
  shouldStop?(): boolean;
}

export interface PretrainProgress {
  epoch: number;
  epochs: number;
  /** Share of all planned tokens processed, 0..1. */
  fraction: number;
  tokensPerSecond: number;
  /** Mean loss per (positive + negatives) update since the last report. */
  loss: number;
}

/** Row budget for n-grams (×dim floats): past it, n-grams share rows by hash as in fastText's buckets. */
export const MAX_NGRAM_ROWS = 1 << 20;
const NEGATIVE_TABLE = 1_000_000;
const MAX_SIGMOID = 8;

/**
 * Epochs for a corpus of `tokens` words: fastText's 5, raised on small corpora so that every run sees about two
 * million tokens (at most 50 epochs). Vectors from a few passes over 20,000 tokens are barely trained; two
 * million token visits take a few seconds to a minute here.
 */
export function pretrainEpochs(tokens: number): number {
  return Math.max(5, Math.min(50, Math.ceil(2_000_000 / Math.max(1, tokens))));
}

/** The character n-grams of a word (wrapped in < >), as 32-bit FNV-1a hashes, fastText's rule: n from minn to maxn. */
export function ngramHashes(word: string, minn: number, maxn: number): number[] {
  const w = `<${word}>`;
  // Code point starts, so an n-gram never splits a surrogate pair.
  const starts: number[] = [];
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) starts.push(i);
  }
  const count = starts.length;
  starts.push(w.length);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    for (let n = minn; n <= maxn && i + n <= count; n++) {
      // fastText skips the 1-grams "<" and ">"; with minn ≥ 2 they never occur.
      out.push(fnv1aFeed(FNV_OFFSET, w, starts[i]!, starts[i + n]!));
    }
  }
  return out;
}

/** Trained vectors: input rows of words and n-grams; a word's vector is the mean of its rows. */
export class SubwordVectors {
  readonly dim: number;
  readonly minn: number;
  readonly maxn: number;
  /** Corpus words and their row. */
  readonly words: Map<string, number>;
  private readonly ngramRow: Map<number, number>;
  private readonly ngramBase: number;
  private readonly rows: Float32Array;

  constructor(init: { dim: number; minn: number; maxn: number; words: Map<string, number>; ngramRow: Map<number, number>; rows: Float32Array }) {
    this.dim = init.dim;
    this.minn = init.minn;
    this.maxn = init.maxn;
    this.words = init.words;
    this.ngramRow = init.ngramRow;
    this.ngramBase = init.words.size;
    this.rows = init.rows;
  }

  /** Rows of a word: its own (if it was in the corpus) and those of its known n-grams. */
  subwordRows(word: string): number[] {
    const out: number[] = [];
    const own = this.words.get(word);
    if (own !== undefined) out.push(own);
    for (const h of ngramHashes(word, this.minn, this.maxn)) {
      // Past MAX_NGRAM_ROWS distinct n-grams, the rest shared rows by hash; below it, an unknown n-gram has none.
      const r = this.ngramRow.get(h) ?? (this.ngramRow.size >= MAX_NGRAM_ROWS ? h % MAX_NGRAM_ROWS : undefined);
      if (r !== undefined) out.push(this.ngramBase + r);
    }
    return out;
  }

  /**
   * The mean vector of the corpus words. Skip-gram vectors of a small corpus share one large common direction
   * (fastText's own vectors of 25,000 tokens have cosine 0.9999 between any two words); the differences between
   * words live in what is left after subtracting it (Mu & Viswanath 2018, "All-but-the-top").
   */
  meanVector(): Float32Array {
    const mean = new Float32Array(this.dim);
    const v = new Float32Array(this.dim);
    for (const w of this.words.keys()) {
      this.wordVector(w, v);
      for (let k = 0; k < this.dim; k++) mean[k]! += v[k]! / this.words.size;
    }
    return mean;
  }

  /** The vector of any word, seen or not; all zeros when none of its n-grams occurred in the corpus. */
  wordVector(word: string, out = new Float32Array(this.dim)): Float32Array {
    out.fill(0);
    const rows = this.subwordRows(word);
    if (!rows.length) return out;
    const d = this.dim;
    for (const r of rows) for (let k = 0; k < d; k++) out[k]! += this.rows[r * d + k]!;
    for (let k = 0; k < d; k++) out[k]! /= rows.length;
    return out;
  }
}

export interface PretrainResult {
  vectors: SubwordVectors;
  tokens: number;
  epochs: number;
  seconds: number;
  stopped: boolean;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** Learns subword skip-gram vectors on `texts` (one text = one context span). */
export async function trainSubwordVectors(texts: readonly string[], options: PretrainOptions): Promise<PretrainResult> {
  const started = performance.now();
  const dim = options.dim;
  const ws = options.window ?? 5;
  const neg = options.negatives ?? 5;
  const minn = options.minn ?? 3;
  const maxn = options.maxn ?? 6;
  const lr0 = options.learningRate ?? 0.05;
  const t = options.sample ?? 1e-4;
  const rand = mulberry32(options.seed ?? 1);

  // Corpus: word ids per text.
  const words = new Map<string, number>();
  const counts: number[] = [];
  const lines: Int32Array[] = [];
  let tokens = 0;
  for (const text of texts) {
    const toks = tokenizeWords(text, options.lowercase ?? true);
    const line = new Int32Array(toks.length);
    toks.forEach((w, i) => {
      let id = words.get(w);
      if (id === undefined) {
        id = words.size;
        words.set(w, id);
        counts.push(0);
      }
      counts[id]! += 1;
      line[i] = id;
    });
    if (line.length > 1) lines.push(line);
    tokens += line.length;
  }
  const W = words.size;
  const epochs = options.epochs ?? pretrainEpochs(tokens);

  // Subword rows of every corpus word: [own row, n-gram rows...], flattened with offsets.
  const ngramRow = new Map<number, number>();
  const subOffsets = new Int32Array(W + 1);
  const subList: number[] = [];
  for (const [w, id] of words) {
    subOffsets[id] = subList.length;
    subList.push(id);
    for (const h of ngramHashes(w, minn, maxn)) {
      let r = ngramRow.get(h);
      if (r === undefined) {
        if (ngramRow.size < MAX_NGRAM_ROWS) {
          r = ngramRow.size;
          ngramRow.set(h, r);
        } else r = h % MAX_NGRAM_ROWS;
      }
      subList.push(W + r);
    }
  }
  // Offsets were written in Map order, which is id order (ids are assigned on insertion).
  subOffsets[W] = subList.length;
  const subwords = Int32Array.from(subList);
  const ngramRows = Math.min(ngramRow.size, MAX_NGRAM_ROWS);

  const input = new Float32Array((W + ngramRows) * dim);
  for (let i = 0; i < input.length; i++) input[i] = (rand() * 2 - 1) / dim;
  const output = new Float32Array(W * dim);

  // Negatives ∝ count^0.5; keep probability sqrt(t/f) + t/f.
  let z = 0;
  for (const c of counts) z += Math.sqrt(c);
  const negTable = new Int32Array(NEGATIVE_TABLE);
  let filled = 0;
  for (let i = 0; i < W && filled < NEGATIVE_TABLE; i++) {
    const share = Math.max(1, Math.round((Math.sqrt(counts[i]!) * NEGATIVE_TABLE) / z));
    for (let j = 0; j < share && filled < NEGATIVE_TABLE; j++) negTable[filled++] = i;
  }
  const negSize = filled;
  const keep = Float32Array.from(counts, (c) => {
    const f = c / Math.max(1, tokens);
    return Math.sqrt(t / f) + t / f;
  });

  const hidden = new Float32Array(dim);
  const grad = new Float32Array(dim);
  const total = epochs * tokens;
  let processed = 0;
  let lossSum = 0;
  let lossCount = 0;
  let lastReport = performance.now();
  let sinceYield = 0;
  let stopped = false;
  const kept = new Int32Array(lines.reduce((m, l) => Math.max(m, l.length), 0));

  /** One binary logistic step on output row `target`; returns its loss. */
  const logistic = (target: number, label: number, lr: number): number => {
    const o = target * dim;
    let dot = 0;
    for (let k = 0; k < dim; k++) dot += output[o + k]! * hidden[k]!;
    const score = dot > MAX_SIGMOID ? 1 : dot < -MAX_SIGMOID ? 0 : 1 / (1 + Math.exp(-dot));
    const alpha = lr * (label - score);
    for (let k = 0; k < dim; k++) {
      grad[k]! += alpha * output[o + k]!;
      output[o + k]! += alpha * hidden[k]!;
    }
    return -Math.log(label ? score + 1e-5 : 1 - score + 1e-5);
  };

  epochLoop: for (let epoch = 1; epoch <= epochs; epoch++) {
    // Seeded shuffle of the text order.
    const order = Int32Array.from({ length: lines.length }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const tmp = order[i]!;
      order[i] = order[j]!;
      order[j] = tmp;
    }
    for (const li of order) {
      const line = lines[li]!;
      let n = 0;
      for (let i = 0; i < line.length; i++) if (rand() < keep[line[i]!]!) kept[n++] = line[i]!;
      const lr = lr0 * Math.max(0, 1 - processed / total);
      for (let w = 0; w < n; w++) {
        const boundary = 1 + Math.floor(rand() * ws);
        const lo = Math.max(0, w - boundary);
        const hi = Math.min(n - 1, w + boundary);
        if (hi === lo) continue;
        const from = subOffsets[kept[w]!]!;
        const to = subOffsets[kept[w]! + 1]!;
        const size = to - from;
        // Hidden = mean of the centre word's subword rows, once per centre word; the gradients of all its context
        // words are summed and applied to those rows once. (fastText recomputes the hidden vector and updates the
        // rows after each context word; summing is word2vec's batching of the same gradients, 3x faster here,
        // since reading and writing ~25 rows dominates the cost.)
        hidden.fill(0);
        for (let s = from; s < to; s++) {
          const r = subwords[s]! * dim;
          for (let k = 0; k < dim; k++) hidden[k]! += input[r + k]!;
        }
        for (let k = 0; k < dim; k++) hidden[k]! /= size;
        grad.fill(0);
        for (let c = lo; c <= hi; c++) {
          if (c === w) continue;
          const target = kept[c]!;
          let loss = logistic(target, 1, lr);
          for (let q = 0; q < neg; q++) {
            let negative = negTable[Math.floor(rand() * negSize)]!;
            if (negative === target) negative = negTable[Math.floor(rand() * negSize)]!;
            if (negative === target) continue;
            loss += logistic(negative, 0, lr);
          }
          lossSum += loss;
          lossCount++;
        }
        for (let s = from; s < to; s++) {
          const r = subwords[s]! * dim;
          for (let k = 0; k < dim; k++) input[r + k]! += grad[k]!;
        }
      }
      processed += line.length;
      sinceYield += line.length;
      if (sinceYield >= 5000) {
        sinceYield = 0;
        const now = performance.now();
        if (options.onProgress && now - lastReport >= 100) {
          options.onProgress({
            epoch,
            epochs,
            fraction: processed / total,
            tokensPerSecond: processed / ((now - started) / 1000),
            loss: lossCount ? lossSum / lossCount : NaN,
          });
          lossSum = 0;
          lossCount = 0;
          lastReport = now;
        }
        await yieldToEventLoop();
        if (options.shouldStop?.()) {
          stopped = true;
          break epochLoop;
        }
      }
    }
  }
  const seconds = (performance.now() - started) / 1000;
  options.onProgress?.({ epoch: epochs, epochs, fraction: stopped ? processed / total : 1, tokensPerSecond: processed / Math.max(seconds, 1e-9), loss: lossCount ? lossSum / lossCount : NaN });
  return {
    vectors: new SubwordVectors({ dim, minn, maxn, words, ngramRow, rows: input }),
    tokens,
    epochs,
    seconds,
    stopped,
  };
}

export interface PretrainedEmbeddings {
  /** [vocabulary.length × dim], row i = vector of vocabulary[i]; padding zero. */
  matrix: Float32Array;
  dim: number;
  /** Vocabulary words that occurred in the pretraining texts (the rest got vectors from n-grams alone, or none). */
  found: number;
  /** Vocabulary words with no vector at all (no known n-gram): they keep a small random start. */
  missing: number;
  tokens: number;
  epochs: number;
  seconds: number;
}

/**
 * Vectors for a run's vocabulary (ids 0 = padding, 1 = unknown word) from subword skip-gram trained on `texts`.
 * The corpus mean is subtracted (see meanVector), then the vectors are rescaled so that their mean norm matches the random start the model would otherwise have
 * (uniform ±0.05): the same learning rate then suits both, and the classifier's first steps are not dominated by
 * a few long vectors.
 */
export async function pretrainEmbeddings(texts: readonly string[], vocabulary: readonly string[], options: PretrainOptions): Promise<PretrainedEmbeddings> {
  const result = await trainSubwordVectors(texts, options);
  const { vectors } = result;
  const dim = vectors.dim;
  const matrix = new Float32Array(vocabulary.length * dim);
  let found = 0;
  let missing = 0;
  let normSum = 0;
  let normCount = 0;
  const row = new Float32Array(dim);
  const rand = mulberry32((options.seed ?? 1) ^ 0x7ec7);
  const hasVector = new Uint8Array(vocabulary.length);
  const mean = vectors.meanVector();
  for (let i = 2; i < vocabulary.length; i++) {
    const w = vocabulary[i]!;
    if (vectors.words.has(w)) found++;
    if (!vectors.subwordRows(w).length) {
      missing++;
      continue;
    }
    vectors.wordVector(w, row);
    let sq = 0;
    for (let k = 0; k < dim; k++) {
      row[k]! -= mean[k]!;
      sq += row[k]! * row[k]!;
    }
    matrix.set(row, i * dim);
    hasVector[i] = 1;
    normSum += Math.sqrt(sq);
    normCount++;
  }
  // The norm of a uniform(-0.05, 0.05) vector: 0.05 * sqrt(dim / 3).
  const target = 0.05 * Math.sqrt(dim / 3);
  const scale = normCount ? target / (normSum / normCount) : 1;
  for (let i = 1; i < vocabulary.length; i++) {
    for (let k = 0; k < dim; k++) {
      const at = i * dim + k;
      // The unknown-word id and words without any known n-gram start small and random, as without pretraining.
      matrix[at] = hasVector[i] ? matrix[at]! * scale : (rand() - 0.5) * 0.1;
    }
  }
  return { matrix, dim, found, missing, tokens: result.tokens, epochs: result.epochs, seconds: result.seconds };
}
