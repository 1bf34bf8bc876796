/**
 * The lab's training queue, kept in the run index (table `lab_queue`) so its order and the runs'
 * `queued` status live in one file and change together. Only runs in this queue are started by the
 * lab on its own: a run another program has just created is also `queued` for a moment, and must not
 * be started twice. Each method is one statement or one transaction, so two processes never see a
 * half-made change.
 */
import type { SqlDatabase } from './sqlite';

/** The training queue of a run store. */
export class RunQueue {
  constructor(private readonly db: SqlDatabase) {}

  /** The queued run ids, first to start first. */
  list(): string[] {
    return this.db
      .prepare('SELECT run_id FROM lab_queue ORDER BY position')
      .all()
      .map((r) => String(r.run_id));
  }

  /** Whether run `id` is in the queue. */
  has(id: string): boolean {
    return this.db.prepare('SELECT 1 FROM lab_queue WHERE run_id = ?').value(id) !== undefined;
  }

  /** Appends run `id` (an existing run) to the queue; false when it was already there or has no row. */
  enqueue(id: string): boolean {
    const r = this.db
      .prepare(
        `INSERT OR IGNORE INTO lab_queue (run_id, position)
         SELECT @id, COALESCE((SELECT MAX(position) FROM lab_queue), 0) + 1 WHERE EXISTS (SELECT 1 FROM runs WHERE id = @id)`,
      )
      .run({ id });
    return r.changes > 0;
  }

  /** Takes run `id` off the queue; false when it was not in it. */
  remove(id: string): boolean {
    return this.db.prepare('DELETE FROM lab_queue WHERE run_id = ?').run(id).changes > 0;
  }

  /** Takes the first run off the queue and returns its id; null when the queue is empty. */
  shift(): string | null {
    return this.db.transaction(() => {
      const id: unknown = this.db.prepare('SELECT run_id FROM lab_queue ORDER BY position LIMIT 1').value();
      if (typeof id !== 'string') return null;
      this.db.prepare('DELETE FROM lab_queue WHERE run_id = ?').run(id);
      return id;
    }, 'immediate');
  }

  /** Drops the entries whose run is no longer queued (stopped or started elsewhere meanwhile); returns their ids. */
  prune(): string[] {
    return this.db.transaction(() => {
      const stale = this.db
        .prepare("SELECT q.run_id FROM lab_queue q JOIN runs r ON r.id = q.run_id WHERE r.status <> 'queued' ORDER BY q.position")
        .all()
        .map((r) => String(r.run_id));
      for (const id of stale) this.db.prepare('DELETE FROM lab_queue WHERE run_id = ?').run(id);
      return stale;
    }, 'immediate');
  }
}
