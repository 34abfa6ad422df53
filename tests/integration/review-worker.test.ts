// The review of a large project runs in a worker thread with progress events, and says exactly what the inline
// review says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { repoRoot, tempWorkbench } from '../fixtures/data.ts';
import type { Workbench } from '../../main/engine/workbench.ts';
import type { WorkbenchEvent } from '../../shared/events.ts';
import { reviewInBackground, reviewTask } from '../../main/engine/data/review-background.ts';
import { openWorkspaceDb } from '../../main/engine/store/db.ts';

let wb: Workbench;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ wb, dir, cleanup } = tempWorkbench());
  await wb.data.importFile(path.join(repoRoot, 'assets/sample/job-duties.csv'), { project: 'duties' });
});
afterAll(() => cleanup());

describe('review in a worker', () => {
  it('gives the inline report and streams progress up to the number of examples', async () => {
    const events: WorkbenchEvent[] = [];
    const off = wb.onEvent((e) => events.push(e));
    const p = wb.projects.get('duties');
    try {
      const db = openWorkspaceDb(dir);
      try {
        const inWorker = await reviewInBackground({ db, dir, emit: (e) => events.push(e) }, p, p.examples, 0);
        expect(inWorker).toEqual(wb.data.review('duties'));
      } finally {
        db.close();
      }
    } finally {
      off();
    }
    const progress = events.filter((e) => e.type === 'task.progress' && e.task === reviewTask(p.id)) as Array<Extract<WorkbenchEvent, { type: 'task.progress' }>>;
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[0]).toMatchObject({ done: 0, total: 898, unit: 'rows' });
    expect(progress.at(-1)).toMatchObject({ done: 898, total: 898 });
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.done).toBeGreaterThanOrEqual(progress[i - 1]!.done);
  });

  it('reports a missing project as the inline review does', async () => {
    await expect(wb.data.reviewInBackground('no such project')).rejects.toThrow(/No project/);
  });
});
