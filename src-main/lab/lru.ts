/** A small least-recently-used cache of values loaded asynchronously, one load per key at a time. */

/** Keeps at most `capacity` loaded values; a value being loaded is shared by everyone who asks for it. */
export class AsyncLru<V> {
  private readonly entries = new Map<string, Promise<V>>();

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`cache capacity must be a positive integer, got ${capacity}`);
  }

  /** The value of `key`, loading it with `load` when it is not cached. A failed load is not kept. */
  get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const p = load();
    this.entries.set(key, p);
    p.catch(() => {
      if (this.entries.get(key) === p) this.entries.delete(key);
    });
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return p;
  }

  /** Forgets `key` (e.g. after the folder was re-imported). */
  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Forgets every key for which `match` is true. */
  deleteWhere(match: (key: string) => boolean): void {
    for (const k of [...this.entries.keys()]) if (match(k)) this.entries.delete(k);
  }

  /** Keys from least to most recently used. */
  keys(): string[] {
    return [...this.entries.keys()];
  }
}
