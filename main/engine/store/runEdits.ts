// What a person does to a run after it trained: rename it, star it, delete it with everything it left behind.
import type { Db } from './db.ts';
import { TextbenchError } from '../errors.ts';

export function renameRun(db: Db, id: string, name: string): void {
  const clean = name.trim();
  if (!clean) throw new TextbenchError('A run needs a name; give one with a letter or digit in it.', 'BAD_OPTION', { field: 'name' });
  db.prepare('UPDATE runs SET name = ? WHERE id = ?').run(clean, id);
}

export function starRun(db: Db, id: string, starred: boolean): void {
  db.prepare('UPDATE runs SET starred = ? WHERE id = ?').run(starred ? 1 : 0, id);
}

/** What deleting a run removes, counted before it is removed. */
export interface RunArtefacts {
  epochs: number;
  checkpoints: number;
  predictions: number;
  /** Workspace models made from the run (to classify with it), with their stored predictions. */
  models: number;
}

export function runArtefacts(db: Db, id: string): RunArtefacts {
  const n = (sql: string) => (db.prepare(sql).get(id) as { n: number }).n;
  return {
    epochs: n('SELECT COUNT(*) AS n FROM run_epochs WHERE run_id = ?'),
    checkpoints: n('SELECT COUNT(*) AS n FROM run_checkpoints WHERE run_id = ?'),
    predictions: n('SELECT COUNT(*) AS n FROM run_predictions WHERE run_id = ?'),
    models: n("SELECT COUNT(*) AS n FROM models WHERE run_id = ? AND source = 'run'"),
  };
}

/**
 * Deletes a run and its artefacts in one transaction: its curve, checkpoints, stored evaluation predictions (by
 * cascade) and the workspace models made from it (with their predictions). Bundles exported to a folder are the
 * user's files and stay where they are; imported bundles of the project are not the run's and stay too.
 */
export function deleteRun(db: Db, id: string): RunArtefacts {
  return db.transaction(() => {
    const gone = runArtefacts(db, id);
    db.prepare("DELETE FROM models WHERE run_id = ? AND source = 'run'").run(id);
    db.prepare('DELETE FROM runs WHERE id = ?').run(id);
    return gone;
  }).immediate();
}
