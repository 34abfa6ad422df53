import type { Command } from '../command.ts';
import { str } from '../command.ts';
import type { RunDetail, RunSummary } from '../../../shared/training.ts';

const f3 = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(3));

function summaryLine(r: RunSummary): string {
  return [r.id, r.model, r.status, r.backend ?? '-', `${r.epochs} ep`, `best ${r.bestEpoch ?? '-'}`, `val acc ${f3(r.validation?.accuracy)}`, `test acc ${f3(r.test?.accuracy)}`, `test F1 ${f3(r.test?.macroF1)}`, r.name].join('\t');
}

export function detailLines(d: RunDetail): string[] {
  const lines = [
    `Run ${d.id} "${d.name}": ${d.model}, ${d.status}${d.error ? ` (${d.error})` : ''}`,
    `  backend ${d.backend ?? '-'}, created ${d.createdAt}, finished ${d.finishedAt ?? '-'}`,
    `  text: ${d.pipeline ? `${d.pipeline.tokens}, ${d.pipeline.inputDim} ids, length ${d.pipeline.sequenceLength}` : '-'}; validation from ${d.validationSource ?? '-'}; ${d.labels.length} labels`,
    `  config: ${JSON.stringify(d.config)}`,
    `  validation: accuracy ${f3(d.validation?.accuracy)}, macro-F1 ${f3(d.validation?.macroF1)}; test: accuracy ${f3(d.test?.accuracy)}, macro-F1 ${f3(d.test?.macroF1)}`,
    `  epochs (kept: ${d.bestEpoch ?? '-'}):`,
    ...d.curve.map(
      (e) => `    ${String(e.epoch).padStart(3)}  loss ${f3(e.trainLoss)}  acc ${f3(e.trainAccuracy)}  val loss ${f3(e.validationLoss)}  val acc ${f3(e.validationAccuracy)}  val F1 ${f3(e.validationMacroF1)}  lr ${e.learningRate}  ${e.seconds.toFixed(1)}s`,
    ),
  ];
  if (d.findings.length) lines.push('  findings:', ...d.findings.map((f) => `    [${f.severity}] ${f.kind} (epochs ${f.epochs.join('-')}): ${f.message}`));
  if (d.actions.length) lines.push('  actions:', ...d.actions.map((a) => `    epoch ${a.epoch}: ${a.kind} ${JSON.stringify(a.before)} -> ${JSON.stringify(a.after)}${a.reason ? ` (${a.reason})` : ''}`));
  return lines;
}

export const command: Command = {
  name: 'runs',
  summary: 'list runs, or show one run with its curves, findings and actions',
  usage: `[RUN] [--project P] [--json]

Without RUN: the runs of the project (or of the workspace), newest first.
With RUN (an id, a unique id prefix, a run name, or "latest"): its configuration, backend, per-epoch curve,
the training doctor's findings and actions, and its metrics.`,
  options: { project: { type: 'string' } },
  async run(ctx) {
    const wb = ctx.workbench();
    const ref = ctx.positionals[0];
    if (ref) {
      const d = wb.training.get(ref);
      if (ctx.json) ctx.io.out(JSON.stringify(d));
      else for (const l of detailLines(d)) ctx.io.out(l);
      return 0;
    }
    const list = wb.training.list(str(ctx.values.project));
    if (ctx.json) ctx.io.out(JSON.stringify(list));
    else if (!list.length) ctx.io.out('No runs yet. Train one: textbench train');
    else for (const r of list) ctx.io.out(summaryLine(r));
    return 0;
  },
};
