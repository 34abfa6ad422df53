import type { Db } from './db.ts';
import type { Dataset, ImportFormat, SkippedCounts, TextEncoding } from '../../../shared/domain.ts';
import { TextbenchError } from '../errors.ts';

interface DatasetRow {
  id: string;
  project_id: string;
  name: string;
  source_path: string;
  format: string;
  encoding: string;
  text_columns: string;
  label_column: string;
  split_column: string | null;
  split_seed: number | null;
  rows: number;
  skipped: string;
  created_at: string;
}

function toDataset(r: DatasetRow): Dataset {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    sourcePath: r.source_path,
    format: r.format as ImportFormat,
    encoding: r.encoding as TextEncoding,
    textColumns: JSON.parse(r.text_columns) as string[],
    labelColumn: r.label_column,
    splitColumn: r.split_column,
    splitSeed: r.split_seed,
    rows: r.rows,
    skipped: JSON.parse(r.skipped) as SkippedCounts,
    createdAt: r.created_at,
  };
}

export function listDatasets(db: Db, projectId: string): Dataset[] {
  return (db.prepare('SELECT * FROM datasets WHERE project_id = ? ORDER BY created_at, rowid').all(projectId) as DatasetRow[]).map(toDataset);
}

export function getDataset(db: Db, id: string): Dataset | undefined {
  const r = db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as DatasetRow | undefined;
  return r && toDataset(r);
}

/** A name not yet used in the project: "x.csv", else "x.csv (2)", "x.csv (3)"… */
export function freeDatasetName(db: Db, projectId: string, wanted: string): string {
  const taken = new Set((db.prepare('SELECT name FROM datasets WHERE project_id = ?').all(projectId) as { name: string }[]).map((r) => r.name));
  if (!taken.has(wanted)) return wanted;
  for (let i = 2; ; i++) if (!taken.has(`${wanted} (${i})`)) return `${wanted} (${i})`;
}

export function insertDataset(db: Db, d: Dataset & { fileSha256?: string | null }): void {
  db.prepare(
    `INSERT INTO datasets (id, project_id, name, source_path, format, encoding, text_columns, label_column, split_column, split_seed, rows, skipped, file_sha256, created_at)
     VALUES (@id, @projectId, @name, @sourcePath, @format, @encoding, @textColumns, @labelColumn, @splitColumn, @splitSeed, @rows, @skipped, @fileSha256, @createdAt)`,
  ).run({
    ...d,
    textColumns: JSON.stringify(d.textColumns),
    skipped: JSON.stringify(d.skipped),
    fileSha256: d.fileSha256 ?? null,
  });
}

/** Removes a dataset with its examples (and, through them, their label edits) in one transaction. */
export function deleteDataset(db: Db, projectId: string, idOrName: string): { dataset: string; examples: number } {
  return db.transaction(() => {
    const d = db.prepare('SELECT id, name FROM datasets WHERE project_id = ? AND (id = ? OR name = ?) LIMIT 1').get(projectId, idOrName, idOrName) as
      | { id: string; name: string }
      | undefined;
    if (!d) {
      const names = (db.prepare('SELECT name FROM datasets WHERE project_id = ? ORDER BY created_at').all(projectId) as { name: string }[]).map((r) => `"${r.name}"`);
      throw new TextbenchError(
        `This project has no dataset "${idOrName}". Its datasets: ${names.join(', ') || 'none'}. List them with \`textbench datasets\`.`,
        'DATASET_NOT_FOUND',
        { dataset: idOrName },
      );
    }
    const n = (db.prepare('SELECT COUNT(*) AS n FROM examples WHERE dataset_id = ?').get(d.id) as { n: number }).n;
    db.prepare('DELETE FROM datasets WHERE id = ?').run(d.id);
    db.prepare('UPDATE projects SET updated_at = ? WHERE id = ?').run(new Date().toISOString(), projectId);
    return { dataset: d.name, examples: n };
  }).immediate();
}
