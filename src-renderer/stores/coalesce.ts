/** Refreshes that may be asked for faster than they complete. */

/**
 * Wraps `task` so calls made while it runs do not pile up: they fold into one more run after the
 * current one. Every caller's promise settles when a run that started after its call has finished.
 */
export function coalesce(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again: Promise<void> | null = null;
  const run = (): Promise<void> => {
    const p = task().finally(() => {
      if (running === p) running = null;
    });
    running = p;
    return p;
  };
  return () => {
    if (!running) return run();
    if (!again) {
      again = running.catch(() => undefined).then(() => {
        again = null;
        return run();
      });
    }
    return again;
  };
}
