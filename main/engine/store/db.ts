import { openDatabase } from './native.ts';
import type { Database as Db } from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MIGRATIONS, type Migration } from './migrations.ts';
import { BUSY_TIMEOUT_MS, TextbenchError } from '../errors.ts';

export { BUSY_TIMEOUT_MS };

export type { Db };

export const WORKSPACE_FILE = 'textbench.db';

/**
 * Page size of a new workspace file; a file keeps the size it was made with (SQLite cannot change it in WAL mode),
 * so workspaces made before this stay at 4 KB and work the same. Large pages cut the system calls of a bulk write
 * by four (every page goes to the write-ahead log, then to the file): the 200 MB benchmark import took 3.1 s of
 * CPU against 4.2 s with 4 KB pages, the full-text index built after it and the examples queries and review on
 * it were no slower (npm run bench import, notes in import.bench.ts). SQLite's page cache is sized in bytes
 * (cache_size -2000: 2 MB), so memory does not grow with the page size.
 */
export const WORKSPACE_PAGE_SIZE = 16384;

/** The per-user application data folder the desktop app uses (Electron's userData for "Textbench"). */
export function defaultWorkspaceDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = os.homedir();
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Textbench');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Textbench');
  return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'Textbench');
}

/** --workspace beats TEXTBENCH_WORKSPACE beats the default folder. */
export function resolveWorkspaceDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(explicit || env.TEXTBENCH_WORKSPACE || defaultWorkspaceDir(env));
}

export function openWorkspaceDb(dir: string, migrations: readonly Migration[] = MIGRATIONS): Db {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, WORKSPACE_FILE);
  const db = openDatabase(file, { timeout: BUSY_TIMEOUT_MS });
  try {
    // The wait first: switching a new file to WAL, or migrating it, may meet another process doing the same.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Only an empty file takes it, so before the switch to WAL (which writes the first page).
    db.pragma(`page_size = ${WORKSPACE_PAGE_SIZE}`);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    migrate(db, file, migrations);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

function tooNew(file: string, current: number, latest: number): TextbenchError {
  return new TextbenchError(
    `The workspace ${file} was written by a newer version of Textbench (schema ${current}; this version knows up to ${latest}). ` +
      'Update Textbench, or use another workspace with --workspace DIR.',
    'WORKSPACE_TOO_NEW',
  );
}

/**
 * Runs every pending migration and the user_version bump in one write transaction. The version is read again
 * inside it: two processes opening an old workspace at once migrate it once (the second finds it done).
 */
export function migrate(db: Db, file: string, migrations: readonly Migration[] = MIGRATIONS): number {
  const latest = migrations.length ? migrations[migrations.length - 1]!.version : 0;
  const version = () => db.pragma('user_version', { simple: true }) as number;
  const seen = version();
  if (seen > latest) throw tooNew(file, seen, latest);
  if (seen === latest) return seen;
  db.transaction(() => {
    const current = version();
    if (current > latest) throw tooNew(file, current, latest);
    for (const m of migrations.filter((x) => x.version > current)) {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }
  }).immediate();
  return latest;
}
