import type { Command } from '../command.ts';
import { str } from '../command.ts';

export const command: Command = {
  name: 'review',
  summary: 'check the data: classes, duplicates, conflicting labels, empty/short/long texts, rare classes',
  usage: `[--project NAME]

Runs the review checks on a project (default: the most recently used): the class distribution per split,
exact duplicates, the same text under different labels, the same text in several splits, texts without
content, very short and very long texts, and classes too rare to learn. List the rows behind a check with
\`textbench examples --flag ID\` (duplicates, conflicts, leaks, empty, short, long, rare).
--json prints the whole report; it holds at least {"duplicates","conflicts","classes":[{"label","count"}]}.`,
  options: { project: { type: 'string' } },
  async run(ctx) {
    const r = ctx.workbench().data.review(str(ctx.values.project));
    if (ctx.json) {
      ctx.io.out(JSON.stringify(r));
      return 0;
    }
    ctx.io.out(`Project "${r.project}": ${r.total.toLocaleString('en-US')} examples, ${r.classes.length} classes\n`);
    const width = Math.min(40, Math.max(5, ...r.classes.map((c) => c.label.length)));
    ctx.io.out(`${'label'.padEnd(width)}  ${'count'.padStart(7)}  ${'train'.padStart(7)}  ${'valid'.padStart(7)}  ${'test'.padStart(7)}`);
    for (const c of r.classes) {
      const name = c.label.length > width ? c.label.slice(0, width - 1) + '…' : c.label.padEnd(width);
      ctx.io.out(`${name}  ${String(c.count).padStart(7)}  ${String(c.splits.train).padStart(7)}  ${String(c.splits.validation).padStart(7)}  ${String(c.splits.test).padStart(7)}`);
    }
    ctx.io.out('');
    for (const c of r.checks) {
      const mark = c.severity === 'ok' ? 'ok  ' : c.severity === 'info' ? 'note' : c.severity === 'warning' ? 'WARN' : 'FIX ';
      ctx.io.out(`[${mark}] ${c.title} (${c.id}): ${c.count}. ${c.message}`);
      for (const g of (c.groups ?? []).slice(0, 3)) {
        ctx.io.out(`         e.g. ids ${g.ids.slice(0, 6).join(',')}${g.ids.length > 6 ? ',…' : ''} [${g.labels.join(' / ')}] ${g.text.length > 80 ? g.text.slice(0, 77) + '...' : g.text}`);
      }
    }
    return 0;
  },
};
