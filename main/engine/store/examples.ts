import type { Db } from './db.ts';
import type { Example, Split } from '../../../shared/domain.ts';
import type { ExamplePage, ExampleQuery, ExampleFlag, LabelCount } from '../../../shared/data.ts';
import { EXAMPLE_FLAGS, REVIEW_THRESHOLDS } from '../../../shared/data.ts';
import { hasNoContent, wordCount } from '../text/cells.ts';
import { TextbenchError } from '../errors.ts';
import { predictionCondition, predictionsOf } from './runPredictions.ts';
import { exactText, ftsQuery, registerSearchFunction, searchTerms } from './search.ts';
import { hasBacklog } from './fts-backlog.ts';

/** The columns of one examples row, as SQLite returns them. */
export interface ExampleRow {
  id: number;
  project_id: string;
  dataset_id: string;
  row_number: number;
  text: string;
  original_label: string;
  label: string;
  split: Split;
  content_hash: string;
}

export function toExample(r: ExampleRow): Example {
  return {
    id: r.id,
    datasetId: r.dataset_id,
    rowNumber: r.row_number,
    text: r.text,
    originalLabel: r.original_label,
    label: r.label,
    split: r.split,
    contentHash: r.content_hash,
  };
}

/** What training needs of one example: its id, its text and its current (possibly edited) label. */
export interface SplitExample {
  id: number;
  text: string;
  label: string;
}

/**
 * Every example of a project's split with its current label, in a stable order (by id, i.e. import order),
 * so that a run sees the same data in the same order each time.
 */
export function listSplitExamples(db: Db, projectId: string, split: Split): SplitExample[] {
  return db
    .prepare('SELECT id, text, label FROM examples WHERE project_id = ? AND split = ? ORDER BY id')
    .all(projectId, split) as SplitExample[];
}

/** Number of examples in a project (all datasets). */
export function countExamples(db: Db, projectId: string): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM examples WHERE project_id = ?').get(projectId) as { n: number }).n;
}

/** Examples per split of a project. */
export function splitCounts(db: Db, projectId: string): Record<Split, number> {
  const rows = db.prepare('SELECT split, COUNT(*) AS n FROM examples WHERE project_id = ? GROUP BY split').all(projectId) as Array<{ split: string; n: number }>;
  const out = { train: 0, validation: 0, test: 0 };
  for (const r of rows) if (r.split in out) out[r.split as Split] = r.n;
  return out;
}

// ---- Queries for the review and the examples list.

/** Examples whose normalised text occurs more than once in the project (only those are read back), in id order. */
export function repeatedTextRows(db: Db, projectId: string): Array<{ id: number; text: string; label: string; split: Split; hash: string }> {
  return db
    .prepare(
      `SELECT e.id, e.text, e.label, e.split, e.content_hash AS hash FROM examples e
       JOIN (SELECT content_hash FROM examples WHERE project_id = @p GROUP BY content_hash HAVING COUNT(*) > 1) d ON d.content_hash = e.content_hash
       WHERE e.project_id = @p ORDER BY e.id`,
    )
    .all({ p: projectId }) as Array<{ id: number; text: string; label: string; split: Split; hash: string }>;
}

/** Every example's id and text, streamed in id order. */
export function iterateTexts(db: Db, projectId: string): IterableIterator<{ id: number; text: string }> {
  return db.prepare('SELECT id, text FROM examples WHERE project_id = ? ORDER BY id').iterate(projectId) as IterableIterator<{ id: number; text: string }>;
}

/** Ids of the first `limit` examples with one of the labels, in id order. */
export function idsWithLabels(db: Db, projectId: string, labels: readonly string[], limit: number): number[] {
  return (db.prepare('SELECT id FROM examples WHERE project_id = ? AND label IN (SELECT value FROM json_each(?)) ORDER BY id LIMIT ?').all(projectId, JSON.stringify(labels), limit) as { id: number }[]).map((r) => r.id);
}


/** SQL functions the flag filters use, so that SQL and the review count words the same way. */
export function registerTextFunctions(db: Db): void {
  db.function('textbench_words', { deterministic: true }, (text: unknown) => wordCount(String(text ?? '')));
  db.function('textbench_no_content', { deterministic: true }, (text: unknown) => (hasNoContent(String(text ?? '')) ? 1 : 0));
  registerSearchFunction(db);
}

