// The renderer's rune stores against the real API: a client that dispatches straight into the same handlers
// `serve` and Electron use, over a real workspace in a temp dir (no network, no browser).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Workbench } from '../../main/engine/workbench.ts';
import { createHandlers } from '../../main/api/handlers.ts';
import { dispatch } from '../../main/api/dispatch.ts';
import type { ApiEvent, ApiInput, ApiName, ApiOutput } from '../../shared/api.ts';
import { ApiCallError, unwrap, type ApiClient } from '../../renderer/src/api/client.ts';
import { AppState } from '../../renderer/src/state/app.svelte.ts';
import { ExamplesStore, PAGE_SIZE } from '../../renderer/src/state/examples.svelte.ts';
import { LiveRuns } from '../../renderer/src/state/training.svelte.ts';
import { TaskList, taskProgressText } from '../../renderer/src/state/tasks.svelte.ts';
import { EMPTY_FILTER } from '../../renderer/src/lib/filters.ts';

let dir: string;
let wb: Workbench;
let client: ApiClient & { calls: string[] };
let projectId: string;

function directClient(workbench: Workbench): ApiClient & { calls: string[] } {
  const handlers = createHandlers(workbench, { mode: 'browser', version: 'test', maxUploadBytes: null });
  const calls: string[] = [];
  return {
    calls,
    mode: 'browser',
    async call<N extends ApiName>(name: N, input: ApiInput<N>): Promise<ApiOutput<N>> {
      calls.push(name);
      return unwrap<ApiOutput<N>>(await dispatch(handlers, name, input, { mode: 'browser' }));
    },
    onEvent: (listener: (e: ApiEvent) => void) => workbench.onEvent(listener),
    onMenu: () => () => {},
    fileToPath: async () => {
      throw new Error('not used');
    },
    downloadUrl: (l) => l,
  };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-stores-'));
  wb = Workbench.open({ workspace: path.join(dir, 'ws') });
  client = directClient(wb);
  const file = path.join(dir, 'reviews.csv');
  const lines = ['text,label,split'];
  for (let i = 0; i < 450; i++) lines.push(`review number ${i} says it is ${i % 3 ? 'fine' : 'awful'},${i % 3 ? 'pos' : 'neg'},${i % 10 === 0 ? 'test' : i % 10 === 1 ? 'validation' : 'train'}`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const res = await client.call('data.import', { file, project: 'reviews', text: ['text'], label: 'label', split: 'split' });
  projectId = res.projectId;
});

