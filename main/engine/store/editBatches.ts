// The audit trail of a project's data: each change (a relabel, removed duplicates, a re-split) is one batch with
// what it did, who did it and when; removed examples and split moves are kept so that undo puts them back.
import type { Db } from './db.ts';
import type { EditBatch, EditBatchKind } from '../../../shared/data.ts';
import type { Split } from '../../../shared/domain.ts';
import { nowIso } from './ids.ts';
import { TextbenchError } from '../errors.ts';
import type { ExampleRow } from './examples.ts';

interface BatchRow {
  id: string;
  project_id: string;
  kind: EditBatchKind;
  summary: string;
  count: number;
  author: string;
  created_at: string;
  undone_at: string | null;
}

function toBatch(r: BatchRow): EditBatch {
  return { id: r.id, kind: r.kind, summary: r.summary, count: r.count, author: r.author, createdAt: r.created_at, undoneAt: r.undone_at };
}

/** Records a batch; call inside the transaction that makes its changes. */
export function recordBatch(db: Db, b: { id: string; projectId: string; kind: EditBatchKind; summary: string; count: number; author: string }): void {
  db.prepare('INSERT INTO edit_batches (id, project_id, kind, summary, count, author, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
    b.id,
    b.projectId,
    b.kind,
    b.summary,
    b.count,
    b.author,
    nowIso(),
  );
}

export function getBatch(db: Db, projectId: string, id: string): EditBatch | null {
  const r = db.prepare('SELECT * FROM edit_batches WHERE project_id = ? AND id = ?').get(projectId, id) as BatchRow | undefined;
  return r ? toBatch(r) : null;
}

/** The newest batch not yet undone. */
export function latestOpenBatch(db: Db, projectId: string): EditBatch | null {
  const r = db.prepare('SELECT * FROM edit_batches WHERE project_id = ? AND undone_at IS NULL ORDER BY created_at DESC, rowid DESC LIMIT 1').get(projectId) as BatchRow | undefined;
  return r ? toBatch(r) : null;
}

export function markBatchUndone(db: Db, id: string): void {
  db.prepare('UPDATE edit_batches SET undone_at = ? WHERE id = ?').run(nowIso(), id);
}

/** The audit trail, newest first. */
export function listBatches(db: Db, projectId: string, limit = 1000): EditBatch[] {
  return (db.prepare('SELECT * FROM edit_batches WHERE project_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?').all(projectId, limit) as BatchRow[]).map(toBatch);
}

/** Moves examples out of the project into removed_examples (with their label edits), under the batch. */
export function removeExamples(db: Db, projectId: string, ids: readonly number[], batchId: string): number {
  const read = db.prepare('SELECT * FROM examples WHERE project_id = ? AND id = ?');
  const edits = db.prepare('SELECT * FROM label_edits WHERE example_id = ? ORDER BY id');
  const keep = db.prepare('INSERT INTO removed_examples (id, project_id, batch_id, example, edits) VALUES (?, ?, ?, ?, ?)');
  const drop = db.prepare('DELETE FROM examples WHERE id = ?');
  let n = 0;
  for (const id of ids) {
    const row = read.get(projectId, id) as ExampleRow | undefined;
    if (!row) continue;
    keep.run(id, projectId, batchId, JSON.stringify(row), JSON.stringify(edits.all(id)));
    drop.run(id);
    n++;
  }
  return n;
}

/**
 * Puts a batch's removed examples back under their own ids (a new id if that one was taken since, e.g. by an
 * import), with their label edits. An example whose dataset was deleted meanwhile cannot come back: skipped.
 */
export function restoreRemoved(db: Db, batchId: string): { restored: number; skipped: number } {
  const rows = db.prepare('SELECT id, example, edits FROM removed_examples WHERE batch_id = ? ORDER BY id').all(batchId) as Array<{ id: number; example: string; edits: string }>;
  const datasetExists = db.prepare('SELECT 1 FROM datasets WHERE id = ?');
  const idTaken = db.prepare('SELECT 1 FROM examples WHERE id = ?');
  const insert = db.prepare(
    `INSERT INTO examples (id, project_id, dataset_id, row_number, text, original_label, label, split, content_hash)
     VALUES (@id, @project_id, @dataset_id, @row_number, @text, @original_label, @label, @split, @content_hash)`,
  );
  const insertEdit = db.prepare(
    `INSERT INTO label_edits (id, project_id, example_id, batch_id, old_label, new_label, author, created_at, undone_at)
     VALUES (@id, @project_id, @example_id, @batch_id, @old_label, @new_label, @author, @created_at, @undone_at)`,
  );
  const editTaken = db.prepare('SELECT 1 FROM label_edits WHERE id = ?');
  let restored = 0;
  let skipped = 0;
  for (const r of rows) {
    const ex = JSON.parse(r.example) as ExampleRow;
    if (!datasetExists.get(ex.dataset_id)) {
      skipped++;
      continue;
    }
    const id = idTaken.get(ex.id) ? null : ex.id;
    const info = insert.run({ ...ex, id });
    const newId = Number(info.lastInsertRowid);
    for (const e of JSON.parse(r.edits) as Array<Record<string, unknown>>) insertEdit.run({ ...e, id: editTaken.get(e.id) ? null : e.id, example_id: newId });
    restored++;
  }
  db.prepare('DELETE FROM removed_examples WHERE batch_id = ?').run(batchId);
  return { restored, skipped };
}

/** Moves examples to other splits, recording each move under the batch. */
export function moveSplits(db: Db, projectId: string, moves: ReadonlyArray<{ id: number; from: Split; to: Split }>, batchId: string): number {
  const record = db.prepare('INSERT INTO split_edits (project_id, example_id, batch_id, old_split, new_split) VALUES (?, ?, ?, ?, ?)');
  const update = db.prepare('UPDATE examples SET split = ? WHERE id = ? AND project_id = ?');
  for (const m of moves) {
    record.run(projectId, m.id, batchId, m.from, m.to);
    update.run(m.to, m.id, projectId);
  }
  return moves.length;
}

/** Moves a batch's examples back to their splits, unless a later change moved them again (skipped). */
export function revertSplits(db: Db, batchId: string): { reverted: number; skipped: number } {
  const moves = db
    .prepare('SELECT s.example_id AS id, s.old_split AS old, s.new_split AS new, e.split AS now FROM split_edits s JOIN examples e ON e.id = s.example_id WHERE s.batch_id = ?')
    .all(batchId) as Array<{ id: number; old: Split; new: Split; now: Split }>;
  const update = db.prepare('UPDATE examples SET split = ? WHERE id = ?');
  let reverted = 0;
  let skipped = 0;
  for (const m of moves) {
    if (m.now !== m.new) {
      skipped++;
      continue;
    }
    update.run(m.old, m.id);
    reverted++;
  }
  return { reverted, skipped };
}

export function requireBatch(db: Db, projectId: string, id: string): EditBatch {
  const b = getBatch(db, projectId, id);
  if (!b) {
    throw new TextbenchError(`No batch of changes "${id}" in this project. See the batches with \`textbench relabel --history\`.`, 'BATCH_NOT_FOUND', { batch: id });
  }
  return b;
}
