import type { Database } from 'better-sqlite3';

/**
 * Ordered schema migrations. Migration N brings a database from user_version N-1 to N.
 * Never edit a migration that has shipped: append a new one.
 */
export interface Migration {
  version: number;
  name: string;
  up: (db: Database) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'projects, datasets, examples, label edits, runs, models, predictions',
    up(db) {
      db.exec(`
        CREATE TABLE projects (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL UNIQUE,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          last_used_at TEXT NOT NULL
        );

        CREATE TABLE datasets (
          id TEXT PRIMARY KEY,
          project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
          name TEXT NOT NULL,
          source_path TEXT NOT NULL,
          format TEXT NOT NULL,
          encoding TEXT NOT NULL,
          text_columns TEXT NOT NULL,          -- JSON array of column names
          label_column TEXT NOT NULL,
          split_column TEXT,
          split_seed INTEGER,
          rows INTEGER NOT NULL,
          skipped TEXT NOT NULL,               -- JSON SkippedCounts
          file_sha256 TEXT,
          created_at TEXT NOT NULL
        );
        CREATE INDEX datasets_project ON datasets(project_id);

        CREATE TABLE examples (
          id INTEGER PRIMARY KEY,
          project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
          dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
          row_number INTEGER NOT NULL,
          text TEXT NOT NULL,
          original_label TEXT NOT NULL,
          label TEXT NOT NULL,
          split TEXT NOT NULL CHECK (split IN ('train', 'validation', 'test')),
          content_hash TEXT NOT NULL
        );
        CREATE INDEX examples_project_split ON examples(project_id, split);
        CREATE INDEX examples_project_label ON examples(project_id, label);
        CREATE INDEX examples_hash ON examples(project_id, content_hash);
        CREATE INDEX examples_dataset ON examples(dataset_id);

        CREATE TABLE label_edits (
          id INTEGER PRIMARY KEY,
          project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
          example_id INTEGER NOT NULL REFERENCES examples(id) ON DELETE CASCADE,
          batch_id TEXT NOT NULL,
          old_label TEXT NOT NULL,
          new_label TEXT NOT NULL,
          author TEXT NOT NULL,
          created_at TEXT NOT NULL,
          undone_at TEXT
        );
        CREATE INDEX label_edits_project ON label_edits(project_id, id);
        CREATE INDEX label_edits_batch ON label_edits(batch_id);

        CREATE TABLE runs (
          id TEXT PRIMARY KEY,
          project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
          name TEXT NOT NULL,
          model TEXT NOT NULL,
          config TEXT NOT NULL,                -- JSON training config
          backend TEXT,
          status TEXT NOT NULL,
          data_hash TEXT,
          pipeline TEXT,                       -- JSON text pipeline (tokenizer settings + vocabulary)
          labels TEXT,                         -- JSON array, model output order
          epochs INTEGER NOT NULL DEFAULT 0,
          best_epoch INTEGER,
          metrics TEXT,                        -- JSON {validation, test}
          evaluation TEXT,                     -- JSON Evaluation on test
          findings TEXT NOT NULL DEFAULT '[]', -- JSON Finding[]
          actions TEXT NOT NULL DEFAULT '[]',  -- JSON DoctorAction[]
          error TEXT,
          created_at TEXT NOT NULL,
          started_at TEXT,
          finished_at TEXT
        );
        CREATE INDEX runs_project ON runs(project_id, created_at);

        CREATE TABLE run_epochs (
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          epoch INTEGER NOT NULL,
          metrics TEXT NOT NULL,               -- JSON TrainingEpoch
          PRIMARY KEY (run_id, epoch)
        );

        -- Weights are stored as TensorFlow.js weight specs (JSON) plus one binary blob.
        CREATE TABLE run_checkpoints (
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          kind TEXT NOT NULL CHECK (kind IN ('last', 'best')),
          epoch INTEGER NOT NULL,
          topology TEXT NOT NULL,
          weight_specs TEXT NOT NULL,
          weights BLOB NOT NULL,
          state TEXT NOT NULL,                 -- JSON loop state: optimizer, rng, early stopping
          created_at TEXT NOT NULL,
          PRIMARY KEY (run_id, kind)
        );

        CREATE TABLE models (
          id TEXT PRIMARY KEY,
          project_id TEXT REFERENCES projects(id) ON DELETE SET NULL,
          run_id TEXT REFERENCES runs(id) ON DELETE SET NULL,
          name TEXT NOT NULL,
          source TEXT NOT NULL CHECK (source IN ('run', 'bundle')),
          bundle_path TEXT,
          manifest TEXT NOT NULL,              -- JSON bundle manifest
          topology TEXT NOT NULL,
          weight_specs TEXT NOT NULL,
          weights BLOB NOT NULL,
          vocab TEXT NOT NULL,
          checksum TEXT NOT NULL,
          metrics TEXT,
          created_at TEXT NOT NULL
        );

        CREATE TABLE predictions (
          id INTEGER PRIMARY KEY,
          model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
          text_hash TEXT NOT NULL,
          label TEXT NOT NULL,
          probability REAL NOT NULL,
          probabilities TEXT NOT NULL,
          source TEXT NOT NULL,
          created_at TEXT NOT NULL
        );
        CREATE INDEX predictions_model ON predictions(model_id, text_hash);
      `);
    },
  },
  {
    version: 2,
    name: 'examples: an index in id order per project, for paging the examples list',
    up(db) {
      // The examples list pages with ORDER BY id LIMIT/OFFSET and counts its rows; without this index SQLite
      // sorts every matching id in a temporary b-tree (hundreds of ms on 200k rows) and counts through the
      // widest index (the content hashes).
      db.exec('CREATE INDEX examples_project_order ON examples(project_id, id)');
    },
  },
  {
    version: 3,
    name: 'examples: covering indexes for the review filters and label counts',
    up(db) {
      // Conflicts (same text, several labels) and leaks (same text, several splits) group by content hash and
      // look at label and split; label counts group by label and look at split. With those columns in the
      // index the queries never touch the table rows (1 s -> tens of ms on 100k examples).
      db.exec(`
        DROP INDEX examples_hash;
        CREATE INDEX examples_hash ON examples(project_id, content_hash, label, split);
        DROP INDEX examples_project_label;
        CREATE INDEX examples_project_label ON examples(project_id, label, split);
      `);
    },
  },
  {
    version: 4,
    name: 'run_predictions: every prediction of each evaluated split, so a confusion cell opens exactly its examples',
    up(db) {
      // One row per (run, split, example): the true class at evaluation time (a later relabel must not move the
      // example to another cell), the predicted class, its probability, and every class's probability as
      // little-endian float32 (22 classes: 88 bytes). The cell index answers "row i, column j" without a scan.
      db.exec(`
        CREATE TABLE run_predictions (
          run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
          split TEXT NOT NULL CHECK (split IN ('train', 'validation', 'test')),
          example_id INTEGER NOT NULL,
          truth INTEGER NOT NULL,
          predicted INTEGER NOT NULL,
          confidence REAL NOT NULL,
          probabilities BLOB NOT NULL,
          PRIMARY KEY (run_id, split, example_id)
        ) WITHOUT ROWID;
        CREATE INDEX run_predictions_cell ON run_predictions(run_id, split, truth, predicted);
      `);
    },
  },
  {
    version: 5,
    name: 'runs.device: what each run trained on (GPU adapter or CPU), beside its backend',
    up(db) {
      // JSON DeviceInfo (shared/compute.ts): kind, the label the app shows ("GPU: NVIDIA …", "CPU: wasm, 1 thread")
      // and the WebGPU adapter. NULL for runs from before, which recorded only their backend.
      db.exec('ALTER TABLE runs ADD COLUMN device TEXT');
    },
  },
  {
    version: 6,
    name: 'edit batches: every change to the data (relabels, removed duplicates, re-splits) as one undoable, recorded batch',
    up(db) {
      // A removed example leaves the examples table (so no query anywhere has to skip it) for removed_examples,
      // with its label edits: examples cascade their label_edits, and undo puts both back under the same id.
      db.exec(`
        CREATE TABLE edit_batches (
          id TEXT PRIMARY KEY,
          project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
          kind TEXT NOT NULL CHECK (kind IN ('relabel', 'remove', 'resplit')),
          summary TEXT NOT NULL,
          count INTEGER NOT NULL,
          author TEXT NOT NULL,
          created_at TEXT NOT NULL,
          undone_at TEXT
        );
        CREATE INDEX edit_batches_project ON edit_batches(project_id, created_at);

        CREATE TABLE removed_examples (
          id INTEGER PRIMARY KEY,
          project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
          batch_id TEXT NOT NULL REFERENCES edit_batches(id) ON DELETE CASCADE,
          example TEXT NOT NULL,
          edits TEXT NOT NULL
        );
        CREATE INDEX removed_examples_batch ON removed_examples(batch_id);

        CREATE TABLE split_edits (
          id INTEGER PRIMARY KEY,
          project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
          example_id INTEGER NOT NULL REFERENCES examples(id) ON DELETE CASCADE,
          batch_id TEXT NOT NULL REFERENCES edit_batches(id) ON DELETE CASCADE,
          old_split TEXT NOT NULL,
          new_split TEXT NOT NULL
        );
        CREATE INDEX split_edits_batch ON split_edits(batch_id);

        INSERT INTO edit_batches (id, project_id, kind, summary, count, author, created_at, undone_at)
          SELECT batch_id, project_id, 'relabel', 'Relabelled ' || COUNT(*) || ' example(s) as "' || MAX(new_label) || '"', COUNT(*), MAX(author), MIN(created_at), MAX(undone_at)
          FROM label_edits GROUP BY batch_id;
      `);
    },
  },
  {
    version: 7,
    name: 'examples_fts: full-text search over the examples, kept in step by triggers',
    up(db) {
      // An external-content FTS5 index (the text is stored once, in examples). The Data view's search was a
      // LIKE scan (494 ms on 240,000 rows); a MATCH on this index answers in milliseconds (npm run bench search).
      // unicode61 with diacritics folded: "resume" finds "résumé". Prefix indexes for 2 and 3 characters: what a
      // person has typed of a word so far ("co") matches 110,000 of the 240,000 O*NET rows, and counting those
      // took 56 ms by merging every term's list against 5 ms with the prefix index. Triggers keep the index in
      // step with every write path.
      db.exec(`
        CREATE VIRTUAL TABLE examples_fts USING fts5(text, content = 'examples', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
        INSERT INTO examples_fts (examples_fts) VALUES ('rebuild');
        CREATE TRIGGER examples_fts_insert AFTER INSERT ON examples BEGIN
          INSERT INTO examples_fts (rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER examples_fts_delete AFTER DELETE ON examples BEGIN
          INSERT INTO examples_fts (examples_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        CREATE TRIGGER examples_fts_update AFTER UPDATE OF text ON examples BEGIN
          INSERT INTO examples_fts (examples_fts, rowid, text) VALUES ('delete', old.id, old.text);
          INSERT INTO examples_fts (rowid, text) VALUES (new.id, new.text);
        END;
      `);
    },
  },
  {
    version: 8,
    name: 'runs: starred, so a person can mark the runs that matter',
    up(db) {
      db.exec('ALTER TABLE runs ADD COLUMN starred INTEGER NOT NULL DEFAULT 0');
    },
  },
  {
    version: 9,
    name: 'run_linear_models: the trained linear model of a run (vocabulary, weights) and its cross-validation table',
    up(db) {
      // A linear run has no epochs and no TensorFlow.js checkpoint: one exact fit, stored whole. `model` is the
      // LinearModelJSON (labels, chosen settings, calibration, TF-IDF vocabulary), `weights` its float32
      // weights little-endian, `search` the cross-validation table and its cost (LinearSearchReport).
      db.exec(`
        CREATE TABLE run_linear_models (
          run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
          model TEXT NOT NULL,
          weights BLOB NOT NULL,
          search TEXT NOT NULL,
          created_at TEXT NOT NULL
        );
      `);
    },
  },
  {
    version: 10,
    name: 'runs.owner and runs.heartbeat_at: the process that trains a run, so that two never train one run',
    up(db) {
      // owner = "host/pid/start" (store/owners.ts); NULL when no process trains the run. A queued or running run
      // whose owner is gone reads as 'interrupted' and is stored so by the next process that opens the workspace.
      db.exec('ALTER TABLE runs ADD COLUMN owner TEXT; ALTER TABLE runs ADD COLUMN heartbeat_at TEXT;');
    },
  },
  {
    version: 11,
    name: 'fts_backlog: example ids not yet in the full-text index; the index triggers skip them',
    up(db) {
      // A large import writes its examples without the full-text index (building it inside the import's one
      // transaction took 29.7 s of a 34.5 s import of 200 MB) and records their id range here; the index is built
      // afterwards in short transactions (store/fts-backlog.ts), and search matches these rows without it
      // (store/search.ts). An id inside a range means "not in examples_fts": the triggers must not ask FTS5 to
      // delete what it never got (an external-content index would then hold wrong counts), and a row that comes
      // back into a range (an undone removal) waits for the indexer like its neighbours.
      db.exec(`
        CREATE TABLE fts_backlog (
          lo INTEGER PRIMARY KEY,
          hi INTEGER NOT NULL CHECK (hi >= lo)
        );
        DROP TRIGGER examples_fts_insert;
        DROP TRIGGER examples_fts_delete;
        DROP TRIGGER examples_fts_update;
        CREATE TRIGGER examples_fts_insert AFTER INSERT ON examples
        WHEN NOT EXISTS (SELECT 1 FROM fts_backlog WHERE lo <= new.id AND hi >= new.id) BEGIN
          INSERT INTO examples_fts (rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER examples_fts_delete AFTER DELETE ON examples
        WHEN NOT EXISTS (SELECT 1 FROM fts_backlog WHERE lo <= old.id AND hi >= old.id) BEGIN
          INSERT INTO examples_fts (examples_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        CREATE TRIGGER examples_fts_update AFTER UPDATE OF text ON examples
        WHEN NOT EXISTS (SELECT 1 FROM fts_backlog WHERE lo <= old.id AND hi >= old.id) BEGIN
          INSERT INTO examples_fts (examples_fts, rowid, text) VALUES ('delete', old.id, old.text);
          INSERT INTO examples_fts (rowid, text) VALUES (new.id, new.text);
        END;
      `);
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
