/**
 * The index's SQL schema, as numbered migrations. A store opened by a newer Strata migrates the
 * file forward once; a file from a newer Strata is refused rather than misread.
 */
import type { SqlDatabase } from './sqlite';
import { RUN_STATUSES } from '../../shared/runs/types';
import { RunStoreOpenError } from './errors';

const STATUS_CHECK = RUN_STATUSES.map((s) => `'${s}'`).join(', ');

/** A migration: SQL, or a function for a step that must look at the file first. */
type Migration = string | ((db: SqlDatabase) => void);

/** Whether table `runs` has column `name` (pragma_table_info, a table-valued function since SQLite 3.16). */
function hasRunsColumn(db: SqlDatabase, name: string): boolean {
  return db.prepare("SELECT 1 FROM pragma_table_info('runs') WHERE name = ?").get(name) !== undefined;
}

/** Each entry brings the schema from version `i` to `i + 1`. */
const MIGRATIONS: readonly Migration[] = [
  `
  CREATE TABLE runs (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created_at REAL NOT NULL,
    started_at REAL,
    ended_at REAL,
    status TEXT NOT NULL CHECK (status IN (${STATUS_CHECK})),
    status_reason TEXT,
    arch_name TEXT NOT NULL,
    train_count INTEGER NOT NULL,
    val_count INTEGER NOT NULL,
    config TEXT NOT NULL,
    dataset TEXT NOT NULL,
    seed REAL NOT NULL,
    backend TEXT,
    versions TEXT NOT NULL,
    host TEXT NOT NULL,
    epochs_done INTEGER NOT NULL DEFAULT 0,
    best_epoch INTEGER,
    best_score REAL,
    best_metric TEXT,
    last_ckpt_epoch INTEGER,
    last_ckpt_step INTEGER,
    duration_ms REAL NOT NULL DEFAULT 0,
    pid INTEGER,
    -- when the owning process started (ms): tells this process's own live runs from stale ones
    -- left by an earlier process that had the same pid
    pid_started_at REAL
  );
  CREATE INDEX runs_by_created ON runs (created_at, id);
  CREATE INDEX runs_by_status ON runs (status, created_at);
  CREATE INDEX runs_by_best ON runs (best_score);

  CREATE TABLE batch_metrics (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    batch INTEGER NOT NULL,
    loss REAL,
    iou REAL,
    lr REAL,
    images_per_sec REAL,
    time REAL NOT NULL,
    PRIMARY KEY (run_id, step)
  ) WITHOUT ROWID;

  CREATE TABLE epoch_metrics (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    step INTEGER NOT NULL,
    train_loss REAL,
    train_iou REAL,
    val_loss REAL,
    val_iou REAL,
    val_pixel_iou REAL,
    val_score REAL,
    best_threshold REAL,
    lr REAL,
    images_per_sec REAL,
    epoch_seconds REAL,
    time REAL NOT NULL,
    extra TEXT,
    PRIMARY KEY (run_id, epoch)
  ) WITHOUT ROWID;

  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    time REAL NOT NULL,
    step INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    type TEXT NOT NULL,
    message TEXT NOT NULL,
    data TEXT
  );
  CREATE INDEX events_by_run ON events (run_id, seq);
  `,
  // Version 2: the lab's training queue in order (src-main/runs/queue.ts), which older labs kept in
  // <dataDir>/lab-runs.json; a deleted run leaves the queue with its row.
  `
  CREATE TABLE lab_queue (
    run_id TEXT PRIMARY KEY NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    position INTEGER NOT NULL UNIQUE
  );
  `,
  // Version 3: the post-processing a run chose at the end of training and its held-out test
  // result, as JSON (shared/runs/postprocess.ts); NULL for runs that have none (all older ones).
  `
  ALTER TABLE runs ADD COLUMN postprocess TEXT;
  ALTER TABLE runs ADD COLUMN test_result TEXT;
  `,
  // Version 4: the experiment that planned a run (shared/runs/request.ts experimentTagSchema), as
  // JSON, with its name in a column of its own to find an experiment's runs by; NULL for runs made
  // otherwise (all older ones). Each column is added only where it is missing: a file taken back to
  // an older version by hand (as tests do) may still have it.
  (db) => {
    if (!hasRunsColumn(db, 'experiment')) db.exec('ALTER TABLE runs ADD COLUMN experiment TEXT');
    if (!hasRunsColumn(db, 'experiment_name')) db.exec('ALTER TABLE runs ADD COLUMN experiment_name TEXT');
    db.exec('CREATE INDEX IF NOT EXISTS runs_by_experiment ON runs (experiment_name, created_at)');
  },
  // Version 5: holds (RunStore.hold): a process that works on something for a while without
  // training it (a run's finalize, an experiment runner's session) holds its key, with its pid and
  // start time, so that another process does not start on it meanwhile; a holder that is gone holds nothing.
  `
  CREATE TABLE IF NOT EXISTS holds (
    key TEXT PRIMARY KEY NOT NULL,
    pid INTEGER NOT NULL,
    pid_started_at REAL NOT NULL,
    what TEXT NOT NULL,
    since REAL NOT NULL
  );
  `,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the index at `file` to {@link SCHEMA_VERSION}; one writer at a time, each step in its own transaction. */
export function migrate(db: SqlDatabase, file: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const step = (): boolean => {
    const row: unknown = db.prepare('SELECT version FROM schema_version').get();
    let version = 0;
    if (row !== undefined) {
      const v = (row as Record<string, unknown>).version;
      if (typeof v !== 'number') throw new RunStoreOpenError(`${file}: schema_version holds ${String(v)}`);
      version = v;
    } else {
      db.prepare('INSERT INTO schema_version (version) VALUES (0)').run();
    }
    if (version > SCHEMA_VERSION) {
      throw new RunStoreOpenError(
        `${file} was written by a newer Strata (index schema ${version}; this build knows up to ${SCHEMA_VERSION})`,
      );
    }
    if (version === SCHEMA_VERSION) return false;
    const m = MIGRATIONS[version] ?? '';
    if (typeof m === 'string') db.exec(m);
    else m(db);
    db.prepare('UPDATE schema_version SET version = ?').run(version + 1);
    return true;
  };
  // IMMEDIATE takes the write lock up front, so two processes opening a fresh store cannot both migrate.
  while (db.transaction(step, 'immediate')) {
    // one migration per transaction until current
  }
}
