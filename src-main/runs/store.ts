/**
 * The run store: `index.sqlite` (WAL) holds every run's row, metrics and events; `runs/<id>/` holds
 * what is large: run.json (architecture and split), checkpoints and validation predictions, all
 * written atomically. A run's data up to its last committed write survives a SIGKILL at any moment.
 * Several processes may open one store (the lab and a training process); each run has one writer.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type {
  BatchMetric,
  Checkpoint,
  CheckpointKind,
  EpochMetric,
  RunEvent,
  RunHost,
  RunInit,
  RunListQuery,
  RunOrder,
  RunPatch,
  RunPredictions,
  RunRecord,
  RunStatus,
  RunSummary,
} from '../../shared/runs/types';
import { BEST_METRIC } from '../../shared/runs/bestEpoch';
import { ACTIVE_STATUSES, RUN_STATUSES } from '../../shared/runs/types';
import { fsyncDir, mkdirDurable, removeDeadTemps, writeFileAtomic } from './atomic';
import type { CheckpointInfo } from './checkpoint';
import { checkpointInfo, readCheckpoint, readSnapshot, snapshotInfos, writeCheckpoint, writeSnapshot } from './checkpoint';
import { RunInputError, RunNotFoundError, RunStoreCorruptError, RunStoreOpenError } from './errors';
import { ensureFolder } from './home';
import { newRunId, runFolder } from './ids';
import { ownerGone, ownerStartTime, sameStart, type ProcessOwner } from './liveness';
import {
  architectureOutline,
  parseJson,
  runBackendSchema,
  runConfigSchema,
  runDatasetSchema,
  runFileSchema,
  runHostSchema,
  runSplitSchema,
  runVersionsSchema,
} from './parse';
import { runPostprocessSchema, runTestResultSchema } from '../../shared/runs/postprocess';
import { experimentTagSchema } from '../../shared/runs/request';
import { predictionEpochsIn, readPredictions, writePredictions } from './predictions';
import { RunQueue } from './queue';
import { batchFromRow, epochFromRow, eventFromRow, extraToJson, Row, SUMMARY_COLUMNS, summaryFromRow } from './rows';
import { migrate } from './schema';
import type { SqlDatabase, SqliteDriverName, SqlValue } from './sqlite';
import { openDatabase } from './sqlite';

/** Statuses after which no process owns the run any more. */
const FINAL_STATUSES: readonly RunStatus[] = ['done', 'stopped', 'failed', 'interrupted'];

const ORDER_COLUMNS: Record<RunOrder, string> = {
  createdAt: 'created_at',
  startedAt: 'started_at',
  endedAt: 'ended_at',
  bestScore: 'best_score',
  name: 'name COLLATE NOCASE',
  status: 'status',
  epochsDone: 'epochs_done',
  durationMs: 'duration_ms',
};

/** Milliseconds a writer waits for another process's transaction before giving up. */
const BUSY_TIMEOUT_MS = 10_000;

