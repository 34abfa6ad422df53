// Training through the worker thread on a small slice of the real UCI data, into a real workspace file:
// the run, its curve, checkpoints and evaluation are stored; stop and resume work; the CLI prints the JSON.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Workbench } from '../../main/engine/workbench.ts';
import { openWorkspaceDb, type Db } from '../../main/engine/store/db.ts';
import { main } from '../../main/cli/index.ts';
import type { WorkbenchEvent } from '../../shared/events.ts';
import { uciRows } from '../unit/loop-fixtures.ts';

let dir: string;
let wb: Workbench;
/** The test's own connection to the workspace, to look at stored rows (the Workbench keeps its own private). */
let db: Db;
const events: WorkbenchEvent[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'textbench-train-'));
  const rows = uciRows();
  const slice = [...rows.filter((r) => r.split === 'train').slice(0, 300), ...rows.filter((r) => r.split === 'test').slice(0, 80)];
  const csv = path.join(dir, 'mini.csv');
  const q = (v: string) => `"${v.replace(/"/g, '""')}"`;
  fs.writeFileSync(csv, ['text,label,split', ...slice.map((r) => [q(r.text), r.label, r.split].join(','))].join('\n') + '\n');
  wb = Workbench.open({ workspace: path.join(dir, 'ws') });
  db = openWorkspaceDb(wb.dir);
  await wb.data.importFile(csv, { project: 'mini', text: ['text'], label: 'label', split: 'split' });
  wb.onEvent((e) => events.push(e));
});

