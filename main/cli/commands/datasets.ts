import type { Command } from '../command.ts';
import { str } from '../command.ts';
import { TextbenchError } from '../../engine/errors.ts';

export const command: Command = {
  name: 'datasets',
  summary: "list a project's datasets",
  usage: `[--project NAME]
       textbench datasets --delete NAME --yes [--project NAME]

Lists the files imported into the project (default: the most recently used project): rows, skipped rows,
columns used, format and encoding. --delete removes one dataset with its examples and their label edits.`,
  options: { project: { type: 'string' }, delete: { type: 'string' }, yes: { type: 'boolean' } },
  async run(ctx) {
    const del = str(ctx.values.delete);
    if (del) {
      if (!ctx.values.yes) throw new TextbenchError(`Deleting dataset "${del}" removes its examples and their label edits. Repeat with --yes to confirm.`, 'CONFIRM');
      const r = ctx.workbench().data.deleteDataset(str(ctx.values.project), del);
      ctx.json ? ctx.io.out(JSON.stringify(r)) : ctx.io.out(`Deleted dataset "${r.dataset}" (${r.examples} examples).`);
      return 0;
    }
    const list = ctx.workbench().data.datasets(str(ctx.values.project));
    if (ctx.json) {
      ctx.io.out(JSON.stringify(list));
      return 0;
    }
    if (!list.length) ctx.io.out('No datasets in this project yet. Import one: textbench import FILE --project NAME');
    for (const d of list) {
      const skipped = d.skipped.emptyText + d.skipped.emptyLabel;
      ctx.io.out(
        `${d.name}\t${d.rows} rows${skipped ? ` (${skipped} skipped)` : ''}\t${d.format}/${d.encoding}\ttext: ${d.textColumns.join('+')}\tlabel: ${d.labelColumn}\tsplit: ${d.splitColumn ?? `auto (seed ${d.splitSeed})`}\t${d.createdAt}`,
      );
    }
    return 0;
  },
};
