import type { Command } from '../command.ts';
import { str } from '../command.ts';
import type { TrainResult } from '../../../shared/training.ts';
import { trainFlagHelp, trainFlags, trainOptionsFromArgs } from '../train-options.ts';
import { f3, progressLine } from '../training-output.ts';
// --model auto: the automatic search (train-auto.ts).
import { AUTO_OPTIONS, AUTO_USAGE, runAutoTrain } from './train-auto.ts';

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
${trainFlagHelp('train', [['--resume RUN', 'continue a stopped or crashed run from its last checkpoint (with --backend, on another backend)']])}

--json prints {"run","status","backend","device","model","epochs","bestEpoch","validation":{"accuracy","macroF1"},
"test":{"accuracy","macroF1"},"findings":[...],"actions":[...]} when the run ends.
${AUTO_USAGE}`,
  options: {
    ...trainFlags('train'),
    resume: { type: 'string' },
    ...AUTO_OPTIONS,
  },
  async run(ctx) {
    if (str(ctx.values.model) === 'auto') return runAutoTrain(ctx); // automatic search (train-auto.ts)
    const wb = ctx.workbench();
    const resumeRef = str(ctx.values.resume);
    const options = trainOptionsFromArgs(ctx.values, 'train');
    let run: string;
    // Known once the run has started: the neural presets choose their epochs from the train size.
    let epochs: number | null = null;
    const unsubscribeLog = wb.training.onLog((l) => {
      if (l.level === 'info' || process.env.TEXTBENCH_DEBUG) ctx.io.err(l.message);
    });
    let lastBatch = 0;
    const unsubscribe = wb.onEvent((e) => {
      if (!('run' in e) || e.run !== run) return;
      if (e.type === 'training.batch' || (e.type === 'training.pretrain' && e.fraction < 1)) {
        // A heartbeat for long epochs (and the pretraining step), not a line per event.
        if (Date.now() - lastBatch < 10_000) return;
        lastBatch = Date.now();
        if (e.type === 'training.pretrain') {
          ctx.io.err(`  pretraining word vectors: ${Math.round(e.fraction * 100)}% (pass ${e.epoch}/${e.epochs}), ${Math.round(e.tokensPerSecond)} words/s, loss ${f3(e.loss)}`);
          return;
        }
        ctx.io.err(`  epoch ${e.epoch} batch ${e.batch}/${e.batches}: loss ${f3(e.loss)}, ${Math.round(e.samplesPerSecond)} samples/s`);
        return;
      }
      if (epochs === null && e.type === 'training.epoch') epochs = wb.training.get(run).config.epochs;
      const line = progressLine(e, epochs);
      if (line) ctx.io.err(line);
    });
    if (resumeRef) {
      const started = wb.training.resume(resumeRef, { epochs: options.epochs, backend: options.backend });
      run = started.run.id;
      epochs = wb.training.get(run).config.epochs;
      ctx.io.err(
        `Resuming run ${run} from its last checkpoint (epoch ${started.run.epochs}; optimizer moments start afresh)` +
          (options.backend ? ` on the ${options.backend} backend.` : '.'),
      );
    } else {
      if (!options.model && !options.recipe) ctx.io.err('No --model given: training linear (TF-IDF n-grams; SVM or logistic regression, features and C chosen by cross-validation). Choose another with --model.');
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
      const { run: id, status, backend, device, model, epochs: n, bestEpoch, validation, test, findings, actions, samplesPerSecond, threads, error } = result;
      ctx.io.out(JSON.stringify({ run: id, status, backend, device, model, epochs: n, bestEpoch, validation, test, findings, actions, samplesPerSecond, threads, ...(error ? { error } : {}) }));
    } else if (result.status === 'failed') {
      ctx.io.err(`Run ${result.run} failed: ${result.error ?? 'unknown error'}`);
    } else {
      ctx.io.out(
        `Run ${result.run} ${result.status} on ${result.backend} (${result.device}): ${result.epochs} epochs, kept epoch ${result.bestEpoch}. ` +
          `Validation accuracy ${f3(result.validation.accuracy)}, macro-F1 ${f3(result.validation.macroF1)}; ` +
          `test accuracy ${f3(result.test.accuracy)}, macro-F1 ${f3(result.test.macroF1)}.` +
          (result.status === 'stopped' ? ` Resume with: textbench train --resume ${result.run}` : ` Details: textbench evaluate ${result.run}`),
      );
    }
    return result.status === 'failed' ? 1 : 0;
  },
};