afterAll(async () => {
  await wb?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('AppState', () => {
  it('starts on the data of the most recent project', async () => {
    const app = new AppState(client);
    await app.start();
    expect(app.info?.mode).toBe('browser');
    expect(app.projects.map((p) => p.name)).toEqual(['reviews']);
    expect(app.projectId).toBe(projectId);
    expect(app.project?.examples).toBe(450);
    expect(app.view).toBe('data');
  });

  it('turns a failed call into an error notice that says where', async () => {
    const app = new AppState(client);
    const r = await app.attempt(() => client.call('data.preview', { file: path.join(dir, 'missing.csv') }));
    expect(r).toBeUndefined();
    expect(app.notices.length).toBe(1);
    expect(app.notices[0]!.tone).toBe('error');
    expect(app.notices[0]!.text).toMatch(/missing\.csv/);
  });

  it('carries a filter from another view into the Data view', () => {
    const app = new AppState(client);
    app.showData({ ids: [1, 2], split: 'test' });
    expect(app.view).toBe('data');
    expect(app.dataFilter).toEqual({ ...EMPTY_FILTER, ids: [1, 2], split: 'test' });
  });
});

describe('ExamplesStore', () => {
  it('loads the first page, then the pages the list scrolls to', async () => {
    const store = new ExamplesStore(client);
    await store.setFilter(projectId, EMPTY_FILTER);
    expect(store.total).toBe(450);
    expect(store.row(0)?.text).toBe('review number 0 says it is awful');
    expect(store.row(PAGE_SIZE + 5)).toBeUndefined();
    await store.ensure(PAGE_SIZE * 2 - 10, PAGE_SIZE * 2 + 10);
    expect(store.row(PAGE_SIZE + 195)?.text).toBe(`review number ${PAGE_SIZE + 195} says it is ${(PAGE_SIZE + 195) % 3 ? 'fine' : 'awful'}`);
    expect(store.row(449)?.rowNumber).toBe(451);
  });

  it('does not refetch a page it has, and resets when the filter changes', async () => {
    const store = new ExamplesStore(client);
    await store.setFilter(projectId, EMPTY_FILTER);
    const before = client.calls.length;
    await store.ensure(0, 50);
    await store.setFilter(projectId, { ...EMPTY_FILTER });
    expect(client.calls.length).toBe(before);
    await store.setFilter(projectId, { ...EMPTY_FILTER, label: 'neg', split: 'train' });
    expect(store.total).toBe(wb.data.examples(projectId, { label: 'neg', split: 'train' }).total);
    expect(store.row(0)?.label).toBe('neg');
    await store.setFilter(projectId, { ...EMPTY_FILTER, search: 'number 44' });
    expect(store.total).toBe(wb.data.examples(projectId, { search: 'number 44' }).total);
    expect(store.total).toBeGreaterThan(0);
  });

  it('shows a relabel after refresh, and the undo after the next', async () => {
    const store = new ExamplesStore(client);
    await store.setFilter(projectId, EMPTY_FILTER);
    const first = store.row(0)!;
    await client.call('data.relabel', { project: projectId, ids: [first.id], label: 'pos' });
    await store.refresh(0, 10);
    expect(store.row(0)?.label).toBe('pos');
    expect(store.row(0)?.originalLabel).toBe('neg');
    await client.call('data.undo', { project: projectId });
    await store.refresh(0, 10);
    expect(store.row(0)?.label).toBe('neg');
  });

  it('keeps the error of a failed page for the view', async () => {
    const store = new ExamplesStore(client);
    await store.setFilter('no-such-project', EMPTY_FILTER);
    expect(store.error).toMatch(/No project named/);
    expect(store.total).toBe(0);
  });
});

describe('LiveRuns', () => {
  it('folds events per run and says when a run ended', () => {
    const live = new LiveRuns();
    const ended: string[] = [];
    live.onEnded = (r) => ended.push(r);
    live.handle({ type: 'training.batch', run: 'a', epoch: 1, batch: 1, batches: 2, loss: 0.6, samplesPerSecond: 10, etaSeconds: 3 });
    live.handle({ type: 'import.progress', task: 'import', done: 1, total: 2, unit: 'rows' });
    live.handle({ type: 'run.failed', run: 'b', error: 'boom' });
    expect(Object.keys(live.runs).sort()).toEqual(['a', 'b']);
    expect(live.get('a')?.batch?.batches).toBe(2);
    expect(live.get('b')?.status).toBe('failed');
    expect(ended).toEqual(['b']);
    expect(live.get(null)).toBeNull();
  });
});

describe('TaskList', () => {
  it('lists the running task from the engine, follows its progress, stops it, and shows how it ended', async () => {
    const tasks = new TaskList(client);
    const off = client.onEvent((e) => tasks.handle(e));
    try {
      // Real engine work as a task: it reports progress, then waits until it is cancelled.
      const { task, done } = wb.tasks.run({ kind: 'compare', title: 'Comparing 2 models on reviews', project: projectId }, async (t) => {
        t.progress({ done: 1, total: 2, unit: 'runs' });
        await new Promise((resolve) => t.signal.addEventListener('abort', resolve, { once: true }));
        throw new Error('stopped');
      });
      await tasks.load();
      expect(tasks.running.map((t) => t.id)).toEqual([task.id]);
      await expect.poll(() => taskProgressText(tasks.running[0]!)).toBe('1 of 2 runs');
      await tasks.stop(task.id);
      await expect(done).rejects.toThrow('stopped');
      await expect.poll(() => tasks.shown[0]?.state).toBe('cancelled');
      expect(tasks.running).toEqual([]);
      expect(tasks.stopping).toEqual([]);
    } finally {
      off();
    }
  });

  it("says progress in a person's words", () => {
    expect(taskProgressText({ progress: null })).toBe('');
    expect(taskProgressText({ progress: { done: 3, total: 20, unit: 'epochs' } })).toBe('3 of 20 epochs');
    expect(taskProgressText({ progress: { done: 1_200_000, total: 4_000_000, unit: 'bytes' } })).toBe('1.2 MB of 4.0 MB');
    expect(taskProgressText({ progress: { done: 12_500, total: null, unit: 'rows' } })).toBe('12,500 rows');
  });
});

describe('client errors', () => {
  it('carries the code, details and field issues of a refused call', async () => {
    const err = await client.call('projects.create', { name: '' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiCallError);
    expect((err as ApiCallError).code).toBe('INVALID_INPUT');
    expect((err as ApiCallError).issues[0]).toMatch(/^name:/);
  });
});
