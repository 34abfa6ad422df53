import type { Command } from '../command.ts';
import { str } from '../command.ts';
import { optionsFromArgs, progressLine } from './train.ts';
import { runCompare } from '../../engine/train/compare.ts';
import type { CompareResult, LeaderboardEntry } from '../../../shared/doctor.ts';
import type { ModelName } from '../../../shared/training.ts';

const f3 = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(3));

function list(v: unknown): string[] {
  const s = str(v);
  return s ? s.split(',').map((x) => x.trim()).filter(Boolean) : [];
}

function findingsCell(r: LeaderboardEntry): string {
  if (r.error) return `failed: ${r.error}`;
  const counts = new Map<string, number>();
  for (const f of r.findings) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
  return [...counts.entries()].map(([k, n]) => (n > 1 ? `${k}×${n}` : k)).join(', ') || '-';
}

/** The leaderboard as an aligned text table. */
export function leaderboardTable(rows: readonly LeaderboardEntry[], first: 'test' | 'validation' = 'test'): string[] {
  const head = ['#', 'name', 'kind', first === 'test' ? 'test acc' : 'val acc', first === 'test' ? 'test F1' : 'val F1', first === 'test' ? 'val F1' : 'test F1', 'epochs', 'time s', 'samples/s', 'backend', 'doctor findings'];
  const body = rows.map((r, i) => [
    String(i + 1),
    r.name,
    r.kind,
    f3(first === 'test' ? r.test?.accuracy : r.validation?.accuracy),
    f3(first === 'test' ? r.test?.macroF1 : r.validation?.macroF1),
    f3(first === 'test' ? r.validation?.macroF1 : r.test?.macroF1),
    String(r.epochs),
    r.seconds.toFixed(0),
    r.samplesPerSecond === null ? '-' : String(r.samplesPerSecond),
    r.backend ?? '-',
    r.status === 'finished' ? findingsCell(r) : `${r.status}${r.error ? `: ${r.error}` : ''}${r.findings.length ? `; ${findingsCell(r)}` : ''}`,
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
  const fmt = (row: string[]) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ');
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...body.map(fmt)];
}

export const command: Command = {
  name: 'compare',
  summary: 'train several recipes and models on the same split and print one leaderboard',
  usage: `--recipes a,b[,…] [--models linear,gru,…] [--project P] [--epochs N] [--seed N] [--json]

Trains each recipe and model on the project's split, one after the other (each is an ordinary run you can
inspect with \`textbench runs RUN\`), and prints one leaderboard sorted by test macro-F1: test accuracy,
macro-F1, epochs, training time, samples/s, backend and the training doctor's findings. Options such as
--epochs, --seed, --backend, --no-repair apply to every entry; each recipe keeps its own settings otherwise.

--json prints {"project","split":{"train","validation","test"},"rows":[{"name","kind","run","status",
"test":{"accuracy","macroF1"},"validation":{…},"epochs","seconds","samplesPerSecond","backend","findings"}]}.`,
  options: {
    recipes: { type: 'string' },
    models: { type: 'string' },
    project: { type: 'string' },
    epochs: { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string' },
    'no-repair': { type: 'boolean' },
    'early-stop': { type: 'string' },
    patience: { type: 'string' },
  },
  async run(ctx) {
    const wb = ctx.workbench();
    const parsed = optionsFromArgs(ctx.values);
    const epochsOf = new Map<string, number>();
    const unsubscribe = wb.onEvent((e) => {
      if (e.type === 'training.epoch' || e.type === 'training.finding' || e.type === 'training.action') {
        if (!epochsOf.has(e.run)) epochsOf.set(e.run, wb.training.get(e.run).config.epochs);
        const line = progressLine(e, epochsOf.get(e.run)!);
        if (line) ctx.io.err(`  ${line}`);
      }
    });
    let result: CompareResult;
    try {
      result = await runCompare(wb, {
        recipes: list(ctx.values.recipes),
        models: list(ctx.values.models) as ModelName[],
        project: parsed.project,
        epochs: parsed.epochs,
        seed: parsed.seed,
        backend: parsed.backend,
        repair: parsed.repair,
        earlyStop: parsed.earlyStop,
        patience: parsed.patience,
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
