// The automatic search on a small real workspace: the default baseline first, random trials with successive
// halving (continued runs), a leaderboard ranked by validation macro-F1, the best run kept, and a plain verdict.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Workbench } from '../../main/engine/workbench.ts';
import { parseBudget, sampleTrial, trialOptions } from '../../main/engine/train/search.ts';
import { mulberry32 } from '../../main/engine/train/rng.ts';
import { uciRows } from '../unit/loop-fixtures.ts';

let dir: string;
let wb: Workbench;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'textbench-search-'));
  const rows = uciRows();
  const slice = [...rows.filter((r) => r.split === 'train').slice(0, 240), ...rows.filter((r) => r.split === 'test').slice(0, 60)];
  const csv = path.join(dir, 'mini.csv');
  const q = (v: string) => `"${v.replace(/"/g, '""')}"`;
  fs.writeFileSync(csv, ['text,label,split', ...slice.map((r) => [q(r.text), r.label, r.split].join(','))].join('\n') + '\n');
  wb = Workbench.open({ workspace: path.join(dir, 'ws') });
  await wb.data.importFile(csv, { project: 'mini', text: ['text'], label: 'label', split: 'split' });
});

afterAll(async () => {
  await wb?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('automatic search', () => {
  it('parses budgets', () => {
    expect(parseBudget('15m')).toBe(900);
    expect(parseBudget('90s')).toBe(90);
    expect(parseBudget('1h30m')).toBe(5400);
    expect(parseBudget('600')).toBe(600);
    expect(() => parseBudget('soon')).toThrow(/--budget expects a duration/);
  });

  it('samples every knob the issue names, reproducibly', () => {
    const a = Array.from({ length: 40 }, ((r) => () => sampleTrial(r, ['baseline', 'gru', 'lstm', 'bigru', 'bilstm']))(mulberry32(1)));
    const b = Array.from({ length: 40 }, ((r) => () => sampleTrial(r, ['baseline', 'gru', 'lstm', 'bigru', 'bilstm']))(mulberry32(1)));
    expect(b).toEqual(a);
    expect(new Set(a.map((t) => t.model)).size).toBeGreaterThanOrEqual(4);
    expect(new Set(a.map((t) => t.loss))).toEqual(new Set(['ce', 'class-weighted', 'topk']));
    expect(new Set(a.map((t) => t.batchSize)).size).toBeGreaterThan(1);
    expect(new Set(a.map((t) => t.dropout)).size).toBeGreaterThan(1);
    expect(new Set(a.filter((t) => t.model !== 'baseline').map((t) => t.layers))).toEqual(new Set([1, 2]));
    const topk = trialOptions({ ...a[0]!, loss: 'topk', batchSize: 64 }, 3);
    expect(topk).toMatchObject({ loss: 'topk', k: 16, epochs: 3, earlyStop: 'macro-f1' });
    expect(trialOptions({ ...a[0]!, loss: 'class-weighted' }, 3).classWeights).toBe('balanced');
  });

  it('trains the defaults, then trials with successive halving, then the ensemble, and keeps the best by validation macro-F1', async () => {
    const lines: string[] = [];
    const r = await wb.training.autoSearch({
      trials: 3,
      rungs: [1, 2, 3],
      keep: 0.5,
      families: ['linear', 'baseline', 'gru'],
      seed: 3,
      fixed: { sequenceLength: 16, embeddingDim: 16, units: 8 },
      log: (m) => lines.push(m),
    });
    // Baseline, linear and gru with their defaults, 3 trials and the ensemble on the leaderboard, ranked by
    // validation macro-F1; the linear model is never drawn as a trial (it chooses its own settings).
    expect(r.leaderboard).toHaveLength(7);
    expect(r.leaderboard.filter((e) => e.kind === 'model').map((e) => e.name).sort()).toEqual(['baseline (defaults)', 'ensemble (defaults)', 'gru (defaults)', 'linear (defaults)']);
    expect(r.leaderboard.filter((e) => e.kind === 'trial').every((e) => e.settings.model !== 'linear')).toBe(true);
    expect(r.leaderboard.find((e) => e.name === 'ensemble (defaults)')?.status).toBe('finished');
    const v = r.leaderboard.map((e) => e.validation?.macroF1 ?? -1);
    expect([...v].sort((a, b) => b - a)).toEqual(v);
    expect(r.baseline?.name).toBe('baseline (defaults)');
    expect(r.best).toEqual(r.leaderboard[0]);
    expect(r.run).toBe(r.best!.run);
    expect(wb.training.get(r.run!).status).toMatch(/finished|stopped/);
    // Successive halving continued at least one trial past rung 0 (a resumed run).
    expect(lines.some((l) => /continuing trial/.test(l))).toBe(true);
    const continued = r.leaderboard.filter((e) => e.kind === 'trial' && e.epochs > 1);
    expect(continued.length).toBeGreaterThanOrEqual(1);
    // Plain words: which family won and by how much, then recurrent models vs the baseline.
    const fam = (m: unknown) => (['linear', 'baseline', 'ensemble'].includes(String(m)) ? String(m) : 'recurrent');
    const family = { linear: 'The linear model', baseline: 'The embedding baseline', ensemble: 'The ensemble', recurrent: 'A recurrent model' }[fam(r.best!.settings.model)];
    const runnerUp = r.leaderboard.find((e) => e.validation && fam(e.settings.model) !== fam(r.best!.settings.model))!;
    const margin = (r.best!.validation!.macroF1 - runnerUp.validation!.macroF1).toFixed(3);
    expect(r.verdict.startsWith(`${family} won: ${r.best!.name} reached validation macro-F1 ${r.best!.validation!.macroF1.toFixed(3)}, ${margin} above the best `)).toBe(true);
    expect(r.verdict).toMatch(/ (Yes|No): |No recurrent model was searched or finished/);
    if (r.recurrentBeatBaseline !== null) expect(r.verdict).toContain(r.recurrentBeatBaseline ? ' Yes: ' : ' No: ');
    // Seven trainings: about a minute alone, several on a machine shared with other test runs.
  }, 900_000);

  it('stops at a time budget', async () => {
    const r = await wb.training.autoSearch({ budgetSeconds: 8, baseline: false, families: ['baseline'], rungs: [1, 2, 3], fixed: { sequenceLength: 16, embeddingDim: 8 }, seed: 9 });
    expect(r.leaderboard.length).toBeGreaterThanOrEqual(1);
    // It stops for the budget: past the 8 s it runs at most the tail of the trial under way and the kept run's
    // evaluation. Measured against the trials' own durations rather than a fixed number of seconds, so a loaded
    // machine (slower trials, slower tail) does not fail it.
    const longest = Math.max(...r.leaderboard.map((e) => e.seconds ?? 0));
    expect(r.budget.seconds).toBe(8);
    expect(r.seconds).toBeLessThanOrEqual(8 + 2 * longest + 10);
  });

  it('is what `textbench train --model auto` runs, with the search result and the kept run on --json', async () => {
    const { main } = await import('../../main/cli/index.ts');
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['train', '--workspace', wb.dir, '--model', 'auto', '--trials', '1', '--families', 'baseline', '--json'], { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(code, err.join('\n')).toBe(0);
    const j = JSON.parse(out[0]!) as { leaderboard: unknown[]; run: string; verdict: string; model: string; test: { macroF1: number } };
    expect(j.leaderboard).toHaveLength(2);
    expect(j.model).toBe('auto');
    expect(j.run).toMatch(/^run-/);
    expect(j.test.macroF1).toBeGreaterThan(0);
    const bad: string[] = [];
    expect(await main(['train', '--workspace', wb.dir, '--model', 'auto'], { out: () => {}, err: (l) => bad.push(l) })).toBe(1);
    expect(bad.join('\n')).toMatch(/--budget 15m/);
    // The default baseline (30 epochs) and a trial: 25 s alone, over 180 s on a machine shared with other test runs.
  }, 600_000);

  it('needs a budget', async () => {
    await expect(wb.training.autoSearch({})).rejects.toThrow(/--budget 15m .* or --trials N/);
  });
});
