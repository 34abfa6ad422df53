import type { Command } from '../command.ts';
import { str } from '../command.ts';

export const command: Command = {
  name: 'datasets',
  summary: "list a project's datasets",
  usage: `[--project NAME]

Lists the files imported into the project (default: the most recently used project): rows, skipped rows,
columns used, format and encoding.`,
  options: { project: { type: 'string' } },
  async run(ctx) {
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
