// `textbench train --model auto --budget 15m | --trials N`: the automatic search (main/engine/train/search.ts),
// called from the train command (which parses the training flags; auto reads --project, --seed, --backend and --threads). Progress on stderr; --json prints the SearchResult (shared/doctor.ts) plus the
// fields of an ordinary train result for the kept best run.
import type { CommandContext } from '../command.ts';
import { num, str } from '../command.ts';
import { TextbenchError } from '../../engine/errors.ts';
import { parseBudget, type SearchFamily } from '../../engine/train/search.ts';
import { leaderboardTable } from '../training-output.ts';
import { trainOptionsFromArgs } from '../train-options.ts';
import { MODEL_NAMES } from '../../../shared/training.ts';

export const AUTO_OPTIONS = {
  budget: { type: 'string' },
  trials: { type: 'string' },
  families: { type: 'string' },
} as const;

export const AUTO_USAGE = `
Automatic search (--model auto):
  --budget 15m | --trials N   time budget (s, m, h) or number of random trials; at least one is needed
  --families a,b              model families to search (default linear,baseline,gru,lstm,bigru,bilstm)
  Trains the baseline, the linear model and the first recurrent family with their defaults, then random
  configurations (family, size, layers, dropout, learning rate, batch size, loss) with successive halving,
  then an ensemble of the linear model and the recurrent runs; judged on validation macro-F1 only. Prints
  the leaderboard, keeps the best run and says which family won and by how much, and whether a recurrent
  model beat the baseline.`;

export async function runAutoTrain(ctx: CommandContext): Promise<number> {
  const wb = ctx.workbench();
  const budgetText = str(ctx.values.budget);
  const trials = num(ctx.values.trials, 'trials');
  if (!budgetText && trials === undefined) {
    throw new TextbenchError('--model auto needs a budget: --budget 15m (time) or --trials N.', 'BAD_OPTION', { field: 'budget' });
  }
  const families = str(ctx.values.families)?.split(',').map((f) => f.trim()).filter(Boolean) as SearchFamily[] | undefined;
  for (const f of families ?? []) {
    if (!MODEL_NAMES.includes(f)) throw new TextbenchError(`--families: unknown model "${f}". Pick from ${MODEL_NAMES.join(', ')}.`, 'BAD_OPTION', { field: 'families' });
  }
  const { project, seed, backend, threads } = trainOptionsFromArgs(ctx.values, 'auto');
  const result = await wb.training.autoSearch({
    project,
    budgetSeconds: budgetText ? parseBudget(budgetText) : null,
    trials: trials ?? null,
    seed,
    families,
    backend,
    ...(threads ? { fixed: { threads } } : {}),
    log: (m) => ctx.io.err(m),
  });
  const best = result.best;
  if (ctx.json) {
    ctx.io.out(
      JSON.stringify({
        ...result,
        // The fields of an ordinary `train --json` result, for the kept run.
        status: best ? best.status : 'failed',
        model: 'auto',
        backend: best?.backend ?? null,
        epochs: best?.epochs ?? 0,
        validation: best?.validation ?? null,
        test: best?.test ?? null,
      }),
    );
  } else {
    ctx.io.out(`Automatic search on ${result.project}: ${result.leaderboard.length} runs in ${result.seconds}s, best validation macro-F1 first:`);
    for (const l of leaderboardTable(result.leaderboard, 'validation')) ctx.io.out(l);
    ctx.io.out('');
    ctx.io.out(result.verdict);
    if (best) ctx.io.out(`Kept: run ${best.run} (${best.name}). Details: textbench evaluate ${best.run}`);
  }
  return best ? 0 : 1;
}
