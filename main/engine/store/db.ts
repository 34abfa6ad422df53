import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.ts';
import { TextbenchError } from '../errors.ts';

export type { Db };

export const WORKSPACE_FILE = 'textbench.db';

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
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, file, migrations);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** Runs every pending migration and the user_version bump in one transaction. */
export function migrate(db: Db, file: string, migrations: readonly Migration[] = MIGRATIONS): number {
  const latest = migrations.length ? migrations[migrations.length - 1]!.version : 0;
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > latest) {
    throw new TextbenchError(
      `The workspace ${file} was written by a newer version of Textbench (schema ${current}; this version knows up to ${latest}). ` +
        'Update Textbench, or use another workspace with --workspace DIR.',
      'WORKSPACE_TOO_NEW',
    );
  }
  const pending = migrations.filter((m) => m.version > current);
  if (!pending.length) return current;
  db.transaction(() => {
    for (const m of pending) {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }
  })();
  return latest;
}

export { SCHEMA_VERSION };