/** Labels with counts overall and per split, most frequent first (ties by name). */
export function labelCounts(db: Db, projectId: string): LabelCount[] {
  const rows = db
    .prepare(
      `SELECT label,
         COUNT(*) AS count,
         SUM(split = 'train') AS train, SUM(split = 'validation') AS validation, SUM(split = 'test') AS test
       FROM examples WHERE project_id = ? GROUP BY label ORDER BY count DESC, label`,
    )
    .all(projectId) as { label: string; count: number; train: number; validation: number; test: number }[];
  return rows.map((r) => ({ label: r.label, count: r.count, splits: { train: r.train, validation: r.validation, test: r.test } }));
}

/**
 * Classes too rare to learn or to measure: fewer than REVIEW_THRESHOLDS.rareTrain train examples, or absent
 * from validation or test while that split has rows.
 */
export function rareLabels(counts: LabelCount[]): string[] {
  const hasVal = counts.some((c) => c.splits.validation > 0);
  const hasTest = counts.some((c) => c.splits.test > 0);
  return counts
    .filter((c) => c.splits.train < REVIEW_THRESHOLDS.rareTrain || (hasVal && !c.splits.validation) || (hasTest && !c.splits.test))
    .map((c) => c.label);
}

const FLAG_ALIASES: Record<string, ExampleFlag> = {
  duplicates: 'duplicate',
  conflicts: 'conflict',
  leaks: 'leak',
  edits: 'edited',
  edit: 'edited',
};

export function toFlag(flag: string): ExampleFlag {
  const f = (FLAG_ALIASES[flag.toLowerCase()] ?? flag.toLowerCase()) as ExampleFlag;
  if (!EXAMPLE_FLAGS.includes(f)) {
    throw new TextbenchError(`Unknown flag "${flag}". Use one of: ${EXAMPLE_FLAGS.join(', ')}.`, 'BAD_FLAG', { flag });
  }
  return f;
}

export const MAX_PAGE = 10_000;

