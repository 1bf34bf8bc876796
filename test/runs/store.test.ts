import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RunStore } from '../../src-main/runs/store';
import { SCHEMA_VERSION } from '../../src-main/runs/schema';
import { openDatabase } from '../../src-main/runs/sqlite';
import { InvalidRunIdError, RunInputError, RunNotFoundError, RunStoreOpenError } from '../../src-main/runs/errors';
import { RUN_ID_PATTERN } from '../../shared/runs/types';
import { scratchDir } from './helpers';
import { sampleInit, tinyArch } from './sample';

const open: RunStore[] = [];
function openStore(root: string): RunStore {
  const s = RunStore.open(root);
  open.push(s);
  return s;
}
afterEach(() => {
  for (const s of open.splice(0)) {
    try {
      s.close();
    } catch {
      // closed by the test already
    }
  }
});

/** Whether this Node has node:sqlite without a flag (22.13 and newer, 23.4 and newer). */
function nodeHasSqlite(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 4) || (major === 22 && minor >= 13);
}

describe('RunStore: driver', () => {
  it('opens its index with node:sqlite where this Node has it, else better-sqlite3', () => {
    const store = openStore(scratchDir('driver'));
    const forced = process.env['STRATA_SQLITE'];
    expect(store.driver).toBe(forced || (nodeHasSqlite() ? 'node' : 'better-sqlite3'));
  });
});

