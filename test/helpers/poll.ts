/** Waiting in tests for what another process writes. */

/** Polls `probe` every 25 ms until it returns a value other than undefined; fails naming `what` after `timeoutMs`. */
export async function poll<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
