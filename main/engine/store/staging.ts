// The import's SQL (data/importer.ts holds none): a private staging database that rows stream into while the file
// is read, and the one workspace transaction that copies them into the examples table.
//
// The staging file belongs to one import of one process (leftovers.ts removes it if the process dies), so it runs
// without a journal and without syncs: a crash loses only the staging file, which is thrown away anyway. The
// workspace only ever sees the final INSERT … SELECT inside one transaction: an import that fails before it leaves
// the workspace exactly as it was.
import type Database from 'better-sqlite3';
import { openDatabase } from './native.ts';
import type { Db } from './db.ts';
import { nowIso } from './ids.ts';
import { SPLITS } from '../../../shared/domain.ts';
import { deferIndexing, firstFreeExampleId } from './fts-backlog.ts';

/** Rows per multi-row INSERT: one statement call per row costs more than SQLite's own work. */
export const STAGING_BATCH = 64;
/** Values per staged row: line, text, label, content hash (the split is decided after the whole file is read). */
export const STAGED_COLUMNS = 4;
/**
 * The staging file's page size: rows are appended once and read once in order, so large pages only cut the number
 * of reads and writes (200 MB staged: 63,000 writes and reads of 4 KB pages against 3,500 of 64 KB; staging CPU
 * 0.54 -> 0.38 s, reading it back 0.33 -> 0.24 s).
 */
const STAGING_PAGE_SIZE = 65536;

export class StagingTable {
  private readonly db: Database.Database;
  private readonly insertOne: Database.Statement;
  private readonly insertBatch: Database.Statement;
  private closed = false;