describe('RunStore: runs', () => {
  it('creates the index in WAL mode with the run folder and returns the full record', () => {
    const root = scratchDir('create');
    const store = openStore(root);
    const run = store.createRun(sampleInit());
    expect(run.id).toMatch(RUN_ID_PATTERN);
    expect(run.status).toBe('queued');
    expect(run.seed).toBe(42);
    expect(run.arch.name).toBe('tiny');
    expect(run.split.val).toEqual(['00a3af90ab', '00b3a6e1fa']);
    expect(run.config.schedule).toEqual({ kind: 'plateau', patience: 3, factor: 0.5, minLr: 1e-5, minDelta: 1e-3 });
    expect(run.host.cpus).toBeGreaterThan(0);
    expect(run.best).toBeNull();
    expect(fs.existsSync(path.join(root, 'runs', run.id, 'run.json'))).toBe(true);
    const db = openDatabase(path.join(root, 'index.sqlite'), { readonly: true });
    expect(db.pragma('journal_mode')).toBe('wal');
    expect(db.prepare('SELECT version FROM schema_version').value()).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('reads the same record back after reopening', () => {
    const root = scratchDir('reopen');
    const a = openStore(root);
    const run = a.createRun(sampleInit());
    a.close();
    const b = openStore(root);
    expect(b.get(run.id)).toEqual(run);
  });

  it('updates the living fields and releases the process on a final status', () => {
    const store = openStore(scratchDir('update'));
    const run = store.createRun(sampleInit());
    store.update(run.id, { status: 'running', pid: process.pid, startedAt: 1000, backend: { name: 'cpu', detail: 'js', threads: 1 } });
    expect(store.summary(run.id).pid).toBe(process.pid);
    const s = store.update(run.id, {
      status: 'done',
      statusReason: 'finished 5 epochs',
      epochsDone: 5,
      best: { epoch: 3, score: 0.71, metric: 'valScore' },
      lastCheckpoint: { epoch: 4, step: 10 },
      endedAt: 5000,
      durationMs: 3900,
    });
    expect(s).toMatchObject({
      status: 'done',
      statusReason: 'finished 5 epochs',
      epochsDone: 5,
      best: { epoch: 3, score: 0.71, metric: 'valScore' },
      lastCheckpoint: { epoch: 4, step: 10 },
      startedAt: 1000,
      endedAt: 5000,
      durationMs: 3900,
      backend: { name: 'cpu', detail: 'js', threads: 1 },
    });
    expect(s.pid).toBeUndefined();
    expect(() => store.update(run.id, { epochsDone: -1 })).toThrow(RunInputError);
  });

  it('lists with status filter, paging and orders; nulls of best score come last', () => {
    const store = openStore(scratchDir('list'));
    const a = store.createRun(sampleInit({ name: 'b-run' }));
    const b = store.createRun(sampleInit({ name: 'A-run' }));
    const c = store.createRun(sampleInit({ name: 'c-run' }));
    store.update(a.id, { status: 'done', best: { epoch: 1, score: 0.5, metric: 'valScore' } });
    store.update(c.id, { status: 'done', best: { epoch: 1, score: 0.8, metric: 'valScore' } });
    const ids = (q: Parameters<RunStore['list']>[0]) => store.list(q).map((r) => r.id);
    expect(ids({})).toEqual([c.id, b.id, a.id]);
    expect(ids({ desc: false })).toEqual([a.id, b.id, c.id]);
    expect(ids({ status: 'done' })).toEqual([c.id, a.id]);
    expect(ids({ status: ['queued'] })).toEqual([b.id]);
    expect(ids({ orderBy: 'bestScore' })).toEqual([c.id, a.id, b.id]);
    expect(ids({ orderBy: 'bestScore', desc: false })).toEqual([a.id, c.id, b.id]);
    expect(ids({ orderBy: 'name' })).toEqual([b.id, a.id, c.id]);
    expect(ids({ limit: 1, offset: 1 })).toEqual([b.id]);
    expect(store.count({ status: 'done' })).toBe(2);
    const first = store.list({ limit: 1 })[0];
    expect(first?.archName).toBe('tiny');
    expect(first?.trainCount).toBe(8);
    expect(first?.valCount).toBe(2);
    expect(first).not.toHaveProperty('split');
  });

  it('deletes a run: rows and folder', () => {
    const root = scratchDir('delete');
    const store = openStore(root);
    const keep = store.createRun(sampleInit());
    const gone = store.createRun(sampleInit());
    store.appendBatchMetrics(gone.id, [{ step: 0, epoch: 0, batch: 0, loss: 1, iou: 0, lr: 0.1, imagesPerSec: 5, time: 1 }]);
    store.addEvent(gone.id, { time: 1, step: 0, epoch: 0, type: 'start', message: 'started' });
    store.saveCheckpoint(gone.id, 'last', { epoch: 0, step: 0, tensors: [{ name: 'w', shape: [2], data: new Float32Array([1, 2]) }] });
    store.delete(gone.id);
    expect(() => store.get(gone.id)).toThrow(RunNotFoundError);
    expect(fs.existsSync(path.join(root, 'runs', gone.id))).toBe(false);
    expect(fs.readdirSync(path.join(root, 'runs', '.trash'))).toEqual([]);
    const db = openDatabase(path.join(root, 'index.sqlite'), { readonly: true });
    for (const t of ['batch_metrics', 'events']) {
      expect(db.prepare(`SELECT COUNT(*) FROM ${t} WHERE run_id = ?`).value(gone.id)).toBe(0);
    }
    db.close();
    expect(store.list().map((r) => r.id)).toEqual([keep.id]);
  });

  it('refuses to delete a run its live owner is still training', () => {
    const store = openStore(scratchDir('delete-live'));
    const run = store.createRun(sampleInit({ status: 'running', pid: process.pid }));
    expect(() => store.delete(run.id)).toThrow(`Run ${run.id} is running in process ${process.pid}; stop it before deleting it`);
    store.update(run.id, { status: 'stopped' });
    store.delete(run.id);
    expect(store.count()).toBe(0);
  });

  it('refuses ids that could leave the store, before touching the file system', () => {
    const root = scratchDir('traversal');
    const store = openStore(root);
    store.createRun(sampleInit());
    for (const bad of ['../../etc/passwd', '..', '', 'runs/../x', '20250607-153012-123-k3j9x2/..', '20250607-153012-123-K3J9X2']) {
      expect(() => store.get(bad)).toThrow(InvalidRunIdError);
      expect(() => store.delete(bad)).toThrow(/Invalid run id/);
      expect(() => store.loadCheckpoint(bad, 'last')).toThrow(InvalidRunIdError);
    }
    expect(() => store.get('20250607-153012-123-k3j9x2')).toThrow(RunNotFoundError);
    expect(fs.readdirSync(path.join(root, 'runs')).length).toBe(1);
  });

  it('refuses values that would not read back', () => {
    const store = openStore(scratchDir('input'));
    const init = sampleInit();
    expect(() => store.createRun({ ...init, config: { ...init.config, valFraction: NaN } })).toThrow(/valFraction/);
    expect(() => store.createRun({ ...init, arch: { ...tinyArch(), nodes: undefined as unknown as [] } })).toThrow(
      /architecture/,
    );
    expect(store.count()).toBe(0);
  });

  it('refuses an index written by a newer Strata', () => {
    const root = scratchDir('newer');
    openStore(root).close();
    const db = openDatabase(path.join(root, 'index.sqlite'));
    db.prepare('UPDATE schema_version SET version = 99').run();
    db.close();
    expect(() => RunStore.open(root)).toThrow(RunStoreOpenError);
    expect(() => RunStore.open(root)).toThrow(/newer Strata \(index schema 99/);
  });

  it('lists 1000 runs quickly', () => {
    const root = scratchDir('many');
    const store = openStore(root);
    const seedRun = store.createRun(sampleInit());
    // The listing reads the index alone, so rows cloned from a real run stand for 1000 created ones
    // (creating each through the API would spend seconds on fsyncs this test is not about).
    const db = openDatabase(path.join(root, 'index.sqlite'));
    const clone = db.prepare(
      `INSERT INTO runs (id, name, created_at, status, arch_name, train_count, val_count, config, dataset, seed, versions,
         host, best_epoch, best_score, best_metric)
       SELECT ?, ?, created_at + ?, ?, arch_name, train_count, val_count, config, dataset, seed, versions, host, ?, ?, ?
       FROM runs WHERE id = ?`,
    );
    db.transaction(() => {
      for (let i = 1; i < 1000; i++) {
        const done = i % 2 === 0;
        const id = `${seedRun.id.slice(0, -6)}${i.toString(36).padStart(6, '0')}`;
        clone.run(id, `run ${i}`, i, done ? 'done' : 'queued', done ? 0 : null, done ? i / 1000 : null, done ? 'valScore' : null, seedRun.id);
      }
    });
    db.close();
    const all = store.list();
    const best = store.list({ orderBy: 'bestScore', limit: 20 });
    const done = store.list({ status: 'done', limit: 50, offset: 100 });
    expect(all.length).toBe(1000);
    expect(all[0]?.name).toBe('run 999');
    expect(best[0]?.best?.score).toBe(0.998);
    expect(done.length).toBe(50);
    expect(done.every((r) => r.status === 'done')).toBe(true);
  });
});

describe('RunStore: interrupted runs', () => {
  it('marks a run of a dead process interrupted on open, keeping a running one of this process', async () => {
    const { spawnSync } = await import('node:child_process');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    expect(deadPid).toBeGreaterThan(0);
    const root = scratchDir('recover');
    const a = openStore(root);
    const orphan = a.createRun(sampleInit({ status: 'running', pid: deadPid, startedAt: 10 }));
    const mine = a.createRun(sampleInit({ status: 'paused', pid: process.pid }));
    a.addEvent(orphan.id, { time: 20, step: 3, epoch: 0, type: 'note', message: 'last sign of life' });
    a.close();
    const b = openStore(root);
    const o = b.summary(orphan.id);
    expect(o.status).toBe('interrupted');
    expect(o.statusReason).toBe(`the process that ran it exited unexpectedly (pid ${deadPid})`);
    expect(o.endedAt).toBe(o.createdAt);
    expect(b.events(orphan.id).at(-1)?.type).toBe('interrupted');
    expect(b.summary(mine.id).status).toBe('paused');
  });

  it("treats this pid's entry from an earlier process as stale", () => {
    const root = scratchDir('stale');
    const a = openStore(root);
    const run = a.createRun(sampleInit({ status: 'running', pid: process.pid }));
    a.close();
    const db = openDatabase(path.join(root, 'index.sqlite'));
    // as recorded by a process that had this pid an hour ago
    db.prepare('UPDATE runs SET pid_started_at = pid_started_at - 3600000 WHERE id = ?').run(run.id);
    db.close();
    const b = openStore(root);
    expect(b.summary(run.id).status).toBe('interrupted');
    expect(b.summary(run.id).statusReason).toContain(`pid ${process.pid}`);
  });
});
