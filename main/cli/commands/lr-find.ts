import type { Command } from '../command.ts';
import { num, str } from '../command.ts';
import { trainFlagHelp, trainFlags, trainOptionsFromArgs } from '../train-options.ts';
import type { LrFindResult } from '../../../shared/doctor.ts';

/** A text chart of the smoothed loss against log10(learning rate), with the suggestion marked. */
export function curveChart(r: LrFindResult, width = 64, height = 14): string[] {
  const pts = r.curve;
  const xs = pts.map(([lr]) => Math.log10(lr));
  const ys = pts.map(([, l]) => l);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const y0 = Math.min(...ys);
  // The end of a sweep shoots up: cap the chart at 1.5× the starting loss so the interesting part stays readable.
  const y1 = Math.min(Math.max(...ys), Math.max(ys[0]! * 1.5, y0 + 1e-9));
  const grid = Array.from({ length: height }, () => Array<string>(width).fill(' '));
  const col = (x: number) => Math.round(((x - x0) / Math.max(x1 - x0, 1e-9)) * (width - 1));
  pts.forEach(([lr, l]) => {
    const c = col(Math.log10(lr));
    const row = height - 1 - Math.round(((Math.min(l, y1) - y0) / Math.max(y1 - y0, 1e-9)) * (height - 1));
    grid[row]![c] = '*';
  });
  const sc = col(Math.log10(r.suggested));
  if (sc >= 0 && sc < width) for (const line of grid) if (line[sc] === ' ') line[sc] = '|';
  const label = (v: number) => v.toPrecision(3).padStart(8);
  const lines = grid.map((line, i) => `${i === 0 ? label(y1) : i === height - 1 ? label(y0) : ' '.repeat(8)} ${line.join('')}`);
  lines.push(`${' '.repeat(9)}${`lr ${(10 ** x0).toExponential(0)}`.padEnd(width - 10)}${(10 ** x1).toExponential(0)}`);
  return lines;
}

export const command: Command = {
  name: 'lr-find',
  summary: 'learning-rate range test: loss against learning rate, and a suggested rate',
  usage: `[--project P] [--model M | --recipe R] [--steps N] [--min-lr X] [--max-lr X] [--batch-size N] [--json]

Trains a fresh model for about 100 steps while the learning rate grows exponentially from --min-lr
(1e-7) to --max-lr (10), stopping early when the loss explodes (more than 4× its lowest). Suggests the
rate where the smoothed loss falls fastest (or a tenth of the rate at its minimum). Use it with
\`textbench train --lr X\`. The model, its data and text settings are prepared exactly as \`train\` prepares
them; the default model is baseline.

Options:
${trainFlagHelp('lr-find', [
  ['--steps N', 'steps in the sweep (default 100)'],
  ['--min-lr X', 'first learning rate (default 1e-7)'],
  ['--max-lr X', 'last learning rate (default 10)'],
  ['--max-examples N', 'train examples the sweep draws from (default: steps × batch size, at least 2000)'],
])}

--json prints {"suggested": number, "curve": [[lr, loss], …], …}.`,
  options: {
    ...trainFlags('lr-find'),
    steps: { type: 'string' },
    'min-lr': { type: 'string' },
    'max-lr': { type: 'string' },
    'max-examples': { type: 'string' },
  },
  async run(ctx) {
    const wb = ctx.workbench();
    const train = trainOptionsFromArgs(ctx.values, 'lr-find');
    const result = await wb.training.lrFind({
      ...train,
      steps: num(ctx.values.steps, 'steps'),
      minLearningRate: num(ctx.values['min-lr'], 'min-lr'),
      maxLearningRate: num(ctx.values['max-lr'], 'max-lr'),
      maxExamples: num(ctx.values['max-examples'], 'max-examples'),
      log: (m) => ctx.io.err(m),
    });
    if (ctx.json) {
      ctx.io.out(JSON.stringify(result));
      return 0;
    }
    for (const l of curveChart(result)) ctx.io.out(l);
    ctx.io.out('');
    ctx.io.out(
      `Suggested learning rate: ${result.suggested} (${result.method === 'steepest' ? 'where the loss falls fastest' : 'a tenth of the rate with the lowest loss'}; ` +
        `lowest loss ${result.minLoss!.loss.toFixed(3)} at ${result.minLoss!.lr.toPrecision(3)}; sweep ${result.stoppedBy === 'exploded' ? 'stopped when the loss exploded' : 'ran all steps'}).`,
    );
    const model = str(ctx.values.recipe) ? `--recipe ${str(ctx.values.recipe)}` : `--model ${result.model}`;
    ctx.io.out(`Train with it: textbench train ${model} --lr ${result.suggested}`);
    return 0;
  },
};