/** The WHERE clause (examples aliased as e) and parameters of a filter. */
function filterClause(db: Db, projectId: string, q: ExampleQuery): { clause: string; params: Record<string, unknown> } {
  const where: string[] = ['e.project_id = @project'];
  const params: Record<string, unknown> = { project: projectId };
  if (q.search) {
    const match = ftsQuery(q.search);
    if (match) {
      params.search = match;
      if (hasBacklog(db)) {
        // Rows still waiting for the index (a large import's, for the minute the indexer needs) are matched
        // one by one by the same rules: slower, but the same answer as once they are indexed.
        where.push(
          `e.id IN (SELECT rowid FROM examples_fts WHERE examples_fts MATCH @search
                    UNION ALL SELECT x.id FROM fts_backlog b JOIN examples x ON x.id BETWEEN b.lo AND b.hi WHERE textbench_search_match(x.text, @terms))`,
        );
        params.terms = JSON.stringify(searchTerms(q.search));
      } else where.push('e.id IN (SELECT rowid FROM examples_fts WHERE examples_fts MATCH @search)');
    }
    // Punctuation or symbols in the search ("n°3,", "C++", "?!") are looked for as written, among the rows the
    // index found (or among all rows when the search has no word at all).
    const exact = exactText(q.search);
    if (exact) {
      where.push(`e.text LIKE @exact ESCAPE '\\'`);
      params.exact = `%${exact.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    }
  }
  if (q.label !== undefined) {
    where.push('e.label = @label');
    params.label = q.label;
  }
  if (q.split) {
    where.push('e.split = @split');
    params.split = q.split;
  }
  if (q.ids) {
    where.push('e.id IN (SELECT value FROM json_each(@ids))');
    params.ids = JSON.stringify(q.ids);
  }
  if (q.prediction) {
    const cond = predictionCondition(db, q.prediction);
    where.push(cond.sql);
    Object.assign(params, cond.params);
  }
  if (q.flag) {
    const flag = toFlag(q.flag);
    const groupBy = (having: string) =>
      `e.content_hash IN (SELECT content_hash FROM examples WHERE project_id = @project GROUP BY content_hash HAVING ${having})`;
    switch (flag) {
      case 'duplicate':
        where.push(groupBy('COUNT(*) > 1'));
        break;
      case 'conflict':
        where.push(groupBy('COUNT(DISTINCT label) > 1'));
        break;
      case 'leak':
        where.push(groupBy('COUNT(DISTINCT split) > 1'));
        break;
      case 'empty':
        where.push('textbench_no_content(e.text) = 1');
        break;
      case 'short':
        where.push(`textbench_words(e.text) < ${REVIEW_THRESHOLDS.shortWords}`);
        break;
      case 'long':
        where.push(`textbench_words(e.text) > ${REVIEW_THRESHOLDS.longWords}`);
        break;
      case 'rare':
        where.push('e.label IN (SELECT value FROM json_each(@rare))');
        params.rare = JSON.stringify(rareLabels(labelCounts(db, projectId)));
        break;
      case 'edited':
        where.push('e.label <> e.original_label');
        break;
    }
  }
  return { clause: where.join(' AND '), params };
}

/** Every id matching a filter (no paging), in import order: what "select all N matching" acts on. */
export function matchingIds(db: Db, projectId: string, q: ExampleQuery): number[] {
  const { clause, params } = filterClause(db, projectId, q);
  return (db.prepare(`SELECT e.id FROM examples e WHERE ${clause} ORDER BY e.id`).all(params) as { id: number }[]).map((r) => r.id);
}

/** Whether every example of the workspace belongs to this project (two index probes: the lowest and highest project id). */
function onlyProject(db: Db, projectId: string): boolean {
  const r = db
    .prepare('SELECT (SELECT project_id FROM examples ORDER BY project_id LIMIT 1) AS lo, (SELECT project_id FROM examples ORDER BY project_id DESC LIMIT 1) AS hi')
    .get() as { lo: string | null; hi: string | null };
  return r.lo === projectId && r.hi === projectId;
}

/**
 * A search alone, in a workspace that holds one project: the full-text index answers the count and the page by
 * itself, without looking up each match's project (2 µs a match: 72 ms for "the" on 240,000 rows, against 13).
 * Not while rows wait for the index: the general path also matches those.
 */
function searchOnly(db: Db, projectId: string, q: ExampleQuery, offset: number, limit: number): ExamplePage | null {
  const match = q.search ? ftsQuery(q.search) : null;
  if (!match || exactText(q.search!) || q.label !== undefined || q.split || q.ids || q.flag || q.prediction || !onlyProject(db, projectId) || hasBacklog(db)) return null;
  const total = (db.prepare('SELECT COUNT(*) AS n FROM examples_fts WHERE examples_fts MATCH ?').get(match) as { n: number }).n;
  const rows = db
    .prepare('SELECT e.* FROM (SELECT rowid AS id FROM examples_fts WHERE examples_fts MATCH ? ORDER BY rowid LIMIT ? OFFSET ?) f JOIN examples e ON e.id = f.id ORDER BY f.id')
    .all(match, limit, offset) as ExampleRow[];
  return { total, offset, rows: rows.map(toExample) };
}

/** One page of a project's examples matching the filters, in import order, with the total that match. */
export function queryExamples(db: Db, projectId: string, q: ExampleQuery): ExamplePage {
  const offset = Math.max(0, Math.floor(q.offset ?? 0));
  const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(q.limit ?? 100)));
  const fast = searchOnly(db, projectId, q, offset, limit);
  if (fast) return fast;
  const { clause, params } = filterClause(db, projectId, q);
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM examples e WHERE ${clause}`).get(params) as { n: number }).n;
  // Page the ids first (an index holds them, sorted cheaply), then read only those rows: sorting whole rows to
  // skip `offset` of them would drag every text through a temporary b-tree.
  // Flags about repeated texts list the copies of a text one after another (in the order of each text's first
  // copy), so twins are side by side instead of rows 213 and 2286 apart.
  const grouped = q.flag !== undefined && ['duplicate', 'conflict', 'leak'].includes(toFlag(q.flag));
  const rows = grouped
    ? (db
        .prepare(
          `SELECT x.* FROM (SELECT e.id, (SELECT MIN(f.id) FROM examples f WHERE f.project_id = e.project_id AND f.content_hash = e.content_hash) AS first
             FROM examples e WHERE ${clause} ORDER BY first, e.id LIMIT @limit OFFSET @offset) p
           JOIN examples x ON x.id = p.id ORDER BY p.first, p.id`,
        )
        .all({ ...params, limit, offset }) as ExampleRow[])
    : (db
        .prepare(`SELECT * FROM examples WHERE id IN (SELECT e.id FROM examples e WHERE ${clause} ORDER BY e.id LIMIT @limit OFFSET @offset) ORDER BY id`)
        .all({ ...params, limit, offset }) as ExampleRow[]);
  const page: ExamplePage = { total, offset, rows: rows.map(toExample) };
  if (q.prediction) page.predictions = predictionsOf(db, q.prediction.run, q.prediction.split, rows.map((r) => r.id));
  return page;
}

/** Ids of every example of a project that currently has `label`. */
export function idsWithLabel(db: Db, projectId: string, label: string): number[] {
  return (db.prepare('SELECT id FROM examples WHERE project_id = ? AND label = ? ORDER BY id').all(projectId, label) as { id: number }[]).map((r) => r.id);
}
