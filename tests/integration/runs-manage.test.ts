// Runs after training: renamed, starred, and deleted with everything they left in the workspace (curve,
// checkpoints, stored predictions, the workspace model made to classify with it), never while training.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workbench } from '../../main/engine/workbench.ts';
import { miniUciWorkspace, type MiniWorkspace } from '../fixtures/mini-workspace.ts';
import { withWorkspaceDb } from '../fixtures/data.ts';

let mini: MiniWorkspace;
let wb: Workbench;

beforeAll(async () => {
  mini = await miniUciWorkspace('textbench-runs-manage-', { train: 200, test: 60 });
  wb = Workbench.open({ workspace: mini.ws });
});

afterAll(async () => {
  await wb.close();
  mini.cleanup();
});

const count = (sql: string, id: string) => withWorkspaceDb(wb, (db) => (db.prepare(sql).get(id) as { n: number }).n);

describe('managing runs', () => {
  it('renames and stars a run; the list and the detail show both', async () => {
    const res = await wb.training.train({ project: 'mini', model: 'linear', epochs: 2 });
    const renamed = wb.training.rename(res.run, '  words and characters  ');
    expect(renamed.name).toBe('words and characters');
    expect(wb.training.star(res.run, true).starred).toBe(true);
    expect(wb.training.list('mini').find((r) => r.id === res.run)).toMatchObject({ name: 'words and characters', starred: true });
    expect(wb.training.get(res.run).starred).toBe(true);
    expect(wb.training.star(res.run, false).starred).toBe(false);
    expect(() => wb.training.rename(res.run, '   ')).toThrow(/needs a name/);
  });

  it('deletes a run with its curve, checkpoints, predictions and workspace model, and leaves the other runs alone', async () => {
    // A network run: it has a curve and checkpoints (a linear run has neither, and is evaluated by cross-validation,
    // not on 'validation'; its deletion is the next test).
    const keep = await wb.training.train({ project: 'mini', model: 'baseline', epochs: 1 });
    const gone = await wb.training.train({ project: 'mini', model: 'baseline', epochs: 2 });
    await wb.training.evaluate(gone.run, 'validation');
    await wb.models.classify({ run: gone.run, texts: ['great phone'] });
    const before = {
      epochs: count('SELECT COUNT(*) AS n FROM run_epochs WHERE run_id = ?', gone.run),
      checkpoints: count('SELECT COUNT(*) AS n FROM run_checkpoints WHERE run_id = ?', gone.run),
      predictions: count('SELECT COUNT(*) AS n FROM run_predictions WHERE run_id = ?', gone.run),
      models: count("SELECT COUNT(*) AS n FROM models WHERE run_id = ? AND source = 'run'", gone.run),
    };
    expect(before.epochs).toBeGreaterThan(0);
    expect(before.checkpoints).toBeGreaterThan(0);
    expect(before.predictions).toBeGreaterThan(0);
    expect(before.models).toBe(1);
    const keptModels = count("SELECT COUNT(*) AS n FROM models WHERE run_id = ? AND source = 'run'", keep.run);

    expect(wb.training.delete(gone.run)).toEqual({ run: gone.run, ...before });
    for (const table of ['run_epochs', 'run_checkpoints', 'run_predictions']) expect(count(`SELECT COUNT(*) AS n FROM ${table} WHERE run_id = ?`, gone.run)).toBe(0);
    expect(count("SELECT COUNT(*) AS n FROM models WHERE run_id = ?", gone.run)).toBe(0);
    expect(wb.training.list('mini').some((r) => r.id === gone.run)).toBe(false);
    expect(() => wb.training.get(gone.run)).toThrow(/No run/);
    // The other run is untouched.
    expect(wb.training.get(keep.run).curve.length).toBe(1);
    expect(count("SELECT COUNT(*) AS n FROM models WHERE run_id = ? AND source = 'run'", keep.run)).toBe(keptModels);
  });

  it('deletes a linear run with its stored model and predictions', async () => {
    const { run } = await wb.training.train({ project: 'mini', model: 'linear' });
    await wb.training.evaluate(run, 'test');
    expect(count('SELECT COUNT(*) AS n FROM run_linear_models WHERE run_id = ?', run)).toBe(1);
    expect(count('SELECT COUNT(*) AS n FROM run_predictions WHERE run_id = ?', run)).toBeGreaterThan(0);
    wb.training.delete(run);
    expect(count('SELECT COUNT(*) AS n FROM run_linear_models WHERE run_id = ?', run)).toBe(0);
    expect(count('SELECT COUNT(*) AS n FROM run_predictions WHERE run_id = ?', run)).toBe(0);
  });

  it('refuses to delete a run while it trains', async () => {
    const { run } = wb.training.start({ project: 'mini', model: 'baseline', epochs: 30 });
    try {
      expect(() => wb.training.delete(run.id)).toThrow(/stop it before deleting it/);
    } finally {
      await wb.training.stop(run.id);
    }
    expect(wb.training.delete(run.id).run).toBe(run.id);
  });
});
