import type { Command } from '../command.ts';
import type { RunDetail } from '../../../shared/training.ts';

/** The doctor's findings and actions of a run, for a person. */
export function doctorLines(d: RunDetail): string[] {
  const lines = [`Run ${d.id} "${d.name}" (${d.model}, ${d.status}): the training doctor found ${d.findings.length ? `${d.findings.length} thing(s)` : 'nothing to report'}.`];
  for (const f of d.findings) {
    lines.push(`  [${f.severity}] ${f.kind} (epochs ${f.epochs.join('-')}): ${f.message}`);
    if (f.fix) lines.push(`      what to do: ${f.fix}`);
  }
  if (d.actions.length) {
    lines.push('What it did:');
    for (const a of d.actions) lines.push(`  epoch ${a.epoch}: ${a.kind} ${JSON.stringify(a.before)} -> ${JSON.stringify(a.after)}${a.reason ? ` (${a.reason})` : ''}`);
  }
  return lines;
}

export const command: Command = {
  name: 'doctor',
  summary: "the training doctor's findings on a run and what it did about them",
  usage: `[RUN] [--json]

The training doctor watches every run for a plateau from a too-low learning rate, divergence and NaN,
collapse to one class, overfitting, imbalanced batches and data leaks. This shows what it found on RUN
(an id, a unique id prefix, a run name, or "latest", the default), with what to do about each finding,
and what it repaired during training (textbench train --no-repair only reports).
Which TensorFlow.js backends load on this machine: \`textbench backends\`.

--json prints {"run", "findings": [...], "actions": [...]}.`,
  options: {},
  async run(ctx) {
    const d = ctx.workbench().training.get(ctx.positionals[0] ?? 'latest');
    if (ctx.json) ctx.io.out(JSON.stringify({ run: d.id, findings: d.findings, actions: d.actions }));
    else for (const l of doctorLines(d)) ctx.io.out(l);
    return 0;
  },
};
