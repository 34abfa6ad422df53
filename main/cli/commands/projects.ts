import type { Command } from '../command.ts';
import { str } from '../command.ts';

export const command: Command = {
  name: 'projects',
  summary: 'list, rename or delete projects',
  usage: `[--rename NAME --to NEW] [--delete NAME --yes]`,
  options: { rename: { type: 'string' }, to: { type: 'string' }, delete: { type: 'string' }, yes: { type: 'boolean' } },
  async run(ctx) {
    const wb = ctx.workbench();
    const rename = str(ctx.values.rename);
    const del = str(ctx.values.delete);
    if (rename) {
      const to = str(ctx.values.to);
      if (!to) throw new Error('--rename needs --to NEW_NAME.');
      const p = wb.projects.rename(rename, to);
      ctx.json ? ctx.io.out(JSON.stringify(p)) : ctx.io.out(`Renamed to ${p.name}.`);
      return 0;
    }
    if (del) {
      if (!ctx.values.yes) throw new Error(`Deleting "${del}" removes its datasets, runs and edits. Repeat with --yes to confirm.`);
      wb.projects.delete(del);
      ctx.json ? ctx.io.out(JSON.stringify({ deleted: del })) : ctx.io.out(`Deleted ${del}.`);
      return 0;
    }
    const list = wb.projects.list();
    if (ctx.json) {
      ctx.io.out(JSON.stringify(list));
    } else if (!list.length) {
      ctx.io.out('No projects yet. Import a file: textbench import FILE');
    } else {
      for (const p of list) ctx.io.out(`${p.name}\t${p.examples} examples\t${p.datasets} dataset(s)\tlast used ${p.lastUsedAt}`);
    }
    return 0;
  },
};
