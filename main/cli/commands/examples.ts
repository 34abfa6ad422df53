import type { Command } from '../command.ts';
import { num, str } from '../command.ts';
import type { ExampleQuery } from '../../../shared/data.ts';
import { SPLITS, type Split } from '../../../shared/domain.ts';
import { TextbenchError } from '../../engine/errors.ts';

export const command: Command = {
  name: 'examples',
  summary: 'list, filter and search examples',
  usage: `[--project NAME] [--search TEXT] [--label L] [--split S] [--flag F] [--ids 1,2,3] [--limit N] [--offset N]

Lists a project's examples in import order: id, split, label (with the original label when edited), text.
  --search TEXT   texts containing TEXT (case-insensitive for ASCII)
  --label L       current label L
  --split S       train, validation or test
  --flag F        rows behind a review check: duplicate, conflict, leak, empty, short, long, rare, or edited
  --ids LIST      only these example ids
  --limit N       at most N rows (default 50, at most 10000); --offset N skips the first N
--json prints {"total","offset","rows":[Example…]}.`,
  options: {
    project: { type: 'string' },
    search: { type: 'string' },
    label: { type: 'string' },
    split: { type: 'string' },
    flag: { type: 'string' },
    ids: { type: 'string' },
    limit: { type: 'string' },
    offset: { type: 'string' },
  },
  async run(ctx) {
    const split = str(ctx.values.split);
    if (split && !SPLITS.includes(split as Split)) throw new TextbenchError(`--split must be train, validation or test; got "${split}".`, 'BAD_OPTION');
    const ids = str(ctx.values.ids);
    const q: ExampleQuery = {
      search: str(ctx.values.search),
      label: str(ctx.values.label),
      split: split as Split | undefined,
      flag: str(ctx.values.flag),
      ids: ids ? parseIds(ids) : undefined,
      limit: num(ctx.values.limit, 'limit') ?? 50,
      offset: num(ctx.values.offset, 'offset') ?? 0,
    };
    const page = ctx.workbench().data.examples(str(ctx.values.project), q);
    if (ctx.json) {
      ctx.io.out(JSON.stringify(page));
      return 0;
    }
    for (const e of page.rows) {
      const label = e.label === e.originalLabel ? e.label : `${e.label} (was ${e.originalLabel})`;
      const text = e.text.replace(/\s+/g, ' ');
      ctx.io.out(`${e.id}\t${e.split}\t${label}\t${text.length > 120 ? text.slice(0, 117) + '...' : text}`);
    }
    ctx.io.err(`${page.rows.length ? `rows ${page.offset + 1}-${page.offset + page.rows.length}` : 'no rows'} of ${page.total}`);
    return 0;
  },
};

export function parseIds(list: string): number[] {
  return list.split(',').map((s) => {
    const t = s.trim();
    if (!/^\d+$/.test(t)) throw new TextbenchError(`--ids takes example ids separated by commas (e.g. 12,40,41); "${t}" is not an id.`, 'BAD_OPTION');
    return Number(t);
  });
}