  constructor(readonly file: string) {
    this.db = openDatabase(file);
    try {
      this.db.pragma(`page_size = ${STAGING_PAGE_SIZE}`);
      this.db.pragma('journal_mode = OFF');
      // Each multi-row INSERT keeps a statement journal (the pages it changes, as they were, to undo the statement
      // if a later row of it fails): in a temp file, that is a write of a whole page per batch (690 MB of 64 KB
      // writes for 200 MB staged). In memory it is a page or two at a time.
      this.db.pragma('temp_store = MEMORY');
      this.db.pragma('synchronous = OFF');
      this.db.exec('CREATE TABLE staged (rn INTEGER NOT NULL, text TEXT NOT NULL, label TEXT NOT NULL, hash TEXT NOT NULL)');
      this.insertOne = this.db.prepare('INSERT INTO staged (rn, text, label, hash) VALUES (?, ?, ?, ?)');
      this.insertBatch = this.db.prepare(`INSERT INTO staged (rn, text, label, hash) VALUES ${Array(STAGING_BATCH).fill('(?, ?, ?, ?)').join(', ')}`);
      this.db.exec('BEGIN');
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  /**
   * Stages rows given flat as (line, text, label, content hash), STAGED_COLUMNS values per row, in file order
   * (the staged rowid is the row's position among the kept rows, from 1).
   */
  insert(values: (string | number)[]): void {
    let i = 0;
    const full = STAGING_BATCH * STAGED_COLUMNS;
    for (; i + full <= values.length; i += full) this.insertBatch.run(i === 0 && values.length === full ? values : values.slice(i, i + full));
    for (; i < values.length; i += STAGED_COLUMNS) this.insertOne.run(values.slice(i, i + STAGED_COLUMNS));
  }

  /** Commits the staged rows to the staging file and closes it (the file stays for copyStagedExamples). */
  finish(): void {
    this.db.exec('COMMIT');
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

/** The name of a dataset of `projectId` imported from the same file before, if any. */
export function datasetFromSameSource(db: Db, projectId: string, sourcePath: string): string | undefined {
  return (db.prepare('SELECT name FROM datasets WHERE project_id = ? AND source_path = ? LIMIT 1').get(projectId, sourcePath) as { name: string } | undefined)?.name;
}

/** How many distinct labels other than `label` the project's examples have. */
export function otherLabelCount(db: Db, projectId: string, label: string): number {
  return (db.prepare('SELECT COUNT(DISTINCT label) AS n FROM examples WHERE project_id = ? AND label <> ?').get(projectId, label) as { n: number }).n;
}

/**
 * The examples index on content hashes is rebuilt rather than updated when an import brings at least this share of
 * the rows the examples table will then hold: its keys are random, so each staged row costs a b-tree descent into
 * pages that are rarely cached, while CREATE INDEX sorts once (200 MB benchmark file into an empty workspace: the
 * copy took 2.5 s with the index updated row by row, 1.4 s without it plus 0.3 s to build it). The other indexes
 * grow at a few hot positions (project, dataset, label, split, id order) and stay cheaper to update in place.
 */
const REBUILD_HASH_INDEX_SHARE = 0.5;
const HASH_INDEX = 'examples_hash';
/**
 * The full-text index's insert trigger. SQLite runs an INSERT … SELECT into a table with a row trigger through a
 * temporary table of every selected row, whether or not the trigger's WHEN clause lets it fire: the whole staging
 * file written to a temp file and read back (200 MB benchmark file: 66,000 writes and reads of 4 KB pages; commit
 * 2.3-3.4 s with the trigger, 1.7 s without). A deferred copy gives its rows ids in a backlog range, where the
 * trigger does nothing, so it drops the trigger and creates it again in the same transaction.
 */
const FTS_INSERT_TRIGGER = 'examples_fts_insert';
/** The copy's split column, from the splits passed as a blob (one byte per staged row, its position in SPLITS). */
const SPLIT_OF_ROWID = `CASE substr(?, rowid, 1) ${SPLITS.map((s, i) => `WHEN x'${i.toString(16).padStart(2, '0')}' THEN '${s}'`).join(' ')} END`;

export interface CommitOptions {
  /** Rows get ids above every id in use and wait in the full-text index's backlog (fts-backlog.ts). */
  deferIndex?: boolean;
  /** The split of every staged row, in staged order, as its position in SPLITS (data/split.ts SPLIT_CODES). */
  splits: Uint8Array;
}

/**
 * Runs `inTransaction` and the copy of every staged row into the examples of `projectId`/`datasetId` (in staged
 * order) in one immediate write transaction on the workspace, with the staging file attached for its duration.
 * `inTransaction` returns the project and dataset ids (it creates them, inside the same transaction).
 * With `deferIndex` the rows wait in the full-text index's backlog instead of being indexed here, which was most
 * of the commit's time on a large file; the commit then also leaves copying the write-ahead log into the
 * database file (a checkpoint: 0.6 s for 200 MB) to the next commit, which is the background indexer's first
 * chunk. The rows are durable once the transaction commits; the checkpoint only moves them to their final place.
 */
export function commitStaged(db: Db, stagingFile: string, inTransaction: () => { projectId: string; datasetId: string }, options: CommitOptions): void {
  db.prepare('ATTACH DATABASE ? AS staging').run(stagingFile);
  // The splits are known only once the whole file is read (stratified by label): the copy looks them up by position
  // in a blob (a row past its end gets NULL, which the examples table refuses). A function called back into
  // JavaScript for each row cost 0.1 s of CPU on 240,000 rows.
  const splits = Buffer.from(options.splits.buffer, options.splits.byteOffset, options.splits.byteLength);
  const autoCheckpoint = db.pragma('wal_autocheckpoint', { simple: true }) as number;
  if (options.deferIndex) db.pragma('wal_autocheckpoint = 0');
  try {
    db.transaction(() => {
      const { projectId, datasetId } = inTransaction();
      // Staged rowids run 1..n without gaps (rows are only appended), so the ends give the count. Each end is its own
      // subquery: SQLite finds MIN or MAX alone by one b-tree descent, but reads the whole table for both together.
      const ends = db.prepare('SELECT (SELECT MIN(rowid) FROM staging.staged) AS lo, (SELECT MAX(rowid) FROM staging.staged) AS hi').get() as {
        lo: number | null;
        hi: number | null;
      };
      const staged = { ...ends, n: ends.lo === null || ends.hi === null ? 0 : ends.hi - ends.lo + 1 };
      // Deferred: staged rowids run 1..n in file order and the examples take base + rowid, a range nothing else
      // uses, recorded in the backlog. Inline: base is NULL, so each id is SQLite's next one (and indexed by trigger).
      let base: number | null = null;
      if (options.deferIndex) {
        base = firstFreeExampleId(db) - 1;
        if (staged.lo !== null && staged.hi !== null) deferIndexing(db, base + staged.lo, base + staged.hi);
      }
      const existing = (db.prepare('SELECT COUNT(*) AS n FROM examples').get() as { n: number }).n;
      const hashIndex = staged.n >= REBUILD_HASH_INDEX_SHARE * (existing + staged.n) ? schemaSql(db, 'index', HASH_INDEX) : undefined;
      if (hashIndex) db.exec(`DROP INDEX ${HASH_INDEX}`);
      const ftsTrigger = options.deferIndex ? schemaSql(db, 'trigger', FTS_INSERT_TRIGGER) : undefined;
      if (ftsTrigger) db.exec(`DROP TRIGGER ${FTS_INSERT_TRIGGER}`);
      db.prepare(
        `INSERT INTO examples (id, project_id, dataset_id, row_number, text, original_label, label, split, content_hash)
         SELECT ? + rowid, ?, ?, rn, text, label, label, ${SPLIT_OF_ROWID}, hash FROM staging.staged ORDER BY rowid`,
      ).run(base, projectId, datasetId, splits);
      if (ftsTrigger) db.exec(ftsTrigger);
      if (hashIndex) db.exec(hashIndex);
      const now = nowIso();
      db.prepare('UPDATE projects SET updated_at = ?, last_used_at = ? WHERE id = ?').run(now, now, projectId);
    }).immediate();
  } finally {
    if (options.deferIndex) db.pragma(`wal_autocheckpoint = ${autoCheckpoint}`);
    db.exec('DETACH DATABASE staging');
  }
}

/** The CREATE statement of an index or trigger as the schema holds it (so a rebuild restores exactly what migrations made). */
function schemaSql(db: Db, type: 'index' | 'trigger', name: string): string | undefined {
  return (db.prepare('SELECT sql FROM sqlite_master WHERE type = ? AND name = ?').get(type, name) as { sql: string | null } | undefined)?.sql ?? undefined;
}
