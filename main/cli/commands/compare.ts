import type { Command } from '../command.ts';
import { str } from '../command.ts';
import { leaderboardTable, progressLine } from '../training-output.ts';
import { trainFlagHelp, trainFlags, trainOptionsFromArgs } from '../train-options.ts';
import type { CompareResult } from '../../../shared/doctor.ts';
import type { ModelName } from '../../../shared/training.ts';

function list(v: unknown): string[] {
  const s = str(v);
  return s ? s.split(',').map((x) => x.trim()).filter(Boolean) : [];
}

export const command: Command = {
  name: 'compare',
  summary: 'train several recipes and models on the same split and print one leaderboard',
  usage: `--recipes a,b[,…] [--models linear,gru,…] [--project P] [--epochs N] [--seed N] [--json]

Trains each recipe and model on the project's split, one after the other (each is an ordinary run you can
inspect with \`textbench runs RUN\`), and prints one leaderboard sorted by test macro-F1: test accuracy,
macro-F1, epochs, training time, samples/s, backend and the training doctor's findings. Options such as
--epochs, --seed, --backend, --no-repair apply to every entry; each recipe keeps its own settings otherwise.

Options:
${trainFlagHelp('compare', [
  ['--recipes a,b', 'recipes to train (see `textbench recipes`)'],
  ['--models a,b', 'models to train: linear, baseline, lstm, gru, bilstm, bigru'],
])}

--json prints {"project","split":{"train","validation","test"},"rows":[{"name","kind","run","status",
"test":{"accuracy","macroF1"},"validation":{…},"epochs","seconds","samplesPerSecond","backend","findings"}]}.`,
  options: {
    recipes: { type: 'string' },
    models: { type: 'string' },
    ...trainFlags('compare'),
  },
  async run(ctx) {
    const wb = ctx.workbench();
    const common = trainOptionsFromArgs(ctx.values, 'compare');
    // A run's epoch count is known once it has started (the neural presets choose it from the train size).
    const epochsOf = new Map<string, number>();
    const unsubscribe = wb.onEvent((e) => {
      if (e.type === 'training.epoch' || e.type === 'training.finding' || e.type === 'training.action') {
        if (!epochsOf.has(e.run)) {
          const n = wb.training.get(e.run).config.epochs;
          if (n !== null) epochsOf.set(e.run, n);
        }
        const line = progressLine(e, epochsOf.get(e.run) ?? null);
        if (line) ctx.io.err(`  ${line}`);
      }
    });
    let result: CompareResult;
    try {
      result = await wb.training.compare({
        ...common,
        recipes: list(ctx.values.recipes),
        models: list(ctx.values.models) as ModelName[],
        log: (m) => ctx.io.err(m),
      });
    } finally {
      unsubscribe();
    }
    if (ctx.json) {
      ctx.io.out(JSON.stringify(result));
      return 0;
    }
    ctx.io.out(`Leaderboard for ${result.project} (train ${result.split.train}, validation ${result.split.validation}, test ${result.split.test}), best test macro-F1 first:`);
    for (const l of leaderboardTable(result.rows)) ctx.io.out(l);
    return result.rows.every((r) => r.status !== 'failed') ? 0 : 1;
  },
};