afterAll(async () => {
  db?.close();
  await wb?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('training through the worker', () => {
  let runId = '';

  it('trains, streams events, and stores the run with its curve, checkpoints and evaluation', async () => {
    const result = await wb.training.train({ model: 'baseline', epochs: 2, embeddingDim: 16, earlyStop: 'none', seed: 3 });
    runId = result.run;
    expect(result).toMatchObject({ status: 'finished', model: 'baseline', epochs: 2, bestEpoch: 2 });
    expect(['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu']).toContain(result.backend);
    expect(result.test.accuracy).toBeGreaterThan(0);

    const mine = events.filter((e) => 'run' in e && e.run === runId);
    expect(mine.filter((e) => e.type === 'training.epoch').map((e) => (e.type === 'training.epoch' ? e.metrics.epoch : 0))).toEqual([1, 2]);
    expect(mine.some((e) => e.type === 'training.batch')).toBe(true);
    expect(mine.at(-1)).toMatchObject({ type: 'run.finished', status: 'finished' });

    const d = wb.training.get(runId);
    expect(d.status).toBe('finished');
    expect(d.backend).toBe(result.backend);
    expect(d.curve.map((e) => e.epoch)).toEqual([1, 2]);
    expect(d.config.model).toBe('baseline');
    expect(d.labels).toEqual(['negative', 'positive']);
    expect(d.pipeline?.tokens).toBe('words');
    expect(d.hasCheckpoint).toBe(true);
    expect(d.evaluation?.confusion.matrix.flat().reduce((a, b) => a + b, 0)).toBe(80);
    expect(d.evaluation?.perClass.map((c) => c.label)).toEqual(['negative', 'positive']);
    expect(d.test?.accuracy).toBeCloseTo(d.evaluation!.accuracy, 10);
    const kinds = db.prepare('SELECT kind, epoch FROM run_checkpoints WHERE run_id = ? ORDER BY kind').all(runId);
    expect(kinds).toEqual([
      { kind: 'best', epoch: 2 },
      { kind: 'last', epoch: 2 },
    ]);
    expect(wb.training.list('mini').map((r) => r.id)).toContain(runId);
  });

  it('gives the same metrics for the same seed, data and backend', async () => {
    const opts = { model: 'gru' as const, epochs: 1, units: 8, embeddingDim: 8, seed: 11 };
    const a = await wb.training.train(opts);
    const b = await wb.training.train(opts);
    expect(b.backend).toBe(a.backend);
    expect(b.validation).toEqual(a.validation);
    expect(b.test).toEqual(a.test);
    expect(wb.training.get(b.run).curve[0]!.trainLoss).toBe(wb.training.get(a.run).curve[0]!.trainLoss);
  });

  it('evaluates on another split in a worker and returns the stored test evaluation', async () => {
    const test = await wb.training.evaluate(runId);
    expect(test.split).toBe('test');
    const val = await wb.training.evaluate(runId, 'validation');
    expect(val.split).toBe('validation');
    expect(val.confusion.matrix.flat().reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(val.accuracy).toBeCloseTo(wb.training.get(runId).validation!.accuracy, 10);
  });

  it('stops a running run on request and resumes it from its last checkpoint', async () => {
    const { run } = wb.training.start({ model: 'baseline', epochs: 200, embeddingDim: 8, earlyStop: 'none', batchSize: 8 });
    await new Promise<void>((resolve) => {
      const off = wb.onEvent((e) => {
        if (e.type === 'training.epoch' && e.run === run.id) {
          off();
          resolve();
        }
      });
    });
    const stopped = await wb.training.stop(run.id);
    expect(stopped.status).toBe('stopped');
    expect(stopped.epochs).toBeGreaterThanOrEqual(1);
    expect(stopped.epochs).toBeLessThan(200);
    expect(stopped.test).not.toBeNull();

    const resumedEpochs: number[] = [];
    const off = wb.onEvent((e) => {
      if (e.type === 'training.epoch' && e.run === run.id) resumedEpochs.push(e.metrics.epoch);
    });
    wb.training.resume(run.id, { epochs: stopped.epochs + 1 });
    const result = await wb.training.wait(run.id);
    off();
    expect(result.status).toBe('finished');
    expect(resumedEpochs).toEqual([stopped.epochs + 1]);
    expect(wb.training.get(run.id).curve.map((e) => e.epoch)).toEqual(Array.from({ length: stopped.epochs + 1 }, (_, i) => i + 1));
  });

  it('records a failed run with a message a person can act on', async () => {
    const r = await wb.training.train({ model: 'gru', epochs: 1, vectors: path.join(dir, 'no-such-vectors.txt') });
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/no-such-vectors\.txt does not exist/);
    expect(wb.training.get(r.run).status).toBe('failed');
  });

  it('`train --json` and `evaluate --json` print the documented objects', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    const code = await main(['train', '--workspace', path.join(dir, 'ws'), '--project', 'mini', '--epochs', '1', '--json'], io);
    expect({ code, err: code ? err : [] }).toEqual({ code: 0, err: [] });
    expect(out).toHaveLength(1);
    const r = JSON.parse(out[0]!);
    expect(Object.keys(r)).toEqual(['run', 'status', 'backend', 'device', 'model', 'epochs', 'bestEpoch', 'validation', 'test', 'findings', 'actions', 'samplesPerSecond', 'threads']);
    expect(r.model).toBe('linear');
    expect(Object.keys(r.test)).toEqual(['accuracy', 'macroF1']);
    expect(err.join('\n')).toMatch(/No --model given: training linear/);
    // The linear model has no epochs: it says what cross-validation chose.
    expect(err.join('\n')).toMatch(/chose (words|words\+chars), (SVM|logistic regression), C=[\d.]+ \(cross-validated macro-F1 0\.\d+\)/);

    out.length = 0;
    expect(await main(['evaluate', r.run, '--workspace', path.join(dir, 'ws'), '--json'], io)).toBe(0);
    const e = JSON.parse(out[0]!);
    expect(e).toMatchObject({ run: r.run, split: 'test' });
    expect(Object.keys(e)).toEqual(expect.arrayContaining(['accuracy', 'macroF1', 'perClass', 'confusion']));
    expect(Object.keys(e.perClass[0])).toEqual(['label', 'precision', 'recall', 'f1', 'support']);
    expect(e.confusion.labels).toEqual(['negative', 'positive']);
  });
});
