// Every training option, stated once: its limits (a zod schema), its resolved form and default, its command-line
// flag with help, and which commands take it. The TypeScript types (TrainOptions, TrainingConfig), the API's
// TrainSettingsSchema, resolveConfig's checks, and the option tables and help of `train`, `lr-find`, `compare`
// and `train --model auto` are all derived from TRAIN_FIELDS below.
//
// To add an option: add one entry to TRAIN_FIELDS (the engine then receives it in TrainingConfig; read it where
// it matters). Free of Node and DOM imports.
import { z } from 'zod';

export const MODEL_NAMES = ['linear', 'baseline', 'lstm', 'gru', 'bilstm', 'bigru', 'ensemble'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];
/** The models that are one network (or one linear model) of their own; an ensemble combines trained runs of these. */
export type SingleModelName = Exclude<ModelName, 'ensemble'>;
export const OPTIMIZER_NAMES = ['adam', 'rmsprop', 'sgd'] as const;
export const LOSS_NAMES = ['crossentropy', 'topk'] as const;
export const BACKEND_REQUESTS = ['webgpu', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
/** How gru/lstm/bigru/bilstm read out their hidden states over all time steps (padding masked; train/pooling.ts). */
export const POOLINGS = ['max-mean', 'attention', 'max'] as const;
/** Shape of each step's learning rate around --lr (train/schedule.ts). */
export const LR_SCHEDULES = ['constant', 'warmup-cosine'] as const;
/** Word vectors learned on the project's own texts before training (train/pretrain.ts). */
export const PRETRAIN_KINDS = ['none', 'subword'] as const;

/** The commands whose option tables come from here (`auto` is `train --model auto`). */
export type OptionCommand = 'train' | 'lr-find' | 'compare' | 'auto';

/** How a flag's text becomes the option's value. */
export type FlagKind =
  | { kind: 'number' }
  | { kind: 'text' }
  | { kind: 'choice'; values: readonly string[]; aliases?: Readonly<Record<string, string>> }
  /** A flag without a value that sets the option to `value` (e.g. --no-repair sets repair to false). */
  | { kind: 'switch'; value: boolean }
  /** Comma-separated values (e.g. --runs A,B). */
  | { kind: 'list' };

export interface FlagSpec {
  flag: string;
  /** Placeholder in the help, e.g. N, X, FILE; choices are listed instead when omitted. */
  value?: string;
  help: string;
}

interface Limit<S extends z.ZodType> {
  schema: S;
  /** What a valid value looks like, for messages: "a whole number from 1 to 100". */
  expected: string;
  flagKind: FlagKind;
}

const err = (expected: string) => ({ error: `expected ${expected}` });

function int(min: number, max: number): Limit<z.ZodNumber> {
  const expected = `a whole number from ${min} to ${max}`;
  return { schema: z.number(err(expected)).int(err(expected)).min(min, err(expected)).max(max, err(expected)), expected, flagKind: { kind: 'number' } };
}

/** A finite number in [min, max], or (min, max] with `above`. */
function real(min: number, max: number, above = false): Limit<z.ZodNumber> {
  const expected = `a number ${above ? 'above' : 'from'} ${min} ${above ? 'and up to' : 'to'} ${max}`;
  const base = z.number(err(expected)).max(max, err(expected));
  return { schema: above ? base.gt(min, err(expected)) : base.min(min, err(expected)), expected, flagKind: { kind: 'number' } };
}

function choice<const T extends readonly [string, ...string[]]>(values: T, aliases?: Record<string, T[number]>): Limit<z.ZodEnum<{ [K in T[number]]: K }>> {
  const expected = `one of ${values.join(', ')}`;
  return { schema: z.enum(values, err(expected)), expected, flagKind: { kind: 'choice', values, aliases } };
}

function text(max: number, what: string): Limit<z.ZodString> {
  const expected = what;
  return { schema: z.string(err(expected)).trim().min(1, err(expected)).max(max, err(expected)), expected, flagKind: { kind: 'text' } };
}

function list(maxItems: number, what: string): Limit<z.ZodArray<z.ZodString>> {
  const expected = `a list of 1 to ${maxItems} ${what}`;
  const item = z.string(err(expected)).trim().min(1, err(expected)).max(200, err(expected));
  return { schema: z.array(item, err(expected)).min(1, err(expected)).max(maxItems, err(expected)), expected, flagKind: { kind: 'list' } };
}

function yes(flagValue: boolean): Limit<z.ZodBoolean> {
  return { schema: z.boolean(err('true or false')), expected: 'true or false', flagKind: { kind: 'switch', value: flagValue } };
}

/**
 * One option. `option` is what a caller may pass (checked), `config` the type it has in the resolved settings
 * (runs.config) and `default` its value there when neither the model, the recipe nor the caller sets it.
 * Options with `config: null` (project, name) say what to train, not how: they are not part of the config.
 */
interface Field<O extends z.ZodType, C extends z.ZodType | null> {
  option: O;
  expected: string;
  flagKind: FlagKind;
  config: C;
  default: C extends z.ZodType ? z.output<C> : undefined;
  cli: FlagSpec | null;
  commands: readonly OptionCommand[];
}

function field<O extends z.ZodType, C extends z.ZodType | null>(
  limit: Limit<O>,
  spec: { config: C; default: C extends z.ZodType ? z.output<C> : undefined; cli: FlagSpec | null; commands: readonly OptionCommand[] },
): Field<O, C> {
  return { option: limit.schema, expected: limit.expected, flagKind: limit.flagKind, ...spec };
}

const TRAIN: OptionCommand[] = ['train'];
const MODEL: OptionCommand[] = ['train', 'lr-find', 'compare'];
const LOOP: OptionCommand[] = ['train', 'compare'];
const ALL: OptionCommand[] = ['train', 'lr-find', 'compare', 'auto'];

const modelChoice = choice(MODEL_NAMES);
const optimizerChoice = choice(OPTIMIZER_NAMES);
const lossChoice = choice(LOSS_NAMES, { ce: 'crossentropy' });
const classWeightChoice = choice(['none', 'balanced']);
const earlyStopChoice = choice(['val-loss', 'macro-f1', 'none']);
const tokenChoice = choice(['words', 'chars']);
const backendChoice = choice(BACKEND_REQUESTS);
const featuresChoice = choice(['auto', 'words', 'words+chars']);
const linearLossChoice = choice(['auto', 'svm', 'lr'], { logistic: 'lr' });
const LINEAR: OptionCommand[] = ['train', 'compare'];

export const TRAIN_FIELDS = {
  project: field(text(200, 'a project id or name'), {
    config: null,
    default: undefined,
    cli: { flag: 'project', value: 'P', help: 'project id or name (default: the only or most recently used one)' },
    commands: ALL,
  }),
  name: field(text(200, 'a name of 1 to 200 characters'), { config: null, default: undefined, cli: { flag: 'name', value: 'TEXT', help: 'a name for the run' }, commands: TRAIN }),
  model: field(modelChoice, { config: modelChoice.schema, default: 'linear', cli: { flag: 'model', value: 'NAME', help: 'linear (default), baseline, lstm, gru, bilstm, bigru, ensemble' }, commands: ['train', 'lr-find'] }),
  /** --model ensemble: the finished runs to combine (ids or names); null = the project's best runs (train/ensemble/). */
  runs: field(list(16, 'run ids or names'), {
    config: z.array(z.string()).nullable(),
    default: null,
    cli: { flag: 'runs', value: 'A,B', help: 'ensemble: the runs to combine (default: the best run of each model on validation)' },
    commands: TRAIN,
  }),
  /** A recipe name from train/recipes.ts: its architecture and training settings, overridable by the options below. */
  recipe: field(text(200, 'a recipe name (see `textbench recipes`)'), {
    config: z.string().nullable(),
    default: null,
    cli: { flag: 'recipe', value: 'NAME', help: 'a recipe from `textbench recipes` (its settings, overridable by the options below)' },
    commands: ['train', 'lr-find'],
  }),
  /** null (the neural presets' default) = chosen from the train size when the run starts (train/prepare.ts). */
  epochs: field(int(1, 10_000), {
    config: int(1, 10_000).schema.nullable(),
    default: 20,
    cli: { flag: 'epochs', value: 'N', help: 'passes over the train split (at most; early stopping may end sooner; default: from the train size)' },
    commands: LOOP,
  }),
  batchSize: field(int(1, 65_536), { config: int(1, 65_536).schema, default: 32, cli: { flag: 'batch-size', value: 'N', help: 'examples per training step' }, commands: MODEL }),
  learningRate: field(real(0, 10, true), { config: real(0, 10, true).schema, default: 0.003, cli: { flag: 'lr', value: 'X', help: 'learning rate (`textbench lr-find` suggests one)' }, commands: LOOP }),
  optimizer: field(optimizerChoice, { config: optimizerChoice.schema, default: 'adam', cli: { flag: 'optimizer', help: 'how the weights follow the gradient' }, commands: MODEL }),
  loss: field(lossChoice, { config: lossChoice.schema, default: 'crossentropy', cli: { flag: 'loss', value: 'ce|topk', help: 'cross-entropy, or top-k: each step trains on the k hardest examples of the batch' }, commands: MODEL }),
  /** Top-k loss: train on the k hardest examples of each batch. */
  k: field(int(1, 65_536), { config: int(1, 65_536).schema, default: 16, cli: { flag: 'k', value: 'N', help: 'the k of --loss topk' }, commands: MODEL }),
  classWeights: field(classWeightChoice, { config: classWeightChoice.schema, default: 'none', cli: { flag: 'class-weights', help: 'balanced: rare labels weigh more in the loss' }, commands: MODEL }),
  labelSmoothing: field(real(0, 0.99), { config: real(0, 0.99).schema, default: 0, cli: { flag: 'label-smoothing', value: 'X', help: 'share of each target spread over the other labels' }, commands: MODEL }),
  /** Clip gradients by this global norm; null or 0 = off. */
  clipNorm: field(
    { ...real(0, 1e6), schema: real(0, 1e6).schema.nullable() },
    { config: real(0, 1e6, true).schema.nullable(), default: null, cli: { flag: 'clip', value: 'X', help: 'clip gradients by this global norm (0 = off)' }, commands: LOOP },
  ),
  earlyStop: field(earlyStopChoice, { config: earlyStopChoice.schema, default: 'val-loss', cli: { flag: 'early-stop', help: 'what early stopping watches on validation' }, commands: LOOP }),
  /** null (the neural presets' default) = a quarter of the epochs, at least 3 (train/prepare.ts). */
  patience: field(int(1, 1000), {
    config: int(1, 1000).schema.nullable(),
    default: 3,
    cli: { flag: 'patience', value: 'N', help: 'epochs without improvement before early stopping (default: a quarter of the epochs)' },
    commands: LOOP,
  }),
  /** Learning-rate schedule around --lr: constant, or a linear warm-up then a cosine decay to 0 at the last epoch. */
  schedule: field(choice(LR_SCHEDULES), {
    config: choice(LR_SCHEDULES).schema,
    default: 'constant',
    cli: { flag: 'schedule', help: 'warmup-cosine: ramp the learning rate up over the first epoch, then let it decay to 0' },
    commands: LOOP,
  }),
  /** Decoupled weight decay (AdamW) on every kernel and embedding, per step, scaled by the step's learning rate. */
  weightDecay: field(real(0, 1), { config: real(0, 1).schema, default: 0, cli: { flag: 'weight-decay', value: 'X', help: 'shrink the weights towards 0 by X × learning rate each step' }, commands: LOOP }),
  units: field(int(1, 4096), { config: int(1, 4096).schema, default: 64, cli: { flag: 'units', value: 'N', help: 'recurrent units per layer' }, commands: MODEL }),
  layers: field(int(1, 8), { config: int(1, 8).schema, default: 1, cli: { flag: 'layers', value: 'N', help: 'stacked recurrent layers' }, commands: MODEL }),
  embeddingDim: field(int(1, 2048), { config: int(1, 2048).schema, default: 64, cli: { flag: 'embedding-dim', value: 'N', help: 'size of the word (or character) vectors' }, commands: MODEL }),
  dropout: field(real(0, 0.95), { config: real(0, 0.95).schema, default: 0.2, cli: { flag: 'dropout', value: 'X', help: 'dropout before the output layer' }, commands: MODEL }),
  recurrentDropout: field(real(0, 0.95), { config: real(0, 0.95).schema, default: 0, cli: { flag: 'recurrent-dropout', value: 'X', help: 'dropout inside the recurrent cells' }, commands: MODEL }),
  /** Spatial dropout on the word vectors: whole vector dimensions dropped for a whole text, during training. */
  embeddingDropout: field(real(0, 0.95), {
    config: real(0, 0.95).schema,
    default: 0,
    cli: { flag: 'embedding-dropout', value: 'X', help: 'dropout of whole word-vector dimensions across a text' },
    commands: MODEL,
  }),
  pooling: field(choice(POOLINGS), {
    config: choice(POOLINGS).schema,
    default: 'max-mean',
    cli: { flag: 'pooling', help: 'how gru/lstm/bigru/bilstm read their states over all words (padding masked)' },
    commands: MODEL,
  }),
  /** Learn word vectors on the project's own texts (train split and unlabelled texts) before training. */
  pretrain: field(choice(PRETRAIN_KINDS), {
    config: choice(PRETRAIN_KINDS).schema,
    default: 'none',
    cli: { flag: 'pretrain', help: 'subword: skip-gram word vectors with character n-grams (fastText) on the project’s texts first' },
    commands: MODEL,
  }),
  /** L2 penalty on the linear model's weights (and the dense output of the others); null = chosen from the train size. */
  l2: field(real(0, 10), { config: real(0, 10).schema.nullable(), default: 0, cli: { flag: 'l2', value: 'X', help: 'L2 penalty on the weights (linear: chosen from the data when not given)' }, commands: MODEL }),
  tokens: field(tokenChoice, {
    config: z.enum(['words', 'chars', 'ngrams']),
    default: 'words',
    cli: { flag: 'tokens', help: 'what the neural models read (linear reads word and character n-grams)' },
    commands: MODEL,
  }),
  sequenceLength: field(
    { ...int(1, 100_000), schema: int(1, 100_000).schema.nullable() },
    { config: int(1, 100_000).schema.nullable(), default: null, cli: { flag: 'seq-len', value: 'N', help: 'tokens read per text (default: from the train texts)' }, commands: MODEL },
  ),
  minCount: field(int(1, 1_000_000_000), { config: int(1, 1_000_000_000).schema, default: 2, cli: { flag: 'min-count', value: 'N', help: 'a word must occur this often in train to get its own id' }, commands: MODEL }),
  maxVocab: field(int(1, 10_000_000), { config: int(1, 10_000_000).schema, default: 30_000, cli: { flag: 'max-vocab', value: 'N', help: 'largest vocabulary' }, commands: MODEL }),
  lowercase: field(yes(false), { config: z.boolean(), default: true, cli: { flag: 'keep-case', help: 'keep upper and lower case apart (default: lowercase every text)' }, commands: MODEL }),
  /** A local GloVe/fastText text file of word vectors. */
  vectors: field(text(4096, 'the path of a GloVe/fastText text file'), {
    config: z.string().nullable(),
    default: null,
    cli: { flag: 'vectors', value: 'FILE', help: 'pretrained GloVe/fastText word vectors (a local text file)' },
    commands: MODEL,
  }),
  freezeVectors: field(yes(true), { config: z.boolean(), default: false, cli: { flag: 'freeze-vectors', help: 'keep the pretrained vectors as they are' }, commands: MODEL }),
  seed: field(int(0, 2 ** 31 - 1), { config: int(0, 2 ** 31 - 1).schema, default: 42, cli: { flag: 'seed', value: 'N', help: 'same seed, data and backend give the same metrics (default 42)' }, commands: ALL }),
  backend: field(backendChoice, {
    config: backendChoice.schema.nullable(),
    default: null,
    cli: { flag: 'backend', value: 'NAME', help: 'webgpu, tensorflow-gpu, tensorflow, wasm or cpu (default: the best that loads; a software GPU such as SwiftShader only when named here)' },
    commands: ALL,
  }),
  /**
   * Threads for the recurrent layers' WebAssembly kernels (wasm and cpu backends); null = every core, at most 16.
   * The run records the count it trained with.
   */
  threads: field(int(1, 64), {
    config: int(1, 64).schema.nullable(),
    default: null,
    cli: { flag: 'threads', value: 'N', help: 'threads for the recurrent layers (default: every core, at most 16; 1 = no helper threads)' },
    commands: ALL,
  }),
  /** Let the training doctor repair what it finds (default true). */
  repair: field(yes(false), { config: z.boolean(), default: true, cli: { flag: 'no-repair', help: "report the training doctor's findings but do not act on them" }, commands: LOOP }),
  /** Linear model: TF-IDF feature sets; 'auto' lets cross-validation choose between words and words+chars. */
  features: field(featuresChoice, {
    config: featuresChoice.schema,
    default: 'auto',
    cli: { flag: 'features', help: 'linear: TF-IDF word 1-2 grams, or words + character 2-5 grams (auto: cross-validation chooses)' },
    commands: LINEAR,
  }),
  /** Linear model: L2-loss SVM or logistic regression; 'auto' lets cross-validation choose. */
  linearLoss: field(linearLossChoice, {
    config: linearLossChoice.schema,
    default: 'auto',
    cli: { flag: 'linear-loss', value: 'auto|svm|lr', help: 'linear: SVM (squared hinge) or logistic regression (auto: cross-validation chooses)' },
    commands: LINEAR,
  }),
  /** Linear model: the inverse regularisation strength; null = cross-validation over a log grid. */
  C: field(
    { ...real(0, 1e6, true), schema: real(0, 1e6, true).schema.nullable() },
    { config: real(0, 1e6, true).schema.nullable(), default: null, cli: { flag: 'C', value: 'X', help: 'linear: inverse regularisation strength (default: cross-validation over 0.1 to 100)' }, commands: LINEAR },
  ),
  /** Linear model: folds of the cross-validation that chooses the settings and calibrates probabilities. */
  cvFolds: field(int(2, 20), { config: int(2, 20).schema, default: 5, cli: { flag: 'cv-folds', value: 'N', help: 'linear: stratified cross-validation folds on the train split' }, commands: LINEAR }),
  /** Linear model: an n-gram enters the vocabulary when at least this many train texts contain it. */
  minDf: field(int(1, 1_000_000), { config: int(1, 1_000_000).schema, default: 1, cli: { flag: 'min-df', value: 'N', help: 'linear: keep n-grams found in at least N train texts' }, commands: LINEAR }),
  /** Share of train held out for validation when the project has no validation split. */
  validationFraction: field(real(0.01, 0.5), {
    config: real(0.01, 0.5).schema,
    default: 0.1,
    cli: { flag: 'validation-fraction', value: 'X', help: 'share of train held out for validation when there is no validation split' },
    commands: MODEL,
  }),
};

type Fields = typeof TRAIN_FIELDS;
export type TrainField = keyof Fields;
type ConfigField = { [K in TrainField]: Fields[K]['config'] extends z.ZodType ? K : never }[TrainField];

/** What a caller may ask for; everything is optional and filled from the model's defaults, then the recipe. */
export type TrainOptions = { [K in TrainField]?: z.output<Fields[K]['option']> };

/** The fully resolved settings a run trained with (stored as runs.config). */
export type TrainingConfig = { [K in ConfigField]: Fields[K]['config'] extends z.ZodType ? z.output<Fields[K]['config']> : never };

export type OptimizerName = TrainingConfig['optimizer'];
export type LossName = TrainingConfig['loss'];
export type ClassWeightsMode = TrainingConfig['classWeights'];
export type EarlyStopMonitor = TrainingConfig['earlyStop'];
export type SequenceTokens = NonNullable<TrainOptions['tokens']>;
export type BackendRequest = (typeof BACKEND_REQUESTS)[number];

const FIELD_NAMES = Object.keys(TRAIN_FIELDS) as TrainField[];

function entries<K extends TrainField>(keys: readonly K[]) {
  return Object.fromEntries(keys.map((k) => [k, TRAIN_FIELDS[k].option.optional()])) as { [P in K]: z.ZodOptional<Fields[P]['option']> };
}

/** The options as one zod object, every field optional. */
export const TrainOptionsSchema = z.object(entries(FIELD_NAMES));

/** The fields a command takes. */
export function fieldsFor(command: OptionCommand): TrainField[] {
  return FIELD_NAMES.filter((k) => TRAIN_FIELDS[k].commands.includes(command));
}

/** The options schema narrowed to what a command takes (the API's lr-find request, for one). */
export function optionsSchemaFor<C extends OptionCommand>(command: C) {
  return z.object(entries(fieldsFor(command)));
}

const CONFIG_NAMES = FIELD_NAMES.filter((k): k is ConfigField => TRAIN_FIELDS[k].config !== null);

/** The settings a run trains with when nothing else decides (model defaults and recipes come on top). */
export const TRAINING_DEFAULTS: TrainingConfig = Object.fromEntries(CONFIG_NAMES.map((k) => [k, TRAIN_FIELDS[k].default])) as TrainingConfig;

/** The resolved settings as one zod object (a check that defaults, recipes and options together stay in range). */
export const TrainingConfigSchema = z.object(Object.fromEntries(CONFIG_NAMES.map((k) => [k, TRAIN_FIELDS[k].config as z.ZodType])));

export interface OptionProblem {
  field: string;
  /** "expected a whole number from 1 to 10000, got 0" */
  message: string;
}

function shown(v: unknown): string {
  return typeof v === 'string' ? `"${v}"` : String(v);
}

/** Checks options (or a whole config with `schema`); returns the parsed value or the first problem, by field. */
export function checkTrainOptions<S extends z.ZodType = typeof TrainOptionsSchema>(
  input: unknown,
  schema?: S,
): { ok: true; value: z.output<S> } | { ok: false; problem: OptionProblem } {
  const r = (schema ?? TrainOptionsSchema).safeParse(input);
  if (r.success) return { ok: true, value: r.data as z.output<S> };
  const issue = r.error.issues[0]!;
  const key = String(issue.path[0] ?? 'options');
  const value = typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[key] : input;
  const spec = (TRAIN_FIELDS as Record<string, { expected: string } | undefined>)[key];
  const expected = spec ? `expected ${spec.expected}` : issue.message;
  return { ok: false, problem: { field: key, message: `${expected}, got ${shown(value)}` } };
}

/** Reads the command-line value of one flag (a string, or true for a switch); undefined when it is not given. */
export function optionFromFlag(field: TrainField, raw: string | boolean | undefined): { ok: true; value: unknown } | { ok: false; problem: OptionProblem } {
  const f = TRAIN_FIELDS[field];
  if (raw === undefined || !f.cli) return { ok: true, value: undefined };
  const flag = `--${f.cli.flag}`;
  const k = f.flagKind;
  if (k.kind === 'switch') return { ok: true, value: raw === true ? k.value : undefined };
  if (typeof raw !== 'string') return { ok: false, problem: { field, message: `${flag} needs a value` } };
  if (k.kind === 'number') {
    const n = Number(raw);
    if (!raw.trim() || !Number.isFinite(n)) return { ok: false, problem: { field, message: `${flag} expects a number, got "${raw}"` } };
    // `--clip 0` turns clipping off.
    return { ok: true, value: field === 'clipNorm' && n === 0 ? null : n };
  }
  if (k.kind === 'list') return { ok: true, value: raw.split(',').map((v) => v.trim()).filter(Boolean) };
  if (k.kind === 'choice') {
    const v = k.aliases?.[raw] ?? raw;
    if (!k.values.includes(v)) {
      const all = [...Object.keys(k.aliases ?? {}), ...k.values];
      return { ok: false, problem: { field, message: `${flag} expects one of ${all.join(', ')}; got "${raw}"` } };
    }
    return { ok: true, value: v };
  }
  return { ok: true, value: raw };
}

/** The help lines for a command's options, one flag a line, aligned; `extra` rows ([flag, help]) go last. */
export function optionHelp(command: OptionCommand, omit: readonly TrainField[] = [], extra: ReadonlyArray<readonly [string, string]> = []): string[] {
  const rows = fieldsFor(command)
    .filter((k) => !omit.includes(k) && TRAIN_FIELDS[k].cli)
    .map((k) => {
      const f = TRAIN_FIELDS[k];
      const cli = f.cli!;
      const k2 = f.flagKind;
      const value = k2.kind === 'switch' ? '' : ` ${cli.value ?? (k2.kind === 'choice' ? k2.values.join('|') : 'X')}`;
      return [`--${cli.flag}${value}`, cli.help] as readonly [string, string];
    })
    .concat(extra);
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, h]) => `  ${l.padEnd(width)}  ${h}`);
}

/** The flag names of a command's options (for the argument parser). */
export function optionFlags(command: OptionCommand): Array<{ field: TrainField; flag: string; takesValue: boolean }> {
  return fieldsFor(command)
    .filter((k) => TRAIN_FIELDS[k].cli)
    .map((k) => ({ field: k, flag: TRAIN_FIELDS[k].cli!.flag, takesValue: TRAIN_FIELDS[k].flagKind.kind !== 'switch' }));
}
