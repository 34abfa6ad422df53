// The import's one workspace transaction (store/staging.ts commitStaged) takes shortcuts on a large import: the
// content-hash index is dropped and built again when the import brings most of the table's rows, the final
// splits come from the importer's array instead of an UPDATE of the staging file, and the write-ahead log's
// checkpoint is left to the next commit. Each must give exactly the workspace the plain path gives, and a
// failure half-way must leave the workspace as it was, index included.
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { StagingTable, commitStaged } from '../../main/engine/store/staging.ts';
import { createProject } from '../../main/engine/store/projects.ts';
import { insertDataset } from '../../main/engine/store/datasets.ts';
import { newId, nowIso } from '../../main/engine/store/ids.ts';
import type { Db } from '../../main/engine/store/db.ts';
import { ONET, ONET_SPLIT, withWorkspaceDb, workbenchPool } from '../fixtures/data.ts';

const pool = workbenchPool('tb-commit-');
const workbench = () => pool.open();
afterEach(() => pool.closeAll());

const ONET_IMPORT = { text: ['task'], label: 'major_group' };

interface Stored {
  row_number: number;
  text: string;
  label: string;
  split: string;
  content_hash: string;
}

function stored(db: Db, project: string): Stored[] {
  return db
    .prepare(
      'SELECT e.row_number, e.text, e.label, e.split, e.content_hash FROM examples e JOIN projects p ON p.id = e.project_id WHERE p.name = ? ORDER BY e.id',
    )
    .all(project) as Stored[];
}

function schema(db: Db): string[] {
  return (db.prepare("SELECT type || ' ' || name || ': ' || COALESCE(sql, '') AS s FROM sqlite_master ORDER BY type, name").all() as { s: string }[]).map((r) => r.s);
}

describe('the import commit', () => {
  it('gives the same rows, splits and schema whether the hash index is rebuilt (first import) or updated (into a fuller table)', async () => {
    // First import into an empty workspace: the import is all of the table, so the hash index is rebuilt.
    const first = workbench();
    const a = await first.data.importFile(ONET_SPLIT, { project: 'jobs', ...ONET_IMPORT }, { deferIndexRows: 1 });
    // The same file into a workspace that already holds more rows: the index is updated row by row.
    const fuller = workbench();
    await fuller.data.importFile(ONET, { project: 'big-a', ...ONET_IMPORT }, { deferIndexRows: 1 });
    await fuller.data.importFile(ONET, { project: 'big-b', ...ONET_IMPORT }, { deferIndexRows: 1 });
    const b = await fuller.data.importFile(ONET_SPLIT, { project: 'jobs', ...ONET_IMPORT }, { deferIndexRows: 1 });
    expect(b.splits).toEqual(a.splits);
    // The split column's own values, and rows carved from train where the file lacks a split: both survive.
    expect(a.splits.train).toBeGreaterThan(0);
    expect(a.splits.validation).toBeGreaterThan(0);
    expect(a.splits.test).toBeGreaterThan(0);

    const rowsA = withWorkspaceDb(first, (db) => stored(db, 'jobs'));
    const rowsB = withWorkspaceDb(fuller, (db) => stored(db, 'jobs'));
    expect(rowsA.length).toBe(a.rows);
    expect(rowsB).toEqual(rowsA);
    const splitsA = rowsA.reduce<Record<string, number>>((m, r) => ((m[r.split] = (m[r.split] ?? 0) + 1), m), {});
    expect(splitsA).toEqual(a.splits);

    withWorkspaceDb(first, (db) => {
      expect(schema(db)).toEqual(withWorkspaceDb(fuller, (other) => schema(other)));
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      // The duplicate and conflict checks still find their index.
      const plan = db.prepare("EXPLAIN QUERY PLAN SELECT content_hash, COUNT(*) FROM examples WHERE project_id = 'x' GROUP BY content_hash").all() as { detail: string }[];
      expect(plan.map((p) => p.detail).join(' ')).toContain('examples_hash');
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    });
    // The review reads through that index: the same duplicates on both sides.
    expect(first.data.review('jobs').duplicates).toBe(fuller.data.review('jobs').duplicates);
  });

  it('leaves the workspace as it was, hash index included, when the copy fails after the index was dropped', async () => {
    const wb = workbench();
    await wb.data.importFile(ONET_SPLIT, { project: 'jobs', ...ONET_IMPORT });
    const dir = pool.lastDir();
    withWorkspaceDb(wb, (db) => {
      const before = {
        schema: schema(db),
        count: (db.prepare('SELECT COUNT(*) AS n FROM examples').get() as { n: number }).n,
        backlog: db.prepare('SELECT lo, hi FROM fts_backlog ORDER BY lo').all(),
      };
      const file = path.join(dir, 'staging-test.sqlite');
      const stage = new StagingTable(file);
      const values: (string | number)[] = [];
      // More rows than the workspace holds, so the commit takes the rebuild path and drops the index first.
      for (let i = 0; i < before.count + 10; i++) values.push(i + 2, `text ${i}`, i % 2 ? 'a' : 'b', `hash${i}`);
      stage.insert(values);
      stage.finish();
      let projectId = '';
      // A splits array one short: the copy fails on the last staged row, after DROP INDEX ran.
      const splits = new Uint8Array(before.count + 9);
      expect(() =>
        commitStaged(
          db,
          file,
          () => {
            projectId = createProject(db, 'half').id;
            const datasetId = newId('ds');
            insertDataset(db, {
              id: datasetId,
              projectId,
              name: 'half.csv',
              sourcePath: file,
              format: 'csv',
              encoding: 'utf-8',
              textColumns: ['text'],
              labelColumn: 'label',
              splitColumn: null,
              splitSeed: 42,
              rows: before.count + 10,
              skipped: { emptyText: 0, emptyLabel: 0 },
              createdAt: nowIso(),
            });
            return { projectId, datasetId };
          },
          { deferIndex: true, splits },
        ),
      ).toThrow(/has no split/);
      expect(schema(db)).toEqual(before.schema);
      expect((db.prepare('SELECT COUNT(*) AS n FROM examples').get() as { n: number }).n).toBe(before.count);
      expect(db.prepare('SELECT COUNT(*) AS n FROM projects WHERE id = ?').get(projectId)).toEqual({ n: 0 });
      expect(db.prepare('SELECT lo, hi FROM fts_backlog ORDER BY lo').all()).toEqual(before.backlog);
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      fs.rmSync(file, { force: true });
    });
    // And the workspace still imports.
    const again = await wb.data.importFile(ONET_SPLIT, { project: 'jobs-2', ...ONET_IMPORT });
    expect(again.rows).toBeGreaterThan(0);
  });
});
