// Examples not yet in the full-text index (migration 11). A large import writes its rows with ids it chooses
// above every id in use and records their range in fts_backlog, inside its own transaction; the triggers leave
// the index alone for ids in a range. indexBacklogChunk moves the lowest ids of the lowest range into the index
// and shrinks the range in the same short transaction, so after a crash at any moment every row is either in
// the index and out of the backlog, or still in the backlog, never both and never neither.
import type { Db } from './db.ts';

/** The first id a deferred import may give its rows: above every example and every range still waiting. */
export function firstFreeExampleId(db: Db): number {
  const r = db.prepare('SELECT MAX(COALESCE((SELECT MAX(id) FROM examples), 0), COALESCE((SELECT MAX(hi) FROM fts_backlog), 0)) + 1 AS id').get() as { id: number };
  return r.id;
}

/** Records that the examples with ids first..last are not in the index (call inside the transaction that writes them). */
export function deferIndexing(db: Db, first: number, last: number): void {
  if (last < first) return;
  db.prepare('INSERT INTO fts_backlog (lo, hi) VALUES (?, ?)').run(first, last);
}

/** Whether some examples are not in the full-text index yet. */
export function hasBacklog(db: Db): boolean {
  return (db.prepare('SELECT EXISTS (SELECT 1 FROM fts_backlog) AS b').get() as { b: number }).b === 1;
}

/** How many examples wait for the index (removed rows inside a range do not count). */
export function backlogRows(db: Db): number {
  return (db.prepare('SELECT COALESCE(SUM((SELECT COUNT(*) FROM examples WHERE id BETWEEN b.lo AND b.hi)), 0) AS n FROM fts_backlog b').get() as { n: number }).n;
}

/**
 * Indexes up to `rows` examples of the backlog, lowest ids first, in one immediate transaction; returns how many
 * it indexed (0 when the backlog is empty). Ranges whose rows were all removed are dropped on the way.
 */
export function indexBacklogChunk(db: Db, rows: number): number {
  const lowest = db.prepare('SELECT lo, hi FROM fts_backlog ORDER BY lo LIMIT 1');
  const lastOf = db.prepare('SELECT MAX(id) AS last, COUNT(*) AS n FROM (SELECT id FROM examples WHERE id BETWEEN ? AND ? ORDER BY id LIMIT ?)');
  const index = db.prepare('INSERT INTO examples_fts (rowid, text) SELECT id, text FROM examples WHERE id BETWEEN ? AND ?');
  const drop = db.prepare('DELETE FROM fts_backlog WHERE lo = ?');
  const move = db.prepare('UPDATE fts_backlog SET lo = ? WHERE lo = ?');
  return db.transaction(() => {
    for (;;) {
      const range = lowest.get() as { lo: number; hi: number } | undefined;
      if (!range) return 0;
      const { last, n } = lastOf.get(range.lo, range.hi, Math.max(1, rows)) as { last: number | null; n: number };
      if (last === null) {
        drop.run(range.lo);
        continue;
      }
      // Out of the range and into the index in the same transaction.
      if (last >= range.hi) drop.run(range.lo);
      else move.run(last + 1, range.lo);
      index.run(range.lo, last);
      return n;
    }
  }).immediate();
}
