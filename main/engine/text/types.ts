// The text pipeline's contract. Training, export bundles, classification and recipes all go through it:
// a model is useless without the exact pipeline it was trained with, so a pipeline round-trips through JSON.

/** 'tfidf': the linear model's vectorizer (text/tfidf.ts), carried in PipelineJSON.extra.tfidf. */
export type TokenKind = 'words' | 'chars' | 'ngrams' | 'tfidf';
export type LongTextMode = 'truncate' | 'windows';
/** Which tokens of a text longer than the sequence length are kept: the first ones, or the first and last halves. */
export type CutMode = 'head' | 'head-tail';

export interface PipelineOptions {
  tokens: TokenKind;
  lowercase: boolean;
  /** Words/chars: keep tokens seen at least this often in the train split. */
  minCount: number;
  /** Words/chars: keep at most this many tokens (most frequent first), plus padding and out-of-vocabulary ids. */
  maxVocab: number;
  /** Fixed sequence length; null = choose from the train split's length distribution (95th percentile, capped). */
  sequenceLength: number | null;
  /** What to do with a text longer than the sequence length at classification time. */
  long: LongTextMode;
  /** How a long text is cut ('truncate'; and always in training). Absent in pipelines from before it existed: 'head'. */
  cut?: CutMode;
}

/** One model input, row-major, ready for tf.tensor(data, shape, dtype). */
export interface EncodedInput {
  name: string;
  dtype: 'int32' | 'float32';
  data: Int32Array | Float32Array;
  shape: number[];
}

export interface EncodedTexts {
  /** In the order the model expects its inputs. Row i is one window (one text unless long === 'windows'). */
  inputs: EncodedInput[];
  /** For each row, the index of the text it came from (predictions of a text's windows are averaged). */
  textIndex: Int32Array;
  /** Per text: did it fit, was it truncated, or split into windows. */
  long: Array<'fits' | 'truncated' | 'windows'>;
}

/** Plain JSON: stored with every run and written into every bundle (vocab.json holds `vocabulary`). */
export interface PipelineJSON {
  version: 1;
  options: PipelineOptions;
  sequenceLength: number;
  /** Token strings by id; id 0 is padding, id 1 is out-of-vocabulary. Empty for hashed n-grams. */
  vocabulary: string[];
  /** Extra state of a pipeline kind (e.g. n-gram hashing size and IDF weights). */
  extra?: Record<string, unknown>;
}

export interface TextPipeline {
  readonly options: PipelineOptions;
  readonly sequenceLength: number;
  /** Number of distinct input ids (vocabulary size including padding and OOV, or the hash size). */
  readonly inputDim: number;
  /** `windows` is honoured only at classification time; training always truncates. */
  encode(texts: readonly string[], mode?: LongTextMode): EncodedTexts;
  toJSON(): PipelineJSON;
}
