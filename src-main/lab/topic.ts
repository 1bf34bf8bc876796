/** A set of listeners for one kind of event; every subscription returns its own undo. */

/** Listeners of `T` events. A listener that throws does not stop the others. */
export class Topic<T> {
  private readonly listeners = new Set<(event: T) => void>();

  /** Adds `listener`; the returned function removes it (twice is harmless). */
  subscribe(listener: (event: T) => void): () => void {
    // Wrapped so the same function may subscribe twice and be undone once per subscription.
    const own = (e: T) => listener(e);
    this.listeners.add(own);
    return () => {
      this.listeners.delete(own);
    };
  }

  /** Delivers `event` to every listener. */
  emit(event: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch (err) {
        process.stderr.write(`lab: an event listener failed: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    }
  }

  /** How many listeners there are. */
  get size(): number {
    return this.listeners.size;
  }
}
