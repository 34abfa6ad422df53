// `textbench lr-find` on a small real workspace: the JSON shape, an exponential sweep and a usable rate.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { miniUciWorkspace, runCli, type MiniWorkspace } from '../fixtures/mini-workspace.ts';

let mini: MiniWorkspace;
let ws: string;

beforeAll(async () => {
  mini = await miniUciWorkspace('textbench-lrfind-', { train: 300, test: 50 });
  ws = mini.ws;
});

afterAll(() => mini.cleanup());

const cli = runCli;

describe('textbench lr-find', () => {
  it('prints {"suggested", "curve": [[lr, loss], …]} from an exponential sweep', async () => {
    const r = await cli(['lr-find', '--workspace', ws, '--model', 'baseline', '--embedding-dim', '16', '--steps', '60', '--json']);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.out).toHaveLength(1);
    const j = JSON.parse(r.out[0]!) as { suggested: number; curve: Array<[number, number]>; stoppedBy: string; method: string };
    expect(typeof j.suggested).toBe('number');
    expect(j.curve.length).toBeGreaterThanOrEqual(10);
    expect(j.curve.length).toBeLessThanOrEqual(60);
    expect(j.curve[0]![0]).toBeCloseTo(1e-7, 12);
    const ratios = j.curve.slice(1).map(([lr], i) => lr / j.curve[i]![0]);
    // Exponential: the same ratio every step (10^(8/59) for 60 steps from 1e-7 to 10).
    for (const q of ratios) expect(q).toBeCloseTo(10 ** (8 / 59), 6);
    expect(j.curve.every(([lr, loss]) => Number.isFinite(lr) && Number.isFinite(loss))).toBe(true);
    // A suggestion inside the sweep, below the rate of the lowest loss; the end of the sweep is worse than its best.
    const lrs = j.curve.map(([lr]) => lr);
    expect(j.suggested).toBeGreaterThan(1e-7);
    expect(j.suggested).toBeLessThan(lrs[lrs.length - 1]!);
    const losses = j.curve.map(([, l]) => l);
    expect(losses[0]! - Math.min(...losses)).toBeGreaterThan(0.05);
  });

  it('prints a chart and the command to train with the suggestion', async () => {
    const r = await cli(['lr-find', '--workspace', ws, '--model', 'baseline', '--embedding-dim', '8', '--steps', '30']);
    expect(r.code, r.err.join('\n')).toBe(0);
    const text = r.out.join('\n');
    expect(text).toMatch(/Suggested learning rate: [0-9.e-]+/);
    expect(text).toMatch(/textbench train --model baseline --lr /);
    expect(text).toContain('*');
  });

  it('refuses a bad sweep with a clear message', async () => {
    const r = await cli(['lr-find', '--workspace', ws, '--min-lr', '1', '--max-lr', '0.1']);
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toMatch(/--min-lr < --max-lr/);
  });

  it('prepares the model exactly as training does: --vectors loads the word vectors (and a missing file is an error)', async () => {
    const vectors = path.join(mini.dir, 'vectors.txt');
    fs.writeFileSync(vectors, ['good 0.1 0.2 0.3 0.4', 'bad -0.1 -0.2 -0.3 -0.4', 'movie 0.5 0.5 0.5 0.5', 'the 0 0 0 0.1'].join('\n') + '\n');
    const r = await cli(['lr-find', '--workspace', ws, '--model', 'baseline', '--vectors', vectors, '--steps', '20', '--json']);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(r.err.join('\n')).toMatch(/vectors: [1-4] of \d+ words found in .*vectors\.txt \(4 dimensions, trainable\)/);
    const missing = await cli(['lr-find', '--workspace', ws, '--model', 'baseline', '--vectors', path.join(mini.dir, 'no-such-vectors.txt'), '--steps', '20']);
    expect(missing.code).toBe(1);
    expect(missing.err.join('\n')).toMatch(/no-such-vectors\.txt does not exist/);
  });
});
