import type { Command } from '../command.ts';
import { str } from '../command.ts';

function metric(metrics: Record<string, unknown> | null, split: string, key: string): string {
  const m = metrics?.[split] as Record<string, unknown> | undefined;
  const v = m?.[key];
  return typeof v === 'number' ? `${(v * 100).toFixed(1)}%` : '–';
}

export const command: Command = {
  name: 'models',
  summary: 'list the models in the workspace (from runs that classified, and imported bundles)',
  usage: `[--project P]

Models are created when a run classifies text (textbench classify --run RUN) and when a bundle is
imported (textbench import-bundle DIR). Use one with: textbench classify --stored MODEL "text".

  --project P   only the models of this project

With --json prints an array of {"id","name","projectId","runId","source","bundlePath","labels","checksum","metrics","createdAt"}.`,
  options: { project: { type: 'string' } },
  async run(ctx) {
    const wb = ctx.workbench();
    const project = str(ctx.values.project);
    const list = wb.models.list(project);
    if (ctx.json) {
      ctx.io.out(JSON.stringify(list));
      return 0;
    }
    if (!list.length) {
      ctx.io.out('No models yet. Import a bundle (textbench import-bundle DIR) or classify with a run (textbench classify --run RUN "text").');
      return 0;
    }
    for (const m of list) {
      const from = m.source === 'run' ? `run ${m.runId ?? '(deleted)'}` : `bundle ${m.bundlePath ?? ''}`;
      ctx.io.out(`${m.id}\t${m.name}\t${m.labels.length} labels\ttest accuracy ${metric(m.metrics, 'test', 'accuracy')}, macro-F1 ${metric(m.metrics, 'test', 'macroF1')}\t${from}`);
    }
    return 0;
  },
};
