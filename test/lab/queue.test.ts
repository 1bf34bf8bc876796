/**
 * The training queue: one run trains at a time, the rest wait in order; a queued run can be stopped
 * before it starts; the queue survives a restart of the lab (its order is in the run index); an older
 * lab's queue file is taken over once; one lab per data folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startRunSchema } from '../../shared/api/schemas';
import type { StartRunRequest } from '../../src-main/lab/service';
import { RunStore } from '../../src-main/runs/store';
import { openLab, scratchDir, waitFor } from './helpers';

// The service takes a request as its channel parsed it (settings left out hold their defaults).
const short: StartRunRequest = startRunSchema.parse({
  design: { kind: 'preset', name: 'tiny' },
  datasetId: 'demo',
  demoCount: 16,
  config: { epochs: 1, batch: 8, backend: 'auto' },
});

describe('the training queue', () => {
  it('trains one run at a time, and takes up the queue again after a restart', async () => {
    const home = scratchDir('queue');
    const first = openLab(home, { shutdownGraceMs: 1000 });
    const r1 = await first.startRun({ ...short, name: 'one' });
    const r2 = await first.startRun({ ...short, name: 'two' });
    const r3 = await first.startRun({ ...short, name: 'three' });
    expect(first.getQueue()).toEqual({ active: { runId: r1.id, pid: expect.any(Number) }, queued: [r2.id, r3.id] });
    expect(r2.status).toBe('queued');

    // Stopping a queued run takes it off the queue; it never starts.
    const s3 = first.stopRun({ id: r3.id, reason: 'not needed' });
    expect(s3.status).toBe('stopped');
    expect(s3.statusReason).toBe('not needed (before it started)');
    expect(first.getQueue().queued).toEqual([r2.id]);
    expect(() => first.pauseRun({ id: r2.id })).toThrow(/only the training run/);

    // A second lab on the same folder is refused while the first holds it.
    expect(() => openLab(home)).toThrow(/another lab/);

    // The order is persisted in the run index, beside the runs' status, and nowhere else.
    const index = RunStore.open(path.join(home, 'runs'));
    try {
      expect(index.queue.list()).toEqual([r2.id]);
    } finally {
      index.close();
    }
    expect(fs.existsSync(path.join(home, 'lab-runs.json'))).toBe(false);

    // Closing ends the training run (stopped, or killed after the grace period) and starts nothing new.
    await first.close();
    const second = openLab(home, { shutdownGraceMs: 1000 });
    try {
      expect(['stopped', 'interrupted', 'done']).toContain(second.getRun({ id: r1.id }).status);
      expect(second.getQueue().active?.runId).toBe(r2.id);
      // The trainer writes the final status, then exits; the queue frees up on its exit.
      await waitFor('run two to finish', () => (second.getQueue().active === null ? true : undefined));
      expect(second.getRun({ id: r2.id }).status).toBe('done');
      expect(second.getRun({ id: r3.id }).status).toBe('stopped');
      expect(second.getQueue()).toEqual({ active: null, queued: [] });
      expect(second.listRuns({ status: 'done' }).runs.map((r) => r.id)).toContain(r2.id);
    } finally {
      await second.close();
    }
  });

  it('deletes a run as soon as it shows as done, waiting for its trainer to exit', async () => {
    const home = scratchDir('delete-done');
    const lab = openLab(home, { shutdownGraceMs: 30_000 });
    try {
      const run = await lab.startRun({ ...short, name: 'gone' });
      // Called in the listener of the trainer's last message: the run is done in the store, and its
      // trainer process is still live (the queue frees up only on its exit).
      const deleted = new Promise<{ activeAtDelete: string | null; done: Promise<unknown> }>((resolve) => {
        lab.onRunEvent({ runId: run.id }, (m) => {
          if (m.type !== 'ended') return;
          const activeAtDelete = lab.getQueue().active?.runId ?? null;
          try {
            resolve({ activeAtDelete, done: lab.deleteRun({ id: run.id }) });
          } catch (e) {
            resolve({ activeAtDelete, done: Promise.reject(e instanceof Error ? e : new Error(String(e))) });
          }
        });
      });
      const { activeAtDelete, done } = await deleted;
      expect(activeAtDelete).toBe(run.id);
      await done;
      expect(lab.getQueue()).toEqual({ active: null, queued: [] });
      expect(() => lab.getRun({ id: run.id })).toThrow(/no run|not found/i);
      expect(fs.existsSync(path.join(home, 'runs', run.id))).toBe(false);
    } finally {
      await lab.close();
    }
  });

  it('does not start a queued run it did not queue itself, until asked to', async () => {
    const home = scratchDir('foreign');
    const runsDir = path.join(home, 'runs');
    const a = openLab(home, { shutdownGraceMs: 1000 });
    const model = await a.startRun({ ...short, config: { ...short.config, epochs: 1 } });
    const template = a.getRun({ id: model.id });
    await a.close();
    // Another program queues a run in the same store, e.g. `strata train` just before its trainer starts.
    const other = RunStore.open(runsDir);
    const foreign = other.createRun({ name: 'foreign', arch: template.arch, config: template.config, dataset: template.dataset, split: template.split, versions: template.versions });
    other.close();
    const b = openLab(home, { shutdownGraceMs: 1000 });
    try {
      expect(b.getRun({ id: foreign.id }).status).toBe('queued');
      expect(b.getQueue()).toEqual({ active: null, queued: [] });
      b.resumeRun({ id: foreign.id });
      expect(b.getQueue().active?.runId).toBe(foreign.id);
    } finally {
      await b.close();
    }
    expect(fs.existsSync(path.join(home, 'lab.lock'))).toBe(false);
  });

  it("takes over an older lab's lab-runs.json once, in its order, and renames it aside", async () => {
    const home = scratchDir('legacy');
    const runsDir = path.join(home, 'runs');
    const a = openLab(home, { shutdownGraceMs: 1000 });
    const model = await a.startRun(short);
    const template = a.getRun({ id: model.id });
    await a.close();
    // What an older lab left: runs queued in the store, and their order in its own file only.
    const old = RunStore.open(runsDir);
    const make = (name: string) => old.createRun({ name, arch: template.arch, config: template.config, dataset: template.dataset, split: template.split, versions: template.versions }).id;
    const [q1, q2, q3] = [make('q1'), make('q2'), make('q3')];
    old.close();
    const file = path.join(home, 'lab-runs.json');
    const text = `${JSON.stringify({ format: 'strata-lab-runs', version: 1, queue: [q3, '20250101-000000-deleted00', q1, q2] })}\n`;
    fs.writeFileSync(file, text);

    const b = openLab(home, { shutdownGraceMs: 1000 });
    try {
      // The file's order, the run it names that no longer exists left out.
      expect(b.getQueue()).toEqual({ active: { runId: q3, pid: expect.any(Number) }, queued: [q1, q2] });
      expect(fs.existsSync(file)).toBe(false);
      expect(fs.readFileSync(`${file}.migrated`, 'utf8')).toBe(text);
      b.stopRun({ id: q1, reason: 'not needed' });
    } finally {
      await b.close();
    }
    // Read once: the next lab takes the queue from the index alone, as it was left.
    const c = openLab(home, { shutdownGraceMs: 1000 });
    try {
      expect(c.getQueue()).toEqual({ active: { runId: q2, pid: expect.any(Number) }, queued: [] });
      expect(c.getRun({ id: q1 }).status).toBe('stopped');
    } finally {
      await c.close();
    }
  });
});
