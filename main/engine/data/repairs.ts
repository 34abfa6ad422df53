// Repairs the review offers with one click, each one batch in the audit trail and undoable: remove exact
// duplicates (keeping one copy of each text and label), and re-split so that no text sits in two splits.
import type { Db } from '../store/db.ts';
import type { Split } from '../../../shared/domain.ts';
import type { DataRepairResult, UndoResult } from '../../../shared/data.ts';
import { newId } from '../store/ids.ts';
import { latestOpenBatch, markBatchUndone, moveSplits, recordBatch, removeExamples, requireBatch, restoreRemoved, revertSplits } from '../store/editBatches.ts';
import { undoBatch } from '../store/labelEdits.ts';
import { repeatedTextRows } from '../store/examples.ts';
import { TextbenchError } from '../errors.ts';

/** Which copy of a text stays: the train copy (the model keeps learning from it), then validation, then the oldest. */
const SPLIT_RANK: Record<Split, number> = { train: 0, validation: 1, test: 2 };

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

type CopyRow = ReturnType<typeof repeatedTextRows>[number];

/** Every example whose text occurs more than once in the project, grouped by text. */
function repeatedTexts(db: Db, projectId: string): Map<string, CopyRow[]> {
  const groups = new Map<string, CopyRow[]>();
  for (const r of repeatedTextRows(db, projectId)) groups.set(r.hash, [...(groups.get(r.hash) ?? []), r]);
  return groups;
}

/**
 * Removes the extra copies of each text with the same label (copies under another label are conflicts for a
 * person to decide, and stay). The copy kept is the train one where there is one, so removing duplicates also
 * ends the leak of a text into validation or test.
 */
export function removeDuplicates(db: Db, projectId: string, author: string): DataRepairResult {
  return db.transaction((): DataRepairResult => {
    const remove: number[] = [];
    let texts = 0;
    for (const copies of repeatedTexts(db, projectId).values()) {
      const byLabel = new Map<string, CopyRow[]>();
      for (const c of copies) byLabel.set(c.label, [...(byLabel.get(c.label) ?? []), c]);
      for (const same of byLabel.values()) {
        if (same.length < 2) continue;
        const keep = [...same].sort((a, b) => SPLIT_RANK[a.split] - SPLIT_RANK[b.split] || a.id - b.id)[0]!;
        for (const c of same) if (c.id !== keep.id) remove.push(c.id);
        texts++;
      }
    }
    if (!remove.length) return { batchId: null, kind: 'remove', changed: 0, summary: 'No exact duplicates to remove.' };
    const batchId = newId('edit');
    const summary = `Removed ${plural(remove.length, 'duplicate copy', 'duplicate copies')} (kept one copy of each of ${plural(texts, 'text')}).`;
    recordBatch(db, { id: batchId, projectId, kind: 'remove', summary, count: remove.length, author });
    removeExamples(db, projectId, remove, batchId);
    return { batchId, kind: 'remove', changed: remove.length, summary };
  }).immediate();
}

/**
 * Moves every copy of a text that sits in several splits into one of them: the split that holds most of its
 * copies (train, then validation, on a tie), so that the model is never scored on a text it trained on.
 */
export function resplitLeaks(db: Db, projectId: string, author: string): DataRepairResult {
  return db.transaction((): DataRepairResult => {
    const moves: Array<{ id: number; from: Split; to: Split }> = [];
    let texts = 0;
    for (const copies of repeatedTexts(db, projectId).values()) {
      const splits = new Map<Split, number>();
      for (const c of copies) splits.set(c.split, (splits.get(c.split) ?? 0) + 1);
      if (splits.size < 2) continue;
      const to = [...splits.entries()].sort((a, b) => b[1] - a[1] || SPLIT_RANK[a[0]] - SPLIT_RANK[b[0]])[0]![0];
      for (const c of copies) if (c.split !== to) moves.push({ id: c.id, from: c.split, to });
      texts++;
    }
    if (!moves.length) return { batchId: null, kind: 'resplit', changed: 0, summary: 'No text sits in two splits.' };
    const batchId = newId('edit');
    const summary = `Moved ${plural(moves.length, 'example')} so that each of ${plural(texts, 'text')} sits in one split.`;
    recordBatch(db, { id: batchId, projectId, kind: 'resplit', summary, count: moves.length, author });
    moveSplits(db, projectId, moves, batchId);
    return { batchId, kind: 'resplit', changed: moves.length, summary };
  }).immediate();
}

/** Undoes a batch of any kind (default: the newest not yet undone) and marks it undone in the audit trail. */
export function undoChanges(db: Db, projectId: string, batchId?: string): UndoResult {
  return db.transaction((): UndoResult => {
    const batch = batchId ? requireBatch(db, projectId, batchId) : latestOpenBatch(db, projectId);
    if (!batch) return { batchId: null, reverted: 0, skipped: 0 };
    let result: { reverted: number; skipped: number };
    if (batch.kind === 'relabel') {
      const r = undoBatch(db, projectId, batch.id);
      result = { reverted: r.reverted, skipped: r.skipped };
    } else if (batch.kind === 'remove') {
      if (batch.undoneAt) return alreadyUndone(batch.id, batch.undoneAt);
      const r = restoreRemoved(db, batch.id);
      result = { reverted: r.restored, skipped: r.skipped };
    } else {
      if (batch.undoneAt) return alreadyUndone(batch.id, batch.undoneAt);
      result = revertSplits(db, batch.id);
    }
    markBatchUndone(db, batch.id);
    return { batchId: batch.id, ...result, kind: batch.kind, summary: batch.summary };
  }).immediate();
}

function alreadyUndone(batch: string, when: string): never {
  throw new TextbenchError(`The batch "${batch}" was already undone on ${when}.`, 'BATCH_ALREADY_UNDONE', { batch });
}
