import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openWorkspaceDb, WORKSPACE_FILE } from '../../main/engine/store/db.ts';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from '../../main/engine/store/migrations.ts';
import { Workbench } from '../../main/engine/workbench.ts';
import { TextbenchError } from '../../main/engine/errors.ts';
import { sentimentRows, tempDir, toCsv, writeFile } from '../fixtures/data.ts';

const dirs: string[] = [];
function freshDir(): string {
  const d = tempDir('tb-migrate-');
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tables(db: Database.Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
}

describe('workspace migrations', () => {
  it('a fresh workspace gets every table, WAL, foreign keys and the latest user_version', () => {
    const db = openWorkspaceDb(freshDir());
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(tables(db)).toEqual(expect.arrayContaining(['projects', 'datasets', 'examples', 'label_edits', 'runs', 'run_epochs', 'models', 'predictions']));
      const cols = (db.prepare('PRAGMA table_info(examples)').all() as { name: string }[]).map((c) => c.name);
      expect(cols).toEqual(['id', 'project_id', 'dataset_id', 'row_number', 'text', 'original_label', 'label', 'split', 'content_hash']);
    } finally {
      db.close();
    }
  });

  it('each migration applies on its own to the database the previous ones left', () => {
    for (let i = 1; i <= MIGRATIONS.length; i++) {
      const db = openWorkspaceDb(freshDir(), MIGRATIONS.slice(0, i));
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS[i - 1]!.version);
      db.close();
    }
  });

  it('an existing workspace with data reopens with its data, and a new migration upgrades it in place', async () => {
    const dir = freshDir();
    const wb = Workbench.open({ workspace: dir });
    const file = writeFile(dir, 'data.csv', toCsv(['text', 'label'], sentimentRows(20)));
    await wb.data.importFile(file, { project: 'kept' });
    wb.data.relabel('kept', [1, 2], 'neutral', 'tester');
    await wb.close();

    const again = Workbench.open({ workspace: dir });
    expect(again.projects.get('kept').examples).toBe(20);
    expect(again.data.history('kept')).toHaveLength(2);
    await again.close();

    const next: Migration = {
      version: SCHEMA_VERSION + 1,
      name: 'test: a column added later',
      up: (db) => db.exec("ALTER TABLE examples ADD COLUMN note TEXT NOT NULL DEFAULT ''"),
    };
    const db = openWorkspaceDb(dir, [...MIGRATIONS, next]);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
      expect((db.prepare('SELECT COUNT(*) AS n FROM examples WHERE note = ?').get('') as { n: number }).n).toBe(20);
    } finally {
      db.close();
    }
  });

  it('a database created at version 1 with rows opens in this version with the rows intact', () => {
    const dir = freshDir();
    const v1 = openWorkspaceDb(dir, MIGRATIONS.slice(0, 1));
    const now = new Date().toISOString();
    v1.prepare('INSERT INTO projects (id, name, created_at, updated_at, last_used_at) VALUES (?, ?, ?, ?, ?)').run('prj-old', 'old', now, now, now);
    v1.prepare(
      `INSERT INTO datasets (id, project_id, name, source_path, format, encoding, text_columns, label_column, split_column, split_seed, rows, skipped, created_at)
       VALUES ('ds-old', 'prj-old', 'old.csv', '/x/old.csv', 'csv', 'utf-8', '["text"]', 'label', NULL, 42, 2, '{"emptyText":0,"emptyLabel":0}', ?)`,
    ).run(now);
    const ex = v1.prepare(
      "INSERT INTO examples (project_id, dataset_id, row_number, text, original_label, label, split, content_hash) VALUES ('prj-old', 'ds-old', ?, ?, ?, ?, 'train', ?)",
    );
    ex.run(2, 'good thing', 'pos', 'pos', 'h1');
    ex.run(3, 'bad thing', 'neg', 'neg', 'h2');
    expect(v1.pragma('user_version', { simple: true })).toBe(1);
    v1.close();
    const db = openWorkspaceDb(dir);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      // Migration 3 made the conflict check an index-only scan.
      expect(
        (db.prepare("EXPLAIN QUERY PLAN SELECT content_hash FROM examples WHERE project_id = 'prj-old' GROUP BY content_hash HAVING COUNT(DISTINCT label) > 1").all() as { detail: string }[])
          .map((r) => r.detail)
          .join(' '),
      ).toMatch(/COVERING INDEX examples_hash/);
      expect(db.prepare("SELECT text, label FROM examples WHERE project_id = 'prj-old' ORDER BY id").all()).toEqual([
        { text: 'good thing', label: 'pos' },
        { text: 'bad thing', label: 'neg' },
      ]);
    } finally {
      db.close();
    }
  });

  it('a migration that fails leaves the database as it was (same version, no half-made tables)', () => {
    const dir = freshDir();
    openWorkspaceDb(dir).close();
    const broken: Migration[] = [
      ...MIGRATIONS,
      { version: SCHEMA_VERSION + 1, name: 'test: ok part', up: (db) => db.exec('CREATE TABLE half_made (x INTEGER)') },
      { version: SCHEMA_VERSION + 2, name: 'test: fails', up: (db) => db.exec('ALTER TABLE no_such_table ADD COLUMN y') },
    ];
    expect(() => openWorkspaceDb(dir, broken)).toThrow(/no_such_table/);
    const db = new Database(path.join(dir, WORKSPACE_FILE));
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(tables(db)).not.toContain('half_made');
    } finally {
      db.close();
    }
  });

  it('a workspace written by a newer Textbench is refused with a clear message, untouched', () => {
    const dir = freshDir();
    openWorkspaceDb(dir).close();
    const raw = new Database(path.join(dir, WORKSPACE_FILE));
    raw.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    raw.close();
    let caught: unknown;
    try {
      Workbench.open({ workspace: dir });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TextbenchError);
    expect((caught as TextbenchError).code).toBe('WORKSPACE_TOO_NEW');
    expect((caught as Error).message).toMatch(/newer version of Textbench/);
    expect((caught as Error).message).toContain(path.join(dir, WORKSPACE_FILE));
    const check = new Database(path.join(dir, WORKSPACE_FILE));
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 5);
    check.close();
  });
});
