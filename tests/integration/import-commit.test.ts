// The import's one workspace transaction (store/staging.ts commitStaged) takes shortcuts on a large import: the
// content-hash index is dropped and built again when the import brings most of the table's rows, the full-text
// index's insert trigger is dropped for the copy of a deferred import and created again, the final splits come
// from the importer's array instead of an UPDATE of the staging file, and the write-ahead log's checkpoint is left
// to the next commit. Each must give exactly the workspace the plain path gives, and a failure or a kill -9
// half-way must leave the workspace as it was, index and trigger included.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { StagingTable, commitStaged } from '../../main/engine/store/staging.ts';
import { createProject } from '../../main/engine/store/projects.ts';
import { insertDataset } from '../../main/engine/store/datasets.ts';
import { newId, nowIso } from '../../main/engine/store/ids.ts';
import type { Db } from '../../main/engine/store/db.ts';
import { WORKSPACE_FILE, WORKSPACE_PAGE_SIZE, openWorkspaceDb } from '../../main/engine/store/db.ts';
import { openDatabase } from '../../main/engine/store/native.ts';
import { ONET, ONET_SPLIT, repoRoot, tempDir, withWorkspaceDb, workbenchPool } from '../fixtures/data.ts';

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
      // A splits array one short: the copy fails on the last staged row (its split is NULL), after DROP INDEX and
      // DROP TRIGGER ran.
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
      ).toThrow(/NOT NULL constraint failed: examples\.split/);
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

  it('makes new workspaces with 16 KB pages, while one made with 4 KB pages keeps them and imports the same rows', async () => {
    const fresh = workbench();
    const a = await fresh.data.importFile(ONET_SPLIT, { project: 'jobs', ...ONET_IMPORT }, { deferIndexRows: 1 });
    // A workspace file as versions before WORKSPACE_PAGE_SIZE made it: SQLite's default 4 KB pages.
    const oldDir = pool.dir();
    const file = path.join(oldDir, WORKSPACE_FILE);
    const raw = openDatabase(file);
    raw.pragma('page_size = 4096');
    raw.pragma('journal_mode = WAL');
    raw.close();
    const old = pool.open(oldDir);
    const b = await old.data.importFile(ONET_SPLIT, { project: 'jobs', ...ONET_IMPORT }, { deferIndexRows: 1 });
    expect(b.splits).toEqual(a.splits);
    withWorkspaceDb(fresh, (db) => expect(db.pragma('page_size', { simple: true })).toBe(WORKSPACE_PAGE_SIZE));
    withWorkspaceDb(old, (db) => {
      expect(db.pragma('page_size', { simple: true })).toBe(4096);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(stored(db, 'jobs')).toEqual(withWorkspaceDb(fresh, (other) => stored(other, 'jobs')));
    });
  });

  it('leaves the trigger and indexes as a fresh workspace has them, and a later small import is indexed by the trigger', async () => {
    const wb = workbench();
    // Deferred (the trigger is dropped and created again around the copy), then inline (the trigger indexes it).
    const big = await wb.data.importFile(ONET, { project: 'big', ...ONET_IMPORT }, { deferIndexRows: 1 });
    const small = await wb.data.importFile(ONET_SPLIT, { project: 'small', ...ONET_IMPORT }, { deferIndexRows: Number.POSITIVE_INFINITY });
    await wb.data.finishSearchIndex();
    const fresh = workbench();
    const freshSchema = withWorkspaceDb(fresh, (db) => schema(db));
    withWorkspaceDb(wb, (db) => {
      expect(schema(db)).toEqual(freshSchema);
      const n = (sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;
      // The big import went to the backlog (the background indexer may have taken some of it since); every row of
      // the small one was indexed by the trigger, in its own transaction.
      expect(n('SELECT COUNT(*) AS n FROM examples')).toBe(big.rows + small.rows);
      const smallIds = "SELECT e.id FROM examples e JOIN projects p ON p.id = e.project_id WHERE p.name = 'small'";
      expect(n(`SELECT COUNT(*) AS n FROM examples_fts_docsize WHERE id IN (${smallIds})`)).toBe(small.rows);
      expect(n(`SELECT COUNT(*) AS n FROM fts_backlog b WHERE EXISTS (SELECT 1 FROM examples e WHERE e.id BETWEEN b.lo AND b.hi AND e.id IN (${smallIds}))`)).toBe(0);
      const word = (db.prepare(`SELECT text FROM examples WHERE id IN (${smallIds}) LIMIT 1`).get() as { text: string }).text.match(/[A-Za-z]{6,}/)![0];
      expect(n("SELECT COUNT(*) AS n FROM examples_fts WHERE examples_fts MATCH ?", `"${word}"`)).toBeGreaterThan(0);
      db.exec("INSERT INTO examples_fts (examples_fts, rank) VALUES ('integrity-check', 1)");
    });
  });

  // kill -9 of the importing process at the worst moments of the deferred copy: every staged row copied, the
  // trigger and the content-hash index dropped and not yet created again, much of the transaction already spilled
  // into the write-ahead log. The next process must find the workspace exactly as before.
  for (const at of ['CREATE TRIGGER', 'CREATE INDEX'] as const) {
    it(`leaves the workspace as it was when the process is killed just before ${at} at the end of the copy`, async () => {
      const wb = workbench();
      await wb.data.importFile(ONET_SPLIT, { project: 'jobs', ...ONET_IMPORT });
      const ws = wb.dir;
      await pool.close(wb);
      const before = (() => {
        const db = openWorkspaceDb(ws);
        try {
          return {
            schema: schema(db),
            examples: db.prepare('SELECT id, text, label, split, content_hash FROM examples ORDER BY id').all(),
            projects: db.prepare('SELECT id, name, updated_at FROM projects ORDER BY id').all(),
            backlog: db.prepare('SELECT lo, hi FROM fts_backlog ORDER BY lo').all(),
          };
        } finally {
          db.close();
        }
      })();
      const dir = tempDir('tb-commit-kill-');
      try {
        const marker = path.join(dir, 'copied');
        const script = path.join(dir, 'commit.mts');
        fs.writeFileSync(
          script,
          `import fs from 'node:fs';
import path from 'node:path';
import { openWorkspaceDb } from ${JSON.stringify(path.join(repoRoot, 'main/engine/store/db.ts'))};
import { StagingTable, commitStaged } from ${JSON.stringify(path.join(repoRoot, 'main/engine/store/staging.ts'))};
import { createProject } from ${JSON.stringify(path.join(repoRoot, 'main/engine/store/projects.ts'))};
import { insertDataset } from ${JSON.stringify(path.join(repoRoot, 'main/engine/store/datasets.ts'))};
import { newId, nowIso } from ${JSON.stringify(path.join(repoRoot, 'main/engine/store/ids.ts'))};
const [ws, stagingFile, marker, at, rows] = process.argv.slice(2);
const n = Number(rows);
const stage = new StagingTable(stagingFile);
const values = [];
// Long texts, so that the transaction spills pages into the write-ahead log long before it ends.
for (let i = 0; i < n; i++) values.push(i + 2, 'staged text number ' + i + ' ' + 'word '.repeat(200), i % 3 ? 'a' : 'b', 'hash' + i);
stage.insert(values);
stage.finish();
const db = openWorkspaceDb(ws);
const exec = db.exec.bind(db);
db.exec = (sql) => {
  if (sql.startsWith(at)) {
    fs.writeFileSync(marker, String(db.prepare('SELECT COUNT(*) AS n FROM examples').get().n));
    process.kill(process.pid, 'SIGKILL');
  }
  return exec(sql);
};
commitStaged(db, stagingFile, () => {
  const projectId = createProject(db, 'killed').id;
  const datasetId = newId('ds');
  insertDataset(db, { id: datasetId, projectId, name: 'killed.csv', sourcePath: stagingFile, format: 'csv', encoding: 'utf-8', textColumns: ['text'], labelColumn: 'label', splitColumn: null, splitSeed: 42, rows: n, skipped: { emptyText: 0, emptyLabel: 0 }, createdAt: nowIso() });
  return { projectId, datasetId };
}, { deferIndex: true, splits: new Uint8Array(n) });
process.stdout.write('committed');
`,
        );
        // More rows than the workspace holds, so that the hash index is rebuilt (dropped before the copy).
        const rows = before.examples.length + 5000;
        const out = spawnSync(process.execPath, ['--import', 'tsx', script, ws, path.join(dir, 'staging.db'), marker, at, String(rows)], { cwd: repoRoot, encoding: 'utf8' });
        expect(out.signal, out.stderr).toBe('SIGKILL');
        // Killed after the copy: the dying transaction held every staged row.
        expect(Number(fs.readFileSync(marker, 'utf8'))).toBe(before.examples.length + rows);
        expect(fs.statSync(path.join(ws, 'textbench.db-wal')).size).toBeGreaterThan(rows * 500);
        const db = openWorkspaceDb(ws);
        try {
          expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
          expect(schema(db)).toEqual(before.schema);
          expect(db.prepare('SELECT id, text, label, split, content_hash FROM examples ORDER BY id').all()).toEqual(before.examples);
          expect(db.prepare('SELECT id, name, updated_at FROM projects ORDER BY id').all()).toEqual(before.projects);
          expect(db.prepare('SELECT lo, hi FROM fts_backlog ORDER BY lo').all()).toEqual(before.backlog);
        } finally {
          db.close();
        }
        // The workspace goes on: its backlog is indexed, and the index then matches the table.
        const again = pool.open(ws);
        await again.data.finishSearchIndex();
        withWorkspaceDb(again, (db) => db.exec("INSERT INTO examples_fts (examples_fts, rank) VALUES ('integrity-check', 1)"));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);
  }
});
