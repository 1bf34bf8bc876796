/** The lab's training queue in the run index: order, idempotence, and its life beside the runs. */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../src-main/runs/schema';
import { openDatabase } from '../../src-main/runs/sqlite';
import { RunStore } from '../../src-main/runs/store';
import { scratchDir } from './helpers';
import { sampleInit } from './sample';

const open: RunStore[] = [];
function openStore(root: string): RunStore {
  const s = RunStore.open(root);
  open.push(s);
  return s;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

describe('the run queue', () => {
  it('keeps its order, takes a run once, and skips ids with no run', () => {
    const store = openStore(scratchDir('queue-order'));
    const [a, b, c] = [1, 2, 3].map((i) => store.createRun(sampleInit({ name: `r${i}` })).id) as [string, string, string];
    expect(store.queue.list()).toEqual([]);
    expect(store.queue.enqueue(b)).toBe(true);
    expect(store.queue.enqueue(a)).toBe(true);
    expect(store.queue.enqueue(b)).toBe(false);
    expect(store.queue.enqueue('20260101-000000-nosuchrun')).toBe(false);
    expect(store.queue.enqueue(c)).toBe(true);
    expect(store.queue.list()).toEqual([b, a, c]);
    expect(store.queue.has(a)).toBe(true);

    expect(store.queue.remove(a)).toBe(true);
    expect(store.queue.remove(a)).toBe(false);
    expect(store.queue.has(a)).toBe(false);
    // A run put back goes to the end of the line.
    store.queue.enqueue(a);
    expect(store.queue.list()).toEqual([b, c, a]);

    expect(store.queue.shift()).toBe(b);
    expect(store.queue.list()).toEqual([c, a]);
  });

  it('survives reopening, drops runs that are no longer queued, and forgets deleted runs', () => {
    const root = scratchDir('queue-reopen');
    const first = openStore(root);
    const [a, b, c] = [1, 2, 3].map((i) => first.createRun(sampleInit({ name: `r${i}` })).id) as [string, string, string];
    for (const id of [a, b, c]) first.queue.enqueue(id);
    first.close();
    open.splice(open.indexOf(first), 1);

    const store = openStore(root);
    expect(store.queue.list()).toEqual([a, b, c]);
    store.update(b, { status: 'stopped', statusReason: 'by another program' });
    expect(store.queue.prune()).toEqual([b]);
    expect(store.queue.list()).toEqual([a, c]);
    store.delete(a);
    expect(store.queue.list()).toEqual([c]);
    expect(store.queue.shift()).toBe(c);
    expect(store.queue.shift()).toBeNull();
  });

  it('is one queue for every process that opens the store', () => {
    const root = scratchDir('queue-shared');
    const one = openStore(root);
    const two = openStore(root);
    const ids = [1, 2, 3, 4].map((i) => one.createRun(sampleInit({ name: `r${i}` })).id);
    ids.forEach((id, i) => (i % 2 === 0 ? one : two).queue.enqueue(id));
    expect(one.queue.list()).toEqual(ids);
    expect(two.queue.shift()).toBe(ids[0]);
    expect(one.queue.shift()).toBe(ids[1]);
    expect(two.queue.list()).toEqual(ids.slice(2));
  });

  it('comes with a migration of the index', () => {
    const root = scratchDir('queue-schema');
    openStore(root);
    const db = openDatabase(path.join(root, 'index.sqlite'), { readonly: true });
    try {
      expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(2);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'lab_queue'").value()).toBe('lab_queue');
    } finally {
      db.close();
    }
  });
});
