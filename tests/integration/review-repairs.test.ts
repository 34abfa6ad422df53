// The review's repairs on the real O*NET duties: remove exact duplicates (one copy of each text and label stays,
// the train copy first), re-split texts that sit in several splits, relabel everything a filter matches; each is
// one batch in the audit trail, undone exactly (same ids, labels, splits, label edits), newest batch first.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';

import { ONET, tempDir, tempWorkbench, toCsv, withWorkspaceDb, writeFile } from '../fixtures/data.ts';
import { openWorkspaceDb } from '../../main/engine/store/db.ts';
import { MIGRATIONS } from '../../main/engine/store/migrations.ts';
import { Workbench } from '../../main/engine/workbench.ts';
import { parse } from 'csv-parse/sync';

let wb: Workbench;
let dir: string;
let cleanup: () => Promise<void>;

/** The O*NET rows of four groups, with every repeated text of those groups: 3,000-odd rows with real duplicates, conflicts and leaks. */
function fourGroups(): string {
  const rows = parse(fs.readFileSync(ONET), { columns: true }) as Array<{ task: string; major_group: string }>;
  const keep = new Set(['Management', 'Business and Financial Operations', 'Computer and Mathematical', 'Production']);
  const picked = rows.filter((r) => keep.has(r.major_group));
  return writeFile(dir, 'four.csv', toCsv(['task', 'group'], picked.map((r) => [r.task, r.major_group])));
}

interface Snapshot {
  id: number;
  label: string;
  split: string;
  text: string;
  hash: string;
}

function snapshot(): Snapshot[] {
  return withWorkspaceDb(wb, (db) => db.prepare("SELECT id, label, split, text, content_hash AS hash FROM examples WHERE project_id = (SELECT id FROM projects WHERE name = 'four') ORDER BY id").all() as Snapshot[]);
}

beforeEach(async () => {
  ({ wb, dir, cleanup } = tempWorkbench());
  await wb.data.importFile(fourGroups(), { project: 'four' });
});
afterEach(() => cleanup());

