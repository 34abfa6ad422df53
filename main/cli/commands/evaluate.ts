import type { Command } from '../command.ts';
import { str } from '../command.ts';
import { TextbenchError } from '../../engine/errors.ts';
import { SPLITS, type Evaluation, type Split } from '../../../shared/domain.ts';

const f3 = (x: number) => x.toFixed(3);

export function evaluationLines(e: Evaluation): string[] {
  const w = Math.max(5, ...e.perClass.map((c) => c.label.length));
  const lines = [
    `Run ${e.run} on ${e.split}: accuracy ${f3(e.accuracy)}, macro-F1 ${f3(e.macroF1)}, weighted-F1 ${f3(e.weightedF1)}, loss ${f3(e.loss)}`,
    '',
    `${'label'.padEnd(w)}  precision  recall  f1     support`,
    ...e.perClass.map((c) => `${c.label.padEnd(w)}  ${f3(c.precision).padEnd(9)}  ${f3(c.recall).padEnd(6)}  ${f3(c.f1).padEnd(5)}  ${c.support}`),
    '',
    'Confusion matrix (rows: true label, columns: predicted, in the order above):',
    ...e.confusion.matrix.map((row, i) => `${e.confusion.labels[i]!.padEnd(w)}  ${row.map((v) => String(v).padStart(5)).join('')}`),
  ];
  if (e.ece !== undefined) lines.push('', `Calibration: expected calibration error ${f3(e.ece)} (0 = the probabilities mean what they say)`);
  if (e.ngrams?.length) {
    const show = (ws: Array<{ kind: string; text: string }>) => ws.slice(0, 8).map((g) => (g.kind === 'char' ? `[${g.text}]` : g.text)).join(', ');
    lines.push('', 'What the linear model looks for (n-grams with the largest weights; [..] = characters within a word):');
    for (const c of e.ngrams) {
      lines.push(`${c.label.padEnd(w)}  for: ${show(c.positive)}`);
      if (c.negative.length) lines.push(`${''.padEnd(w)}  against: ${show(c.negative)}`);
    }
  }
  if (e.mistakes.length) {
    lines.push('', `Most confident mistakes (${Math.min(10, e.mistakes.length)} of ${e.mistakes.length} listed):`);
    for (const m of e.mistakes.slice(0, 10)) {
      lines.push(`  #${m.exampleId} true ${m.label}, predicted ${m.predicted} (${f3(m.probability)}): ${m.text.length > 100 ? m.text.slice(0, 97) + '...' : m.text}`);
    }
  }
  return lines;
}

export const command: Command = {
  name: 'evaluate',
  summary: "show a run's evaluation: accuracy, macro-F1, per-class metrics, confusion matrix",
  usage: `RUN [--split test|validation|train] [--json]

RUN is a run id, a unique prefix, a run name or "latest". The test evaluation is stored with the run;
other splits are computed on demand. --json prints {"run","split","accuracy","macroF1","weightedF1","loss",
"perClass":[{"label","precision","recall","f1","support"}],"confusion":{"labels","matrix"},"mistakes":[...],"ece"}
and, for a linear run, "ngrams":[{"label","positive":[{"kind","text","weight"}],"negative":[...],"intercept"}]
(per class, the n-grams with the largest positive and negative weights).`,
  options: { split: { type: 'string', default: 'test' } },
  async run(ctx) {
    const ref = ctx.positionals[0];
    if (!ref) throw new TextbenchError('Which run? Give its id: textbench evaluate RUN (textbench runs lists them).', 'BAD_OPTION', { field: 'run' });
    const split = (str(ctx.values.split) ?? 'test') as Split;
    if (!SPLITS.includes(split)) throw new TextbenchError(`--split expects train, validation or test; got "${split}".`, 'BAD_OPTION', { field: 'split' });
    const e = await ctx.workbench().training.evaluate(ref, split);
    if (ctx.json) {
      ctx.io.out(JSON.stringify({ run: e.run, split: e.split, accuracy: e.accuracy, macroF1: e.macroF1, weightedF1: e.weightedF1, loss: e.loss, perClass: e.perClass, confusion: e.confusion, mistakes: e.mistakes, ece: e.ece, ...(e.ngrams ? { ngrams: e.ngrams } : {}) }));
    } else {
      for (const l of evaluationLines(e)) ctx.io.out(l);
    }
    return 0;
  },
};
