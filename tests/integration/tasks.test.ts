// Long work as tasks, on a small real workspace: training, lr-find, batch classification, import and the automatic
// search are listed with their progress, stop on tasks.cancel (through the API), and their errors keep their code
// across the worker boundary.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workbench } from '../../main/engine/workbench.ts';
import { createHandlers } from '../../main/api/handlers.ts';
import { dispatch } from '../../main/api/dispatch.ts';
import { TextbenchError } from '../../main/engine/errors.ts';
import type { ApiInput, ApiName, ApiOutput } from '../../shared/api.ts';
import type { TaskInfo, TaskKind } from '../../shared/tasks.ts';
import { miniUciWorkspace, type MiniWorkspace } from '../fixtures/mini-workspace.ts';
import { uciRows } from '../unit/loop-fixtures.ts';

let mini: MiniWorkspace;
let wb: Workbench;
let call: <N extends ApiName>(name: N, input: ApiInput<N>) => Promise<ApiOutput<N>>;

beforeAll(async () => {
  mini = await miniUciWorkspace('textbench-tasks-', { train: 300, test: 60 });
  wb = Workbench.open({ workspace: mini.ws });
  const handlers = createHandlers(wb, { mode: 'browser', version: 'test', maxUploadBytes: null });
  call = async (name, input) => {
    const r = await dispatch(handlers, name, input, { mode: 'browser' });
    if (!r.ok) throw new Error(r.error.message);
    return r.result as never;
  };
});

afterAll(async () => {
  await wb?.close();
  mini.cleanup();
});

/** The first task.changed event of a kind with progress (at least `done`). */
function nextProgress(kind: TaskKind, done = 1): Promise<TaskInfo> {
  return new Promise((resolve) => {
    const off = wb.onEvent((e) => {
      if (e.type === 'task.changed' && e.task.kind === kind && e.task.state === 'running' && (e.task.progress?.done ?? 0) >= done) {
        off();
        resolve(e.task);
      }
    });
  });
}

describe('tasks', () => {
  it('a training run is a task with epoch progress; tasks.cancel stops it (resumable)', async () => {
    const { run } = wb.training.start({ model: 'baseline', epochs: 200, embeddingDim: 8, earlyStop: 'none', batchSize: 8 });
    const task = await nextProgress('training');
    expect(task).toMatchObject({ kind: 'training', run: run.id, progress: { unit: 'epochs', total: 200 } });
    expect((await call('tasks.list', { project: 'mini' })).map((t) => t.id)).toContain(task.id);
    await call('tasks.cancel', { task: task.id });
    const result = await wb.training.wait(run.id);
    expect(result.status).toBe('stopped');
    expect(wb.tasks.get(task.id).state).toBe('cancelled');
    expect(wb.training.get(run.id).hasCheckpoint).toBe(true);
  });

  it('lr-find is a task with step progress; cancelled mid-sweep it rejects with CANCELLED, and its errors keep their code', async () => {
    const sweep = wb.training.lrFind({ model: 'baseline', embeddingDim: 8, steps: 400 });
    const task = await nextProgress('lr-find', 2);
    expect(task.progress).toMatchObject({ total: 400, unit: 'batches' });
    wb.tasks.cancel(task.id);
    await expect(sweep).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(wb.tasks.get(task.id).state).toBe('cancelled');
    // Rebuilt on this side of the worker: a TextbenchError with its code and the field.
    const bad = await wb.training.lrFind({ model: 'baseline', steps: 5 }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(TextbenchError);
    expect(bad).toMatchObject({ code: 'BAD_OPTION', details: { field: 'steps' } });
  });

  it('classifying a file is a task; cancelled, it writes nothing', async () => {
    const r = await wb.training.train({ model: 'baseline', epochs: 1, embeddingDim: 8 });
    const file = path.join(mini.dir, 'many.csv');
    const texts = uciRows().map((row) => row.text);
    fs.writeFileSync(file, ['text', ...Array.from({ length: 60_000 }, (_, i) => `"${texts[i % texts.length]!.replace(/"/g, '""')}"`)].join('\n') + '\n');
    const out = path.join(mini.dir, 'many.out.csv');
    const classifying = wb.models.classifyFile({ run: r.run, file, out });
    const task = await nextProgress('classify-file');
    wb.tasks.cancel(task.id);
    await expect(classifying).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(wb.tasks.get(task.id).state).toBe('cancelled');
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(mini.dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('an import is a task with byte progress; cancelled, the workspace stays as it was', async () => {
    const before = wb.projects.list().length;
    const file = path.join(mini.dir, 'big.csv');
    const rows = uciRows();
    fs.writeFileSync(file, ['text,label', ...Array.from({ length: 200_000 }, (_, i) => `"${rows[i % rows.length]!.text.replace(/"/g, '""')}",${rows[i % rows.length]!.label}`)].join('\n') + '\n');
    const importing = wb.data.importFile(file, { project: 'big', text: ['text'], label: 'label' });
    const task = await nextProgress('import');
    expect(task.progress?.unit).toBe('bytes');
    wb.tasks.cancel(task.id);
    await expect(importing).rejects.toMatchObject({ code: 'IMPORT_CANCELLED' });
    expect(wb.tasks.get(task.id).state).toBe('cancelled');
    expect(wb.projects.list()).toHaveLength(before);
  });

  it('the automatic search is a task; cancelled, it ends with the leaderboard so far', async () => {
    const { search } = await call('training.autoStart', { project: 'mini', trials: 3 });
    expect(wb.tasks.get(search).kind).toBe('auto-search');
    await nextProgress('auto-search');
    await call('tasks.cancel', { task: search });
    const ended = await wb.tasks.settled(search);
    expect(ended.state).toBe('cancelled');
    const status = await call('training.autoStatus', { search });
    expect(status.status).toBe('done');
    expect(status.result!.leaderboard.length).toBeGreaterThanOrEqual(1);
    expect(status.result!.leaderboard.length).toBeLessThan(4);
  });
});