/** The JSON text of `value`, checked to read back through `schema` (JSON drops NaN, undefined...). */
function storable<T>(schema: z.ZodType<T>, value: T, what: string): string {
  const text = JSON.stringify(value);
  const r = schema.safeParse(text === undefined ? undefined : JSON.parse(text));
  if (!r.success) throw new RunInputError(`${what} cannot be stored: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return text;
}

function checkInt(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0) throw new RunInputError(`${what} must be a non-negative integer, got ${v}`);
  return v;
}

function checkTime(v: number, what: string): number {
  if (!Number.isFinite(v)) throw new RunInputError(`${what} must be a finite time in ms, got ${v}`);
  return v;
}

function thisHost(): RunHost {
  return { hostname: os.hostname(), platform: process.platform, arch: process.arch, cpus: os.cpus().length };
}

/** What {@link RunStore.claim} found. */
export type ClaimResult =
  | { ok: true; /** The dead owner the run was taken from, if it had one. */ tookOverFrom: number | null }
  | { ok: false; status: RunStatus; owner: { pid: number | null; startedAt: number | null }; message: string };

/**
 * A hold (see {@link RunStore.hold}): key, holder (pid and start time), what it is doing (`choosing
 * the post-processing of run X`), and since when (ms).
 */
export interface Hold {
  key: string;
  pid: number;
  startedAt: number;
  what: string;
  since: number;
}

/** What {@link RunStore.hold} found: the hold taken (`release` gives it back), or the refusal in words. */
export type HoldResult = { ok: true; release: () => void } | { ok: false; holder: Hold | null; message: string };

/** The hold key of run `id`: held while its post-processing is chosen; {@link RunStore.claim} refuses the run meanwhile. */
export function runHoldKey(id: string): string {
  return `run:${id}`;
}

/** `pid 123 is choosing the post-processing of run X (since 12:00:03)`. */
export function holdMessage(h: Hold): string {
  return `pid ${h.pid} is ${h.what} (since ${new Date(h.since).toISOString().slice(11, 19)} UTC)`;
}

/** What a second trainer of a run is told (the CLI prints it, the lab answers it as a conflict). */
export function alreadyTrainedMessage(runId: string, pid: number | null): string {
  return `run ${runId} is already being trained by pid ${pid ?? '?'}`;
}

/** The run store. Methods are synchronous: SQLite and the file writes block only the calling thread. */
export class RunStore {
  /** The index file. */
  readonly indexFile: string;
  /** The folder that holds one folder per run. */
  readonly runsDir: string;
  /** The SQLite driver the index is open with: `node` (node:sqlite) or `better-sqlite3`. */
  readonly driver: SqliteDriverName;
  private readonly db: SqlDatabase;
  private readonly st: ReturnType<RunStore['prepare']>;
  /** The lab's training queue, in order (the runs' `queued` status and their place in line live in one file). */
  readonly queue: RunQueue;

  private constructor(
    /** The store's root folder. */
    readonly root: string,
    db: SqlDatabase,
    indexFile: string,
  ) {
    this.db = db;
    this.driver = db.driver;
    this.indexFile = indexFile;
    this.runsDir = path.join(root, 'runs');
    this.st = this.prepare();
    this.queue = new RunQueue(db);
  }

  /**
   * Opens (creating if needed) the store at `rootDir`, migrates its index, clears the leftovers of
   * interrupted deletions, and marks runs whose process died as interrupted. A folder that cannot
   * be created or written throws a FolderError naming it; an index that cannot be opened, a
   * RunStoreOpenError.
   */
  static open(rootDir: string): RunStore {
    const root = path.resolve(rootDir);
    ensureFolder(root, 'runs folder');
    mkdirDurable(path.join(root, 'runs'));
    const indexFile = path.join(root, 'index.sqlite');
    let db: SqlDatabase | undefined;
    try {
      db = openDatabase(indexFile, { busyTimeoutMs: BUSY_TIMEOUT_MS });
      const mode: unknown = db.pragma('journal_mode = WAL');
      if (mode !== 'wal') throw new RunStoreOpenError(`${indexFile}: the file system does not support WAL (journal mode ${String(mode)})`);
      // FULL: a commit is on the disk when it returns (the WAL is fsynced at every commit). Under
      // NORMAL a power cut can take back the last commits while the checkpoint files written after
      // them (fsynced) survive, and a resume from such a checkpoint leaves a gap in the metrics. A
      // trainer commits a few times an epoch; test/runs/fixtures/syncCost.ts measures what FULL costs there.
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      migrate(db, indexFile);
    } catch (e) {
      db?.close();
      if (e instanceof RunStoreOpenError) throw e;
      throw new RunStoreOpenError(`Cannot open the run index ${indexFile}: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
      });
    }
    const store = new RunStore(root, db, indexFile);
    store.emptyTrash();
    removeDeadTemps(store.runsDir);
    store.recoverInterrupted();
    return store;
  }

  private prepare() {
    const db = this.db;
    return {
      exists: db.prepare('SELECT 1 FROM runs WHERE id = ?'),
      summary: db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM runs WHERE id = ?`),
      insertRun: db.prepare(
        `INSERT INTO runs (id, name, created_at, started_at, status, arch_name, train_count, val_count, config, dataset,
           seed, backend, versions, host, pid, pid_started_at, experiment, experiment_name)
         VALUES (@id, @name, @created_at, @started_at, @status, @arch_name, @train_count, @val_count, @config, @dataset,
           @seed, @backend, @versions, @host, @pid, @pid_started_at, @experiment, @experiment_name)`,
      ),
      insertBatch: db.prepare(
        `INSERT OR REPLACE INTO batch_metrics (run_id, step, epoch, batch, loss, iou, lr, images_per_sec, time)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertEpoch: db.prepare(
        `INSERT OR REPLACE INTO epoch_metrics (run_id, epoch, step, train_loss, train_iou, val_loss, val_iou, val_pixel_iou,
           val_score, best_threshold, lr, images_per_sec, epoch_seconds, time, extra)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      batches: db.prepare('SELECT * FROM batch_metrics WHERE run_id = ? AND step >= ? ORDER BY step LIMIT ?'),
      epochs: db.prepare('SELECT * FROM epoch_metrics WHERE run_id = ? ORDER BY epoch'),
      insertEvent: db.prepare(
        'INSERT INTO events (run_id, time, step, epoch, type, message, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      events: db.prepare('SELECT * FROM events WHERE run_id = ? ORDER BY seq'),
      active: db.prepare(
        `SELECT id, pid, pid_started_at, epochs_done FROM runs WHERE status IN (${ACTIVE_STATUSES.map(() => '?').join(', ')})`,
      ),
      lastActivity: db.prepare(
        `SELECT MAX(COALESCE((SELECT MAX(time) FROM batch_metrics WHERE run_id = @id), 0),
                    COALESCE((SELECT MAX(time) FROM epoch_metrics WHERE run_id = @id), 0),
                    COALESCE((SELECT MAX(time) FROM events WHERE run_id = @id), 0),
                    COALESCE(started_at, 0), created_at) FROM runs WHERE id = @id`,
      ),
      lastStep: db.prepare('SELECT MAX(step) FROM batch_metrics WHERE run_id = ?'),
      interrupt: db.prepare(
        `UPDATE runs SET status = 'interrupted', status_reason = ?, ended_at = COALESCE(ended_at, ?)
         WHERE id = ? AND status IN (${ACTIVE_STATUSES.map(() => '?').join(', ')})`,
      ),
    };
  }

  private what(id: string): string {
    return `run ${id}`;
  }

  /**
   * Whether run `id`'s recorded owner (`pid`, started at `pidStartedAt`) is gone (liveness.ts). A
   * record without a start time is also judged by when the run was last active: a live process with
   * its pid that started after that is not the process that trained it.
   */
  private ownerGoneOf(id: string, pid: number | null, pidStartedAt: number | null): boolean {
    if (pid === null || pidStartedAt !== null) return ownerGone(pid, pidStartedAt);
    const last: unknown = this.st.lastActivity.value({ id });
    return ownerGone(pid, null, typeof last === 'number' && last > 0 ? last : null);
  }

  /** Checks `id` and that the run exists; returns its folder. */
  private folderOf(id: unknown): { id: string; dir: string } {
    const dir = runFolder(this.runsDir, id);
    const safe = path.basename(dir);
    if (this.st.exists.value(safe) === undefined) throw new RunNotFoundError(safe);
    return { id: safe, dir };
  }

  /** Creates a run: its folder with run.json first, then its index row. */
  createRun(init: RunInit): RunRecord {
    const createdAt = Date.now();
    const status = init.status ?? 'queued';
    if (!RUN_STATUSES.includes(status)) throw new RunInputError(`Unknown run status ${String(status)}`);
    if (typeof init.name !== 'string') throw new RunInputError('A run needs a name');
    const seed = init.seed ?? init.config.seed;
    if (!Number.isFinite(seed)) throw new RunInputError(`Run seed must be a finite number, got ${seed}`);
    const row = {
      name: init.name,
      created_at: createdAt,
      started_at: init.startedAt ?? null,
      status,
      arch_name: init.arch.name,
      train_count: init.split.train.length,
      val_count: init.split.val.length,
      config: storable(runConfigSchema, init.config, 'Run configuration'),
      dataset: storable(runDatasetSchema, init.dataset, 'Run dataset'),
      seed,
      backend: init.backend ? storable(runBackendSchema, init.backend, 'Run backend') : null,
      versions: storable(runVersionsSchema, init.versions, 'Run versions'),
      host: storable(runHostSchema, init.host ?? thisHost(), 'Run host'),
      pid: init.pid ?? null,
      pid_started_at: init.pid === undefined ? null : ownerStartTime(init.pid),
      experiment: init.experiment ? storable(experimentTagSchema, init.experiment, 'Run experiment tag') : null,
      experiment_name: init.experiment?.name ?? null,
    };
    storable(architectureOutline, init.arch, 'Run architecture');
    storable(runSplitSchema, init.split, 'Run split');

    let id = newRunId(createdAt);
    let dir = runFolder(this.runsDir, id);
    for (let tries = 0; ; tries++) {
      try {
        fs.mkdirSync(dir);
        break;
      } catch (e) {
        // Same millisecond and same random suffix: astronomically rare, but cheap to survive.
        if (!(e instanceof Error && 'code' in e && e.code === 'EEXIST') || tries > 5) throw e;
        id = newRunId(createdAt);
        dir = runFolder(this.runsDir, id);
      }
    }
    try {
      // The new folder's own entry, as the files in it, must survive a power cut.
      fsyncDir(this.runsDir);
      writeFileAtomic(
        path.join(dir, 'run.json'),
        JSON.stringify({ format: 'strata-run', version: 1, id, arch: init.arch, split: init.split }),
      );
      this.st.insertRun.run({ id, ...row });
    } catch (e) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    return this.get(id);
  }

  /** The run's summary (no architecture, no split): cheap, from the index alone. */
  summary(id: string): RunSummary {
    const { id: safe } = this.folderOf(id);
    return summaryFromRow(this.st.summary.get(safe), this.indexFile);
  }

  /** The whole run, architecture and split included. */
  get(id: string): RunRecord {
    const { id: safe, dir } = this.folderOf(id);
    const s = summaryFromRow(this.st.summary.get(safe), this.indexFile);
    const file = path.join(dir, 'run.json');
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new RunStoreCorruptError(file, `cannot be read (${e instanceof Error ? e.message : String(e)})`);
    }
    const f = parseJson(runFileSchema, text, file);
    if (f.id !== safe) throw new RunStoreCorruptError(file, `belongs to run ${f.id}, not ${safe}`);
    const { archName: _a, trainCount: _t, valCount: _v, ...rest } = s;
    return { ...rest, arch: f.arch, split: f.split };
  }

  private where(q: RunListQuery): { sql: string; params: SqlValue[] } {
    if (q.status === undefined) return { sql: '', params: [] };
    const list = Array.isArray(q.status) ? q.status : [q.status];
    for (const s of list) if (!RUN_STATUSES.includes(s)) throw new RunInputError(`Unknown run status ${String(s)}`);
    if (list.length === 0) return { sql: 'WHERE 0', params: [] };
    return { sql: `WHERE status IN (${list.map(() => '?').join(', ')})`, params: list };
  }

  /** Runs matching `q`, newest first by default. */
  list(q: RunListQuery = {}): RunSummary[] {
    const orderBy = q.orderBy ?? 'createdAt';
    const col = ORDER_COLUMNS[orderBy];
    if (col === undefined) throw new RunInputError(`Cannot order runs by ${String(orderBy)}`);
    const dir = (q.desc ?? orderBy !== 'name') ? 'DESC' : 'ASC';
    const limit = q.limit === undefined ? -1 : checkInt(q.limit, 'limit');
    const offset = q.offset === undefined ? 0 : checkInt(q.offset, 'offset');
    const w = this.where(q);
    const rows = this.db
      .prepare(`SELECT ${SUMMARY_COLUMNS} FROM runs ${w.sql} ORDER BY ${col} ${dir} NULLS LAST, id ${dir} LIMIT ? OFFSET ?`)
      .all(...w.params, limit, offset);
    return rows.map((r) => summaryFromRow(r, this.indexFile));
  }

  /**
   * The runs experiment `name` planned (their `experiment` tag names it), of every version, oldest
   * first; shared/experiments groups them by version, group and seed.
   */
  experimentRuns(name: string): RunSummary[] {
    const rows = this.db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM runs WHERE experiment_name = ? ORDER BY created_at, id`).all(name);
    return rows.map((r) => summaryFromRow(r, this.indexFile));
  }

  /** The names of every experiment with runs in the store, in name order. */
  experimentNames(): string[] {
    const rows = this.db.prepare('SELECT DISTINCT experiment_name AS name FROM runs WHERE experiment_name IS NOT NULL ORDER BY experiment_name').all();
    return rows.map((r) => {
      const name: unknown = r['name'];
      if (typeof name !== 'string') throw new RunStoreCorruptError(this.indexFile, 'an experiment_name is not text');
      return name;
    });
  }

  /** How many runs match `q` (its order and paging are ignored). */
  count(q: RunListQuery = {}): number {
    const w = this.where(q);
    const n: unknown = this.db.prepare(`SELECT COUNT(*) FROM runs ${w.sql}`).value(...w.params);
    if (typeof n !== 'number') throw new RunStoreCorruptError(this.indexFile, 'COUNT(*) is not a number');
    return n;
  }

  /** Changes a run's living fields. A final status releases the owning process unless `pid` says otherwise. */
  update(id: string, patch: RunPatch): RunSummary {
    const { id: safe } = this.folderOf(id);
    const sets: string[] = [];
    const params: Record<string, SqlValue> = { id: safe };
    const set = (col: string, v: SqlValue): void => {
      sets.push(`${col} = @${col}`);
      params[col] = v;
    };
    if (patch.name !== undefined) set('name', patch.name);
    if (patch.status !== undefined) {
      if (!RUN_STATUSES.includes(patch.status)) throw new RunInputError(`Unknown run status ${String(patch.status)}`);
      set('status', patch.status);
      if (FINAL_STATUSES.includes(patch.status) && patch.pid === undefined) {
        set('pid', null);
        set('pid_started_at', null);
      }
    }
    if (patch.statusReason !== undefined) set('status_reason', patch.statusReason);
    if (patch.startedAt !== undefined) set('started_at', patch.startedAt === null ? null : checkTime(patch.startedAt, 'startedAt'));
    if (patch.endedAt !== undefined) set('ended_at', patch.endedAt === null ? null : checkTime(patch.endedAt, 'endedAt'));
    if (patch.epochsDone !== undefined) set('epochs_done', checkInt(patch.epochsDone, 'epochsDone'));
    if (patch.durationMs !== undefined) set('duration_ms', checkTime(patch.durationMs, 'durationMs'));
    if (patch.best !== undefined) {
      const b = patch.best;
      set('best_epoch', b === null ? null : checkInt(b.epoch, 'best.epoch'));
      set('best_score', b === null ? null : b.score);
      set('best_metric', b === null ? null : String(b.metric));
    }
    if (patch.lastCheckpoint !== undefined) {
      const c = patch.lastCheckpoint;
      set('last_ckpt_epoch', c === null ? null : checkInt(c.epoch, 'lastCheckpoint.epoch'));
      set('last_ckpt_step', c === null ? null : checkInt(c.step, 'lastCheckpoint.step'));
    }
    if (patch.backend !== undefined) set('backend', patch.backend === null ? null : storable(runBackendSchema, patch.backend, 'Run backend'));
    if (patch.versions !== undefined) set('versions', storable(runVersionsSchema, patch.versions, 'Run versions'));
    if (patch.postprocess !== undefined) set('postprocess', patch.postprocess === null ? null : storable(runPostprocessSchema, patch.postprocess, 'Run post-processing'));
    if (patch.test !== undefined) set('test_result', patch.test === null ? null : storable(runTestResultSchema, patch.test, 'Run test result'));
    if (patch.pid !== undefined) {
      set('pid', patch.pid === null ? null : checkInt(patch.pid, 'pid'));
      set('pid_started_at', patch.pid === null ? null : ownerStartTime(patch.pid));
    }
    if (sets.length > 0) this.db.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE id = @id`).run(params);
    return this.summary(safe);
  }

  /**
   * Makes `owner` the one process that trains run `id`, in one `BEGIN IMMEDIATE` transaction: the
   * check and the write cannot be split by another process's claim. A run that is running or
   * paused in another live process is refused; one whose owner is gone (the pid exited, or it now
   * belongs to a process that started at another time) is taken over, with a `taken-over` event.
   * On success the run is `running`, owned by `owner` (pid and start time).
   */
  claim(id: string, owner: ProcessOwner): ClaimResult {
    const { id: safe } = this.folderOf(id);
    checkInt(owner.pid, 'owner pid');
    checkTime(owner.startedAt, 'owner start time');
    const now = Date.now();
    return this.db.transaction((): ClaimResult => {
      const r = Row.of(this.db.prepare('SELECT status, pid, pid_started_at, epochs_done FROM runs WHERE id = ?').get(safe), this.indexFile);
      const status = r.status('status');
      const pid = r.numOrNull('pid');
      const startedAt = r.numOrNull('pid_started_at');
      const mine = pid === owner.pid && startedAt !== null && sameStart(startedAt, owner.startedAt);
      const held = this.liveHold(runHoldKey(safe));
      if (held && !(held.pid === owner.pid && sameStart(held.startedAt, owner.startedAt))) {
        return { ok: false, status, owner: { pid: held.pid, startedAt: held.startedAt }, message: `run ${safe} cannot be trained now: ${holdMessage(held)}; wait for that to finish` };
      }
      let tookOverFrom: number | null = null;
      if (ACTIVE_STATUSES.includes(status) && !mine) {
        if (!this.ownerGoneOf(safe, pid, startedAt)) {
          return { ok: false, status, owner: { pid, startedAt }, message: alreadyTrainedMessage(safe, pid) };
        }
        tookOverFrom = pid;
        const step: unknown = this.st.lastStep.value(safe);
        const message = `taken over by pid ${owner.pid}: the process that ran it (${pid === null ? 'no pid recorded' : `pid ${pid}`}) is gone`;
        this.st.insertEvent.run(safe, now, typeof step === 'number' ? step : 0, r.num('epochs_done'), 'taken-over', message, JSON.stringify({ from: pid, to: owner.pid }));
      }
      this.db
        .prepare(
          `UPDATE runs SET status = 'running', status_reason = NULL, pid = ?, pid_started_at = ?, started_at = COALESCE(started_at, ?), ended_at = NULL
           WHERE id = ?`,
        )
        .run(owner.pid, owner.startedAt, now, safe);
      return { ok: true, tookOverFrom };
    }, 'immediate');
  }

  /** The hold of `key` when its holder still lives; a hold whose holder is gone is no hold (and is cleared). */
  private liveHold(key: string): Hold | null {
    const row = this.db.prepare('SELECT key, pid, pid_started_at, what, since FROM holds WHERE key = ?').get(key);
    if (row === undefined) return null;
    const r = Row.of(row, this.indexFile);
    const h: Hold = { key, pid: r.num('pid'), startedAt: r.num('pid_started_at'), what: r.str('what'), since: r.num('since') };
    if (!ownerGone(h.pid, h.startedAt)) return h;
    this.db.prepare('DELETE FROM holds WHERE key = ? AND pid = ? AND pid_started_at = ?').run(key, h.pid, h.startedAt);
    return null;
  }

  /**
   * Makes `owner` the one process that works on `key` (a run's finalize: {@link runHoldKey}; an
   * experiment runner's session) until it calls `release`, in one `BEGIN IMMEDIATE` transaction:
   * refused while another live process holds it (a hold is not re-entrant: a second hold of this
   * process is refused too), or when `check`, run inside the same transaction, returns a refusal.
   * `what` says what the holder does, for whoever is refused. A holder that dies holds nothing.
   * A hold on a run makes {@link claim} refuse it, so no trainer starts on it meanwhile.
   */
  hold(key: string, owner: ProcessOwner, what: string, check: () => string | null = () => null): HoldResult {
    checkInt(owner.pid, 'owner pid');
    checkTime(owner.startedAt, 'owner start time');
    const since = Date.now();
    const refused = this.db.transaction((): Extract<HoldResult, { ok: false }> | null => {
      const held = this.liveHold(key);
      if (held) return { ok: false, holder: held, message: holdMessage(held) };
      const refusal = check();
      if (refusal !== null) return { ok: false, holder: null, message: refusal };
      this.db.prepare('INSERT OR REPLACE INTO holds (key, pid, pid_started_at, what, since) VALUES (?, ?, ?, ?, ?)').run(key, owner.pid, owner.startedAt, what, since);
      return null;
    }, 'immediate');
    if (refused) return refused;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.db.prepare('DELETE FROM holds WHERE key = ? AND pid = ? AND pid_started_at = ?').run(key, owner.pid, owner.startedAt);
      },
    };
  }

  /** Who holds `key` now (see {@link hold}); null when no live process does. */
  holder(key: string): Hold | null {
    return this.db.transaction(() => this.liveHold(key), 'immediate');
  }

  /**
   * Holds run `id` for `owner` while it does `what` (its finalize): refused while another live
   * process trains the run or holds it. Meanwhile {@link claim} refuses the run.
   */
  holdRun(id: string, owner: ProcessOwner, what: string): HoldResult {
    const { id: safe } = this.folderOf(id);
    return this.hold(runHoldKey(safe), owner, what, () => {
      const o = this.ownerOf(safe);
      return o && !o.gone ? alreadyTrainedMessage(safe, o.pid) : null;
    });
  }

  /**
   * Who owns run `id` when it is running or paused (null otherwise), and whether that process is
   * gone (see liveness.ts: the pid and its start time).
   */
  ownerOf(id: string): { pid: number | null; startedAt: number | null; gone: boolean } | null {
    const { id: safe } = this.folderOf(id);
    const r = Row.of(this.db.prepare('SELECT status, pid, pid_started_at FROM runs WHERE id = ?').get(safe), this.indexFile);
    if (!ACTIVE_STATUSES.includes(r.status('status'))) return null;
    const pid = r.numOrNull('pid');
    const startedAt = r.numOrNull('pid_started_at');
    return { pid, startedAt, gone: this.ownerGoneOf(safe, pid, startedAt) };
  }

  /**
   * Runs `write` in one `BEGIN IMMEDIATE` transaction unless another live process owns run `id`
   * (it is running or paused, and its owner is neither `pid` nor gone); returns whether it ran.
   * What a process that ended, and may never have claimed the run, writes about it: a trainer that
   * was refused or died before its claim must not end a run that another process trains.
   */
  unlessOwnedByAnother(id: string, pid: number | null, write: () => void): boolean {
    const { id: safe } = this.folderOf(id);
    return this.db.transaction(() => {
      const owner = this.ownerOf(safe);
      if (owner && !owner.gone && owner.pid !== pid) return false;
      write();
      return true;
    }, 'immediate');
  }

  /**
   * Queues run `id` to be trained again (status `queued`), in one `BEGIN IMMEDIATE` transaction
   * that refuses a run another live process trains: queueing never overwrites a live owner's claim.
   */
  requeue(id: string): { ok: true } | { ok: false; pid: number | null; message: string } {
    const { id: safe } = this.folderOf(id);
    return this.db.transaction(() => {
      const owner = this.ownerOf(safe);
      if (owner && !owner.gone) return { ok: false as const, pid: owner.pid, message: alreadyTrainedMessage(safe, owner.pid) };
      this.db.prepare("UPDATE runs SET status = 'queued', status_reason = NULL, pid = NULL, pid_started_at = NULL WHERE id = ?").run(safe);
      return { ok: true as const };
    }, 'immediate');
  }

  /** Appends training steps in one transaction. A step already stored (a resumed run replaying it) is replaced. */
  appendBatchMetrics(id: string, rows: readonly BatchMetric[]): void {
    const { id: safe } = this.folderOf(id);
    const what = this.what(safe);
    for (const r of rows) {
      checkInt(r.step, `${what}: batch metric step`);
      checkInt(r.epoch, `${what}: batch metric epoch`);
      checkInt(r.batch, `${what}: batch metric batch`);
      checkTime(r.time, `${what}: batch metric time`);
    }
    this.db.transaction(() => {
      for (const r of rows) this.st.insertBatch.run(safe, r.step, r.epoch, r.batch, r.loss, r.iou, r.lr, r.imagesPerSec, r.time);
    });
  }

  /** Stores one finished epoch (replacing that epoch's earlier row, for a resumed run). */
  appendEpochMetric(id: string, m: EpochMetric): void {
    const { id: safe } = this.folderOf(id);
    const what = this.what(safe);
    checkInt(m.epoch, `${what}: epoch metric epoch`);
    checkInt(m.step, `${what}: epoch metric step`);
    checkTime(m.time, `${what}: epoch metric time`);
    this.st.insertEpoch.run(
      safe, m.epoch, m.step, m.trainLoss, m.trainIoU, m.valLoss, m.valIoU, m.valPixelIoU, m.valScore,
      m.bestThreshold, m.lr, m.imagesPerSec, m.epochSeconds, m.time, extraToJson(m.extra),
    );
  }

  /** Training steps in step order, from `fromStep` on, at most `limit` of them. */
  batchMetrics(id: string, opts: { fromStep?: number; limit?: number } = {}): BatchMetric[] {
    const { id: safe } = this.folderOf(id);
    const from = opts.fromStep === undefined ? 0 : checkInt(opts.fromStep, 'fromStep');
    const limit = opts.limit === undefined ? -1 : checkInt(opts.limit, 'limit');
    const where = `${this.indexFile} (batch metrics of run ${safe})`;
    return this.st.batches.all(safe, from, limit).map((r) => batchFromRow(r, where));
  }

  /** Finished epochs in epoch order. */
  epochMetrics(id: string): EpochMetric[] {
    const { id: safe } = this.folderOf(id);
    const where = `${this.indexFile} (epoch metrics of run ${safe})`;
    return this.st.epochs.all(safe).map((r) => epochFromRow(r, where));
  }

  /**
   * Forgets the metrics a resumed run will redo: steps after `to.step` and epochs after `to.epoch`
   * (the checkpoint it resumes from). Events stay, as the run's history.
   */
  rewind(id: string, to: { epoch: number; step: number }): void {
    const { id: safe } = this.folderOf(id);
    checkInt(to.epoch, 'rewind epoch');
    checkInt(to.step, 'rewind step');
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM batch_metrics WHERE run_id = ? AND step > ?').run(safe, to.step);
      this.db.prepare('DELETE FROM epoch_metrics WHERE run_id = ? AND epoch > ?').run(safe, to.epoch);
    });
  }

  /** Records an event. `data` must be JSON-serialisable. */
  addEvent(id: string, ev: RunEvent): void {
    const { id: safe } = this.folderOf(id);
    const what = this.what(safe);
    checkTime(ev.time, `${what}: event time`);
    checkInt(ev.step, `${what}: event step`);
    checkInt(ev.epoch, `${what}: event epoch`);
    let data: string | null = null;
    if (ev.data !== undefined) {
      try {
        data = JSON.stringify(ev.data);
      } catch (e) {
        throw new RunInputError(`${what}: event data is not JSON-serialisable (${e instanceof Error ? e.message : String(e)})`);
      }
    }
    this.st.insertEvent.run(safe, ev.time, ev.step, ev.epoch, String(ev.type), String(ev.message), data);
  }

  /** The run's events in the order they were recorded. */
  events(id: string): RunEvent[] {
    const { id: safe } = this.folderOf(id);
    const where = `${this.indexFile} (events of run ${safe})`;
    return this.st.events.all(safe).map((r) => eventFromRow(r, where));
  }

  /**
   * Saves checkpoint `kind` atomically (data file, then manifest with the data's SHA-256), keeping
   * the one it replaces loadable as the previous. Saving `last` also records its position in the index.
   */
  saveCheckpoint(id: string, kind: CheckpointKind, ckpt: Checkpoint): void {
    const { id: safe, dir } = this.folderOf(id);
    writeCheckpoint(path.join(dir, 'checkpoints'), kind, ckpt, this.what(safe));
    if (kind === 'last') {
      this.db.prepare('UPDATE runs SET last_ckpt_epoch = ?, last_ckpt_step = ? WHERE id = ?').run(ckpt.epoch, ckpt.step, safe);
    }
  }

  /**
   * Loads checkpoint `kind`, or with `previous` the one it replaced; null when there is none.
   * A checkpoint whose data does not match its manifest throws {@link CheckpointCorruptError}.
   */
  loadCheckpoint(id: string, kind: CheckpointKind, opts: { previous?: boolean } = {}): Checkpoint | null {
    const { id: safe, dir } = this.folderOf(id);
    return readCheckpoint(path.join(dir, 'checkpoints'), kind, opts.previous === true, this.what(safe));
  }

  /** Epoch, step, time and size of checkpoint `kind` without reading its data; null when there is none. */
  checkpointInfo(id: string, kind: CheckpointKind, opts: { previous?: boolean } = {}): CheckpointInfo | null {
    const { dir } = this.folderOf(id);
    return checkpointInfo(path.join(dir, 'checkpoints'), kind, opts.previous === true);
  }

  /**
   * Adds an epoch's weights to the run's snapshot ring (`checkpoints/snapshots/e<epoch>/`), keeping
   * the `keep` latest epochs; entries of this epoch or later (a resumed or rewound timeline) go first.
   */
  saveSnapshot(id: string, ckpt: Checkpoint, keep: number): void {
    const { id: safe, dir } = this.folderOf(id);
    writeSnapshot(path.join(dir, 'checkpoints', 'snapshots'), ckpt, keep, this.what(safe));
  }

  /** The snapshot ring's entries, oldest epoch first, without their data. */
  snapshots(id: string): CheckpointInfo[] {
    const { dir } = this.folderOf(id);
    return snapshotInfos(path.join(dir, 'checkpoints', 'snapshots'));
  }

  /** The snapshot of `epoch` (weights and normalisation only); null when the ring does not hold it. */
  loadSnapshot(id: string, epoch: number): Checkpoint | null {
    const { id: safe, dir } = this.folderOf(id);
    return readSnapshot(path.join(dir, 'checkpoints', 'snapshots'), epoch, this.what(safe));
  }

  /** Stores one epoch's validation predictions: `probs` holds N*H*W values `round(p * 255)`. */
  savePredictions(id: string, epoch: number, ids: string[], probs: Uint8Array, h: number, w: number): void {
    const { id: safe, dir } = this.folderOf(id);
    writePredictions(path.join(dir, 'predictions'), { epoch, ids, probs, height: h, width: w }, this.what(safe));
  }

  /** One epoch's stored predictions; null when that epoch has none. */
  loadPredictions(id: string, epoch: number): RunPredictions | null {
    const { dir } = this.folderOf(id);
    return readPredictions(path.join(dir, 'predictions'), checkInt(epoch, 'epoch'));
  }

  /** The epochs with stored predictions, ascending. */
  predictionEpochs(id: string): number[] {
    const { dir } = this.folderOf(id);
    return predictionEpochsIn(path.join(dir, 'predictions'));
  }

  /**
   * Deletes a run: its index rows in one transaction, then its folder. A run that a live process
   * is still training is refused; stop it first.
   */
  delete(id: string): void {
    const { id: safe, dir } = this.folderOf(id);
    const owner = Row.of(this.db.prepare('SELECT status, pid, pid_started_at FROM runs WHERE id = ?').get(safe), this.indexFile);
    const status = owner.status('status');
    const pid = owner.numOrNull('pid');
    if (ACTIVE_STATUSES.includes(status) && !this.ownerGoneOf(safe, pid, owner.numOrNull('pid_started_at'))) {
      throw new RunInputError(`Run ${safe} is ${status} in process ${pid ?? '?'}; stop it before deleting it`);
    }
    this.db.transaction(() => {
      for (const t of ['batch_metrics', 'epoch_metrics', 'events']) this.db.prepare(`DELETE FROM ${t} WHERE run_id = ?`).run(safe);
      this.db.prepare('DELETE FROM runs WHERE id = ?').run(safe);
    });
    // Moved aside first, so a crash halfway through the removal leaves no half-deleted run folder.
    const trash = path.join(this.runsDir, '.trash');
    fs.mkdirSync(trash, { recursive: true });
    const aside = path.join(trash, `${safe}-${randomBytes(4).toString('hex')}`);
    fs.renameSync(dir, aside);
    fs.rmSync(aside, { recursive: true, force: true });
  }

  private emptyTrash(): void {
    const trash = path.join(this.runsDir, '.trash');
    if (!fs.existsSync(trash)) return;
    for (const name of fs.readdirSync(trash)) fs.rmSync(path.join(trash, name), { recursive: true, force: true });
  }

  /**
   * Brings run `id`'s record of its progress in line with its checkpoint files, after its trainer
   * died. A checkpoint is written (and fsynced) before the index rows that record it are committed:
   * saving `last` records its position, and the trainer then saves `best` and records epochs done
   * and the best epoch. A trainer killed in between leaves the index behind its files: one
   * checkpoint behind (or with none at all after the first epoch, which the lab would then refuse
   * to resume), or with its epochs done and best epoch one epoch behind (so a resume would not know
   * the best epoch it saved, and could replace that checkpoint with a worse one). Epochs done become
   * at least the `last` checkpoint's epoch + 1; the best epoch becomes the `best` checkpoint's,
   * with its score from that epoch's stored metric. Also removes the temporary files its dead
   * writer left in the run's folders. Returns the checkpoint taken up, or null when the index
   * already recorded it (or there is no readable checkpoint).
   */
  reconcileCheckpoint(id: string): { epoch: number; step: number } | null {
    const { id: safe, dir } = this.folderOf(id);
    removeDeadTemps(dir, { recursive: true });
    const info = (kind: 'last' | 'best'): CheckpointInfo | null => {
      try {
        return checkpointInfo(path.join(dir, 'checkpoints'), kind, false);
      } catch {
        // A damaged manifest is reported when the checkpoint is loaded; the index is not changed for it.
        return null;
      }
    };
    const found = info('last');
    if (found === null) return null;
    const best = info('best');
    return this.db.transaction(() => {
      const r = Row.of(this.db.prepare('SELECT last_ckpt_epoch, last_ckpt_step, epochs_done, best_epoch FROM runs WHERE id = ?').get(safe), this.indexFile);
      const done = r.num('epochs_done');
      const toDone = Math.max(done, found.epoch + 1);
      if (toDone !== done) this.db.prepare('UPDATE runs SET epochs_done = ? WHERE id = ?').run(toDone, safe);
      const bestEpoch = r.numOrNull('best_epoch');
      // The best epoch's metric is committed before its checkpoint is saved; without it there is no score to record.
      const metric: unknown = best !== null && best.epoch !== bestEpoch ? this.db.prepare('SELECT val_score FROM epoch_metrics WHERE run_id = ? AND epoch = ?').get(safe, best.epoch) : undefined;
      const toBest = best !== null && metric !== undefined ? { epoch: best.epoch, score: Row.of(metric, this.indexFile).metric('val_score') } : null;
      if (toBest) this.db.prepare('UPDATE runs SET best_epoch = ?, best_score = ?, best_metric = ? WHERE id = ?').run(toBest.epoch, toBest.score, BEST_METRIC, safe);

      const epoch = r.numOrNull('last_ckpt_epoch');
      const taken = epoch !== found.epoch || r.numOrNull('last_ckpt_step') !== found.step;
      if (taken) {
        this.db.prepare('UPDATE runs SET last_ckpt_epoch = ?, last_ckpt_step = ? WHERE id = ?').run(found.epoch, found.step, safe);
        const message =
          `the index recorded ${epoch === null ? 'no checkpoint' : `the checkpoint of epoch ${epoch + 1}`}, the checkpoint files hold epoch ` +
          `${found.epoch + 1} (its process died after saving it, before recording it); the index now records epoch ${found.epoch + 1}`;
        this.st.insertEvent.run(safe, Date.now(), found.step, found.epoch + 1, 'checkpoint-reconciled', message, JSON.stringify({ from: epoch, to: found.epoch }));
      }
      // Epochs done that moved with the checkpoint are said by its event; otherwise the progress gets its own.
      if ((!taken && toDone !== done) || toBest) {
        const epochs = (n: number) => `${n} epoch${n === 1 ? '' : 's'} done`;
        const best1 = (e: number | null) => (e === null ? 'no best epoch' : `the best epoch ${e + 1}`);
        const message =
          `the index recorded ${epochs(done)} and ${best1(bestEpoch)}, the checkpoint files hold epoch ${found.epoch + 1}` +
          `${toBest ? ` and the best checkpoint of epoch ${toBest.epoch + 1}` : ''} (its process died after saving them, before recording its progress); ` +
          `the index now records ${epochs(toDone)} and ${best1(toBest ? toBest.epoch : bestEpoch)}`;
        const data = { epochsDone: { from: done, to: toDone }, bestEpoch: { from: bestEpoch, to: toBest ? toBest.epoch : bestEpoch } };
        this.st.insertEvent.run(safe, Date.now(), found.step, found.epoch + 1, 'progress-reconciled', message, JSON.stringify(data));
      }
      return taken ? { epoch: found.epoch, step: found.step } : null;
    }, 'immediate');
  }

  /**
   * Marks runs left running or paused by a process that no longer exists as interrupted, and
   * returns their ids, each with its checkpoint record reconciled with its files
   * ({@link reconcileCheckpoint}). Called by open(); safe to call again at any time.
   */
  recoverInterrupted(): string[] {
    const now = Date.now();
    const recover = (): string[] => {
      const done: string[] = [];
      for (const v of this.st.active.all(...ACTIVE_STATUSES)) {
        const r = Row.of(v, this.indexFile);
        const id = r.str('id');
        const pid = r.numOrNull('pid');
        if (!this.ownerGoneOf(id, pid, r.numOrNull('pid_started_at'))) continue;
        const reason = `the process that ran it exited unexpectedly (${pid === null ? 'no pid recorded' : `pid ${pid}`})`;
        const last: unknown = this.st.lastActivity.value({ id });
        const endedAt = typeof last === 'number' && last > 0 ? last : now;
        this.st.interrupt.run(reason, endedAt, id, ...ACTIVE_STATUSES);
        const step: unknown = this.st.lastStep.value(id);
        this.st.insertEvent.run(id, now, typeof step === 'number' ? step : 0, r.num('epochs_done'), 'interrupted', reason, null);
        done.push(id);
      }
      return done;
    };
    const done = this.db.transaction(recover, 'immediate');
    for (const id of done) this.reconcileCheckpoint(id);
    return done;
  }

  /** Closes the index. The store cannot be used afterwards. */
  close(): void {
    this.db.close();
  }
}