describe('review repairs', () => {
  it('removes the extra copies of each text and label, keeping the train copy, and undo brings them back as they were', () => {
    const before = snapshot();
    const review = wb.data.review('four');
    expect(review.duplicates).toBeGreaterThan(20);
    // A label edit on a copy that will be removed travels with it and comes back.
    const groups = new Map<string, Snapshot[]>();
    for (const r of before) groups.set(`${r.hash}\u0000${r.label}`, [...(groups.get(`${r.hash}\u0000${r.label}`) ?? []), r]);
    const extra = [...groups.values()].filter((g) => g.length > 1).reduce((s, g) => s + g.length - 1, 0);

    const res = wb.data.removeDuplicates('four', 'tester');
    expect(res.changed).toBe(extra);
    expect(res.summary).toMatch(new RegExp(`Removed ${extra.toLocaleString('en-US')} duplicate copies`));
    const after = snapshot();
    expect(after.length).toBe(before.length - extra);
    // One copy of each text+label stays, and it is a train copy whenever the group had one.
    const kept = new Map(after.map((r) => [`${r.hash}\u0000${r.label}`, r]));
    for (const [key, g] of groups) {
      expect(kept.has(key)).toBe(true);
      if (g.some((r) => r.split === 'train')) expect(kept.get(key)!.split).toBe('train');
    }
    // What is left repeated is only texts under different labels (the conflicts are for a person to decide).
    const again = wb.data.review('four');
    expect(again.duplicates).toBe(again.checks.find((c) => c.id === 'duplicates')!.groups!.reduce((s, g) => s + g.ids.length - 1, 0));
    for (const g of again.checks.find((c) => c.id === 'duplicates')!.groups!) expect(new Set(g.labels).size).toBeGreaterThan(1);
    expect(wb.data.changes('four')[0]).toMatchObject({ kind: 'remove', count: extra, author: 'tester', undoneAt: null });

    const undo = wb.data.undo('four');
    expect(undo).toMatchObject({ batchId: res.batchId, kind: 'remove', reverted: extra, skipped: 0 });
    expect(snapshot()).toEqual(before);
    expect(wb.data.changes('four')[0]!.undoneAt).not.toBeNull();
  });

  it('a removed copy with a label edit gets its edit back on undo, under a new id if an import took its id', async () => {
    const before = snapshot();
    const last = before[before.length - 1]!;
    // Make the newest row a duplicate of an earlier train row, so removal takes it (the highest id).
    const twin = before.find((r) => r.split === 'train' && r.label !== 'Production')!;
    withWorkspaceDb(wb, (db) => db.prepare('UPDATE examples SET text = ?, content_hash = (SELECT content_hash FROM examples WHERE id = ?), split = ? WHERE id = ?').run(twin.text, twin.id, 'test', last.id));
    const edit = wb.data.relabel('four', [last.id], twin.label, 'tester');
    expect(edit.changed).toBe(last.label === twin.label ? 0 : 1);
    const res = wb.data.removeDuplicates('four', 'tester');
    expect(snapshot().some((r) => r.id === last.id)).toBe(false);
    // SQLite gives the next row the freed highest id.
    await wb.data.importFile(writeFile(dir, 'one.csv', toCsv(['task', 'group'], [['Repair printers in the office.', 'Production']])), { project: 'four' });
    expect(snapshot().some((r) => r.id === last.id && r.text === 'Repair printers in the office.')).toBe(true);
    const undo = wb.data.undo('four', res.batchId!);
    expect(undo.reverted).toBe(res.changed);
    const back = snapshot().find((r) => r.text === twin.text && r.split === 'test')!;
    expect(back.id).not.toBe(last.id);
    expect(back.label).toBe(twin.label);
    if (edit.changed) expect(wb.data.history('four').some((e) => e.exampleId === back.id && e.newLabel === twin.label)).toBe(true);
  });

  it('re-splits each text shared by splits into one split, and undo restores every split', () => {
    const before = snapshot();
    const leaks = wb.data.review('four').checks.find((c) => c.id === 'leaks')!;
    expect(leaks.count).toBeGreaterThan(5);
    const res = wb.data.resplit('four', 'tester');
    expect(res.changed).toBeGreaterThan(0);
    expect(wb.data.review('four').checks.find((c) => c.id === 'leaks')!.count).toBe(0);
    const after = snapshot();
    expect(after.map((r) => [r.id, r.label])).toEqual(before.map((r) => [r.id, r.label]));
    expect(after.filter((r, i) => r.split !== before[i]!.split).length).toBe(res.changed);
    wb.data.undo('four');
    expect(snapshot()).toEqual(before);
  });

  it('relabels every example a filter matches, as one batch; undo takes the newest batch of any kind first', () => {
    const before = snapshot();
    const conflicts = wb.data.examples('four', { flag: 'conflicts', limit: 1000 });
    expect(conflicts.total).toBeGreaterThan(2);
    // Twins sit next to each other.
    for (let i = 0; i + 1 < conflicts.rows.length; i += 2) expect(conflicts.rows[i]!.contentHash).toBe(conflicts.rows[i + 1]!.contentHash);
    const r = wb.data.relabelMatching('four', { flag: 'conflicts' }, 'Management', 'tester');
    expect(r.changed + r.unchanged).toBe(conflicts.total);
    expect(wb.data.examples('four', { flag: 'conflicts' }).total).toBe(0);
    const split = wb.data.resplit('four', 'tester');
    expect(wb.data.changes('four').map((b) => b.kind).slice(0, 2)).toEqual(['resplit', 'relabel']);
    expect(wb.data.undo('four').batchId).toBe(split.batchId);
    expect(wb.data.undo('four').batchId).toBe(r.batchId);
    expect(snapshot()).toEqual(before);
    expect(wb.data.undo('four').batchId).toBeNull();
    expect(() => wb.data.relabelMatching('four', { search: 'no such words anywhere' }, 'Legal')).toThrow(/No example matches/);
  });
});

describe('migration 6 (edit batches)', () => {
  it('turns the label edits of an older workspace into batches of the audit trail, which undo as before', () => {
    const d = tempDir('tb-mig5-');
    try {
      const v5 = openWorkspaceDb(d, MIGRATIONS.slice(0, 5));
      const now = new Date().toISOString();
      v5.prepare('INSERT INTO projects (id, name, created_at, updated_at, last_used_at) VALUES (?, ?, ?, ?, ?)').run('p1', 'old', now, now, now);
      v5.prepare(
        `INSERT INTO datasets (id, project_id, name, source_path, format, encoding, text_columns, label_column, split_column, split_seed, rows, skipped, created_at)
         VALUES ('d1', 'p1', 'old.csv', '/x/old.csv', 'csv', 'utf-8', '["text"]', 'label', NULL, 42, 2, '{"emptyText":0,"emptyLabel":0}', ?)`,
      ).run(now);
      v5.prepare("INSERT INTO examples (id, project_id, dataset_id, row_number, text, original_label, label, split, content_hash) VALUES (1, 'p1', 'd1', 2, 'a', 'pos', 'neg', 'train', 'h1')").run();
      v5.prepare("INSERT INTO label_edits (project_id, example_id, batch_id, old_label, new_label, author, created_at) VALUES ('p1', 1, 'edit-1', 'pos', 'neg', 'ann', ?)").run(now);
      v5.close();
      const again = Workbench.open({ workspace: d });
      try {
        expect(again.data.changes('old')).toEqual([expect.objectContaining({ id: 'edit-1', kind: 'relabel', count: 1, author: 'ann', undoneAt: null })]);
        expect(again.data.undo('old')).toMatchObject({ batchId: 'edit-1', reverted: 1 });
        expect(again.data.examples('old').rows[0]!.label).toBe('pos');
      } finally {
        void again.close();
      }
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});

