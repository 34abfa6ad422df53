import type { Command, CommandContext } from '../command.ts';
import { num, str } from '../command.ts';
import { TextbenchError } from '../../engine/errors.ts';
import { MODEL_NAMES, type ModelName, type TrainOptions, type TrainResult } from '../../../shared/training.ts';
import type { WorkbenchEvent } from '../../../shared/events.ts';
// --model auto (issue 6): routed to the automatic search in train-auto.ts (edit by the doctor/search work).
import { AUTO_OPTIONS, AUTO_USAGE, runAutoTrain } from './train-auto.ts';

function oneOf<T extends string>(v: unknown, name: string, allowed: readonly T[]): T | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(s)) throw new TextbenchError(`--${name} expects one of ${allowed.join(', ')}; got "${s}".`, 'BAD_OPTION', { field: name });
  return s as T;
}

/** TrainOptions from the command line; undefined fields fall back to the model's defaults. */
export function optionsFromArgs(v: CommandContext['values']): TrainOptions {
  const loss = oneOf(v.loss, 'loss', ['ce', 'crossentropy', 'topk'] as const);
  const clip = num(v.clip, 'clip');
  return {
    project: str(v.project),
    name: str(v.name),
    model: oneOf<ModelName>(v.model, 'model', MODEL_NAMES),
    recipe: str(v.recipe),
    epochs: num(v.epochs, 'epochs'),
    batchSize: num(v['batch-size'], 'batch-size'),
    learningRate: num(v.lr, 'lr'),
    optimizer: oneOf(v.optimizer, 'optimizer', ['adam', 'rmsprop', 'sgd'] as const),
    loss: loss === undefined ? undefined : loss === 'topk' ? 'topk' : 'crossentropy',
    k: num(v.k, 'k'),
    classWeights: oneOf(v['class-weights'], 'class-weights', ['none', 'balanced'] as const),
    labelSmoothing: num(v['label-smoothing'], 'label-smoothing'),
    clipNorm: clip === undefined ? undefined : clip > 0 ? clip : null,
    earlyStop: oneOf(v['early-stop'], 'early-stop', ['val-loss', 'macro-f1', 'none'] as const),
    patience: num(v.patience, 'patience'),
    units: num(v.units, 'units'),
    layers: num(v.layers, 'layers'),
    embeddingDim: num(v['embedding-dim'], 'embedding-dim'),
    dropout: num(v.dropout, 'dropout'),
    recurrentDropout: num(v['recurrent-dropout'], 'recurrent-dropout'),
    l2: num(v.l2, 'l2'),
    tokens: oneOf(v.tokens, 'tokens', ['words', 'chars'] as const),
    sequenceLength: num(v['seq-len'], 'seq-len'),
    minCount: num(v['min-count'], 'min-count'),
    maxVocab: num(v['max-vocab'], 'max-vocab'),
    vectors: str(v.vectors),
    freezeVectors: v['freeze-vectors'] === true ? true : undefined,
    seed: num(v.seed, 'seed'),
    backend: oneOf(v.backend, 'backend', ['webgpu', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const),
    repair: v['no-repair'] === true ? false : undefined,
    validationFraction: num(v['validation-fraction'], 'validation-fraction'),
  };
}

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

/** One line per event for a person watching the run on stderr. */
export function progressLine(e: WorkbenchEvent, epochs: number): string | null {
  switch (e.type) {
    case 'training.epoch': {
      const m = e.metrics;
      const eta = e.etaSeconds ? `, ~${Math.round(e.etaSeconds)}s left at most` : '';
      return `epoch ${m.epoch}/${epochs}: loss ${f3(m.trainLoss)} acc ${f3(m.trainAccuracy)} | validation loss ${f3(m.validationLoss)} acc ${f3(m.validationAccuracy)} macro-F1 ${f3(m.validationMacroF1)} | lr ${m.learningRate} | ${m.seconds.toFixed(1)}s, ${Math.round(m.samplesPerSecond)} samples/s${eta}`;
    }
    case 'training.finding':
      return `finding (${e.finding.severity}, ${e.finding.kind}): ${e.finding.message}${e.finding.fix ? ` Fix: ${e.finding.fix}` : ''}`;
    case 'training.action':
      return `action at epoch ${e.action.epoch}: ${e.action.kind} ${JSON.stringify(e.action.before)} -> ${JSON.stringify(e.action.after)}${e.action.reason ? ` (${e.action.reason})` : ''}`;
    case 'run.failed':
      return `run failed: ${e.error}`;
    default:
      return null;
  }
}

export const command: Command = {
  name: 'train',
  summary: 'train a model on a project (linear, baseline, lstm, gru, bilstm, bigru, or --recipe)',
  usage: `[--project P] [--model linear|baseline|lstm|gru|bilstm|bigru] [--recipe NAME] [options]
       textbench train --resume RUN [--epochs N]

Trains on the project's train split, validates on its validation split (or a seeded 10% of train when it
has none) and evaluates on its test split. Without --model it trains linear (TF-IDF word and character
n-grams with logistic regression), the honest baseline to beat. Progress goes to stderr; Ctrl-C stops the
run after the current batch (resume it with --resume RUN).

Options:
  --model NAME              linear (default), baseline, lstm, gru, bilstm, bigru
  --recipe NAME             a recipe from \`textbench recipes\` (its settings, overridable by the options below)
  --name TEXT               a name for the run
  --epochs N --batch-size N --lr X --optimizer adam|rmsprop|sgd
  --loss ce|topk --k N      top-k: train each step on the k hardest examples of the batch
  --class-weights none|balanced   --label-smoothing X   --clip X (gradient clipping by global norm)
  --early-stop val-loss|macro-f1|none   --patience N
  --units N --layers N --embedding-dim N --dropout X --recurrent-dropout X --l2 X
  --tokens words|chars      --seq-len N   --min-count N   --max-vocab N
  --vectors FILE            pretrained GloVe/fastText text vectors   --freeze-vectors
  --seed N                  same seed, data and backend give the same metrics (default 42)
  --backend NAME            webgpu, tensorflow-gpu, tensorflow, wasm or cpu (default: the best that loads;
                            a software GPU such as SwiftShader only when named here)
  --no-repair               report the training doctor's findings but do not act on them
  --validation-fraction X   share of train held out for validation when there is no validation split
  --resume RUN              continue a stopped or crashed run from its last checkpoint

--json prints {"run","status","backend","model","epochs","bestEpoch","validation":{"accuracy","macroF1"},
"test":{"accuracy","macroF1"},"findings":[...],"actions":[...]} when the run ends.
${AUTO_USAGE}`,
  options: {
    project: { type: 'string' },
    name: { type: 'string' },
    model: { type: 'string' },
    recipe: { type: 'string' },
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    lr: { type: 'string' },
    optimizer: { type: 'string' },
    loss: { type: 'string' },
    k: { type: 'string' },
    'class-weights': { type: 'string' },
    'label-smoothing': { type: 'string' },
    clip: { type: 'string' },
    'early-stop': { type: 'string' },
    patience: { type: 'string' },
    units: { type: 'string' },
    layers: { type: 'string' },
    'embedding-dim': { type: 'string' },
    dropout: { type: 'string' },
    'recurrent-dropout': { type: 'string' },
    l2: { type: 'string' },
    tokens: { type: 'string' },
    'seq-len': { type: 'string' },
    'min-count': { type: 'string' },
    'max-vocab': { type: 'string' },
    vectors: { type: 'string' },
    'freeze-vectors': { type: 'boolean' },
    seed: { type: 'string' },
    backend: { type: 'string' },
    'no-repair': { type: 'boolean' },
    'validation-fraction': { type: 'string' },
    resume: { type: 'string' },
    ...AUTO_OPTIONS,
  },
  async run(ctx) {
    if (str(ctx.values.model) === 'auto') return runAutoTrain(ctx); // automatic search (train-auto.ts)
    const wb = ctx.workbench();
    const resumeRef = str(ctx.values.resume);
    const options = optionsFromArgs(ctx.values);
    let run: string;
    let epochs: number;
    const unsubscribeLog = wb.training.onLog((l) => {
      if (l.level === 'info' || process.env.TEXTBENCH_DEBUG) ctx.io.err(l.message);
    });
    let lastBatch = 0;
    const unsubscribe = wb.onEvent((e) => {
      if (!('run' in e) || e.run !== run) return;
      if (e.type === 'training.batch') {
        // A heartbeat for long epochs, not a line per batch.
        if (Date.now() - lastBatch < 10_000) return;
        lastBatch = Date.now();
        ctx.io.err(`  epoch ${e.epoch} batch ${e.batch}/${e.batches}: loss ${f3(e.loss)}, ${Math.round(e.samplesPerSecond)} samples/s`);
        return;
      }
      const line = progressLine(e, epochs);
      if (line) ctx.io.err(line);
    });
    if (resumeRef) {
      const started = wb.training.resume(resumeRef, { epochs: options.epochs });
      run = started.run.id;
      epochs = wb.training.get(run).config.epochs;
      ctx.io.err(`Resuming run ${run} from its last checkpoint (epoch ${started.run.epochs}; optimizer moments start afresh).`);
    } else {
      if (!options.model && !options.recipe) ctx.io.err('No --model given: training linear (TF-IDF word and character n-grams + logistic regression). Choose another with --model.');
      const started = wb.training.start(options);
      run = started.run.id;
      epochs = wb.training.get(run).config.epochs;
      ctx.io.err(`Run ${run} (${started.run.model}) started.`);
    }
    let interrupted = 0;
    const onSigint = () => {
      interrupted++;
      if (interrupted > 1) process.exit(130);
      ctx.io.err('Stopping after the current batch (Ctrl-C again to quit at once)...');
      void wb.training.stop(run);
    };
    process.on('SIGINT', onSigint);
    let result: TrainResult;
    try {
      result = await wb.training.wait(run);
    } finally {
      process.off('SIGINT', onSigint);
      unsubscribe();
      unsubscribeLog();
    }
    if (ctx.json) {
      const { run: id, status, backend, model, epochs: n, bestEpoch, validation, test, findings, actions, error } = result;
      ctx.io.out(JSON.stringify({ run: id, status, backend, model, epochs: n, bestEpoch, validation, test, findings, actions, ...(error ? { error } : {}) }));
    } else if (result.status === 'failed') {
      ctx.io.err(`Run ${result.run} failed: ${result.error ?? 'unknown error'}`);
    } else {
      ctx.io.out(
        `Run ${result.run} ${result.status} on ${result.backend}: ${result.epochs} epochs, kept epoch ${result.bestEpoch}. ` +
          `Validation accuracy ${f3(result.validation.accuracy)}, macro-F1 ${f3(result.validation.macroF1)}; ` +
          `test accuracy ${f3(result.test.accuracy)}, macro-F1 ${f3(result.test.macroF1)}.` +
          (result.status === 'stopped' ? ` Resume with: textbench train --resume ${result.run}` : ` Details: textbench evaluate ${result.run}`),
      );
    }
    return result.status === 'failed' ? 1 : 0;
  },
};
