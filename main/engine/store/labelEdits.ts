import type { Db } from './db.ts';
import type { LabelEdit } from '../../../shared/domain.ts';
import type { RelabelResult, UndoResult } from '../../../shared/data.ts';
import { newId, nowIso } from './ids.ts';
import { TextbenchError } from '../errors.ts';
import { cleanCell } from '../text/cells.ts';
import { recordBatch } from './editBatches.ts';

interface EditRow {
  id: number;
  example_id: number;
  batch_id: string;
  old_label: string;
  new_label: string;
  author: string;
  created_at: string;
  undone_at: string | null;
}

function toEdit(r: EditRow): LabelEdit {
  return {
    id: r.id,
    exampleId: r.example_id,
    oldLabel: r.old_label,
    newLabel: r.new_label,
    author: r.author,
    createdAt: r.created_at,
    batchId: r.batch_id,
    undoneAt: r.undone_at,
  };
}

/** Sets the label of the given examples in one transaction, recording each change as one batch in the audit trail. */
export function relabelExamples(db: Db, projectId: string, ids: number[], newLabel: string, author: string): RelabelResult {
  const label = cleanCell(newLabel);
  if (!label) throw new TextbenchError('The new label is empty. Give a label such as --to positive.', 'EMPTY_LABEL');
  const unique = [...new Set(ids)];
  if (!unique.length) throw new TextbenchError('No examples given. Pass their ids, e.g. --ids 12,13,40.', 'NO_IDS');
  const batchId = newId('edit');
  return db.transaction((): RelabelResult => {
    const found = db
      .prepare('SELECT id, label FROM examples WHERE project_id = ? AND id IN (SELECT value FROM json_each(?))')
      .all(projectId, JSON.stringify(unique)) as { id: number; label: string }[];
    if (found.length !== unique.length) {
      const have = new Set(found.map((f) => f.id));
      const missing = unique.filter((id) => !have.has(id));
      throw new TextbenchError(
        `No example with id ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ` (and ${missing.length - 10} more)` : ''} in this project. Nothing was changed. List ids with \`textbench examples\`.`,
        'EXAMPLE_NOT_FOUND',
        { missing: missing.slice(0, 100) },
      );
    }
    const isNew = !db.prepare('SELECT 1 FROM examples WHERE project_id = ? AND (label = ? OR original_label = ?) LIMIT 1').get(projectId, label, label);
    const now = nowIso();
    const record = db.prepare(
      'INSERT INTO label_edits (project_id, example_id, batch_id, old_label, new_label, author, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const update = db.prepare('UPDATE examples SET label = ? WHERE id = ?');
    let changed = 0;
    for (const f of found) {
      if (f.label === label) continue;
      record.run(projectId, f.id, batchId, f.label, label, author, now);
      update.run(label, f.id);
      changed++;
    }
    if (changed) {
      db.prepare('UPDATE projects SET updated_at = ? WHERE id = ?').run(now, projectId);
      recordBatch(db, { id: batchId, projectId, kind: 'relabel', summary: `Relabelled ${changed} example${changed === 1 ? '' : 's'} as “${label}”`, count: changed, author });
    }
    return { batchId, changed, unchanged: found.length - changed, newLabel: isNew };
  }).immediate();
}

/**
 * Reverts a batch (default: the latest one not undone). An example that a later edit changed again is left
 * alone and counted in `skipped`, so that undoing an old batch never erases newer work.
 */
export function undoBatch(db: Db, projectId: string, batchId?: string): UndoResult {
  return db.transaction((): UndoResult => {
    let batch = batchId;
    if (!batch) {
      const last = db
        .prepare('SELECT batch_id FROM label_edits WHERE project_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1')
        .get(projectId) as { batch_id: string } | undefined;
      if (!last) return { batchId: null, reverted: 0, skipped: 0 };
      batch = last.batch_id;
    }
    const edits = db.prepare('SELECT * FROM label_edits WHERE project_id = ? AND batch_id = ? ORDER BY id DESC').all(projectId, batch) as EditRow[];
    if (!edits.length) {
      throw new TextbenchError(`No batch of label edits "${batch}" in this project. See the batches with \`textbench relabel --history\`.`, 'BATCH_NOT_FOUND', { batch });
    }
    if (edits.every((e) => e.undone_at)) {
      throw new TextbenchError(`The batch "${batch}" was already undone on ${edits[0]!.undone_at}.`, 'BATCH_ALREADY_UNDONE', { batch });
    }
    const now = nowIso();
    const current = db.prepare('SELECT label FROM examples WHERE id = ?');
    const update = db.prepare('UPDATE examples SET label = ? WHERE id = ?');
    const mark = db.prepare('UPDATE label_edits SET undone_at = ? WHERE id = ?');
    let reverted = 0;
    let skipped = 0;
    for (const e of edits) {
      if (e.undone_at) continue;
      const row = current.get(e.example_id) as { label: string } | undefined;
      if (row && row.label === e.new_label) {
        update.run(e.old_label, e.example_id);
        reverted++;
      } else skipped++;
      mark.run(now, e.id);
    }
    db.prepare('UPDATE projects SET updated_at = ? WHERE id = ?').run(now, projectId);
    return { batchId: batch, reverted, skipped };
  }).immediate();
}

/** The audit trail, newest first. */
export function listEdits(db: Db, projectId: string, limit = 100_000): LabelEdit[] {
  return (db.prepare('SELECT * FROM label_edits WHERE project_id = ? ORDER BY id DESC LIMIT ?').all(projectId, limit) as EditRow[]).map(toEdit);
}
