// `textbench compare` on a small real workspace: each entry is an ordinary stored run on the same split,
// and the leaderboard has the columns the issue names, sorted by test macro-F1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workbench } from '../../main/engine/workbench.ts';
import type { CompareResult } from '../../shared/doctor.ts';
import { miniUciWorkspace, runCli, type MiniWorkspace } from '../fixtures/mini-workspace.ts';

let mini: MiniWorkspace;
let ws: string;

beforeAll(async () => {
  mini = await miniUciWorkspace('textbench-compare-', { train: 240, test: 60 });
  ws = mini.ws;
});

afterAll(() => mini.cleanup());

const cli = runCli;

describe('textbench compare', () => {
  it('trains a recipe and a model on the same split and prints one leaderboard as JSON', async () => {
    const r = await cli(['compare', '--workspace', ws, '--recipes', 'sentiment-ffnn', '--models', 'linear', '--epochs', '2', '--json']);
    expect(r.code, r.err.join('\n')).toBe(0);
    const j = JSON.parse(r.out[0]!) as CompareResult;
    expect(j.project).toBe('mini');
    expect(j.split).toEqual({ train: expect.any(Number), validation: expect.any(Number), test: 60 });
    expect(j.rows.map((x) => x.name).sort()).toEqual(['linear', 'sentiment-ffnn']);
    for (const row of j.rows) {
      expect(row.status).toBe('finished');
      expect(row.test!.accuracy).toBeGreaterThan(0);
      expect(row.test!.macroF1).toBeGreaterThan(0);
      expect(row.seconds).toBeGreaterThan(0);
      if (row.name === 'linear') {
        // One exact fit chosen by cross-validation: no epochs, no training throughput.
        expect(row.epochs).toBe(0);
      } else {
        expect(row.epochs).toBeGreaterThanOrEqual(1);
        expect(row.samplesPerSecond).toBeGreaterThan(0);
      }
      expect(['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu']).toContain(row.backend);
      expect(Array.isArray(row.findings)).toBe(true);
    }
    expect(j.rows[0]!.test!.macroF1).toBeGreaterThanOrEqual(j.rows[1]!.test!.macroF1);
    // Each row is an ordinary run, trained with its recipe's settings.
    const wb = Workbench.open({ workspace: ws });
    try {
      const ffnn = wb.training.get(j.rows.find((x) => x.name === 'sentiment-ffnn')!.run!);
      expect(ffnn.config).toMatchObject({ recipe: 'sentiment-ffnn', optimizer: 'rmsprop', epochs: 2 });
      const lin = wb.training.get(j.rows.find((x) => x.name === 'linear')!.run!);
      expect(lin.config.model).toBe('linear');
      expect(lin.labels).toEqual(ffnn.labels);
    } finally {
      await wb.close();
    }
  });

  it('refuses an unknown recipe before training anything', async () => {
    const r = await cli(['compare', '--workspace', ws, '--recipes', 'no-such-recipe', '--models', 'linear']);
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toMatch(/Unknown recipe "no-such-recipe"/);
  });
});
