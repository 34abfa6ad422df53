import type { Command } from '../command.ts';
import { str } from '../command.ts';
import { TextbenchError } from '../../engine/errors.ts';
import { parseIds } from './examples.ts';

export const command: Command = {
  name: 'relabel',
  summary: 'change the label of examples (recorded, undoable); --undo reverts',
  usage: `--ids 1,2,3 --to LABEL [--author NAME] [--project NAME]
       textbench relabel --from LABEL --to LABEL     (every example of a class: merge or rename it)
       textbench relabel --undo [BATCH] [--project NAME]
       textbench relabel --history [--project NAME]

Every change is recorded (who, when, old and new label) as one batch; --undo reverts the latest batch not yet
undone (or the named one). An example that a later batch changed again is left as it is.
--json prints {"batchId","changed",…} / {"batchId","reverted","skipped"} / the list of edits.`,
  options: {
    project: { type: 'string' },
    ids: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    author: { type: 'string' },
    undo: { type: 'boolean' },
    history: { type: 'boolean' },
  },
  async run(ctx) {
    const data = ctx.workbench().data;
    const project = str(ctx.values.project);
    if (ctx.values.history) {
      const edits = data.history(project);
      if (ctx.json) ctx.io.out(JSON.stringify(edits));
      else if (!edits.length) ctx.io.out('No label edits yet.');
      else for (const e of edits) ctx.io.out(`${e.createdAt}\t${e.batchId}\t#${e.exampleId}\t${e.oldLabel} -> ${e.newLabel}\t${e.author}${e.undoneAt ? `\tundone ${e.undoneAt}` : ''}`);
      return 0;
    }
    if (ctx.values.undo) {
      const r = data.undo(project, ctx.positionals[0]);
      if (ctx.json) ctx.io.out(JSON.stringify(r));
      else if (!r.batchId) ctx.io.out('Nothing to undo.');
      else ctx.io.out(`Undid batch ${r.batchId}: ${r.reverted} label(s) restored${r.skipped ? `, ${r.skipped} left alone (changed again later)` : ''}.`);
      return 0;
    }
    const ids = str(ctx.values.ids);
    const from = str(ctx.values.from);
    const to = str(ctx.values.to);
    if ((!ids && from === undefined) || to === undefined || (ids && from !== undefined)) {
      throw new TextbenchError('relabel needs --to LABEL and either --ids 1,2,3 or --from LABEL (or --undo, or --history).', 'BAD_OPTION');
    }
    const r = ids ? data.relabel(project, parseIds(ids), to, str(ctx.values.author)) : data.relabelAll(project, from!, to, str(ctx.values.author));
    if (r.newLabel) ctx.io.err(`note: "${to.trim()}" is a new label in this project.`);
    if (ctx.json) ctx.io.out(JSON.stringify(r));
    else ctx.io.out(`Relabelled ${r.changed} example(s) to "${to.trim()}"${r.unchanged ? ` (${r.unchanged} already had it)` : ''}. Batch ${r.batchId}; undo with: textbench relabel --undo ${r.batchId}`);
    return 0;
  },
};
