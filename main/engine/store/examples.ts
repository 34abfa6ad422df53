import type { Db } from './db.ts';
import type { Example, Split } from '../../../shared/domain.ts';

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
