/**
 * The last line of defence of a long-lived process (the lab, a trainer): an exception nobody caught
 * or a promise nobody handled is logged with its stack, the run it belongs to (when it names one,
 * see {@link RunFault}) is marked failed with the reason, and the process goes on serving instead
 * of dying with every other run and request it was holding. The code paths known to fail (a full
 * disk under the training queue) handle their errors themselves; this catches the ones not known yet.
 */

/** An error that belongs to run `runId`: the fault handlers mark that run failed with its message. */
export class RunFault extends Error {
  override readonly name = 'RunFault';
  constructor(
    readonly runId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What the handlers do with a fault. */
export interface FaultSink {
  /** Writes one log line (the lab: stderr or main.log). */
  log(line: string): void;
  /** Marks run `runId` failed with `reason`; may throw (a full disk), which is logged too. */
  failRun?(runId: string, reason: string): void;
  /** Called after a fault is logged and its run marked (a trainer ends its loop as failed here). */
  after?(reason: string): void;
  /**
   * Removes the fault handlers that others add later. tfjs's wasm backend (built by emscripten) adds
   * one for each event that rethrows every fault, which ends the process with code 7 whatever ours did.
   */
  exclusive?: boolean;
}

const describe = (e: unknown): string => (e instanceof Error ? (e.stack ?? e.message) : String(e));

/**
 * Installs `uncaughtException` and `unhandledRejection` handlers that report each fault to `sink`
 * (`who` starts every line: `lab`, `trainer`); returns the function that removes them.
 */
export function installFaultHandlers(who: string, sink: FaultSink): () => void {
  const handle = (kind: string) => (err: unknown) => {
    try {
      const reason = err instanceof Error ? err.message : String(err);
      sink.log(`${who}: ${kind}, kept running: ${describe(err)}\n`);
      if (err instanceof RunFault && sink.failRun) {
        try {
          sink.failRun(err.runId, reason);
        } catch (e) {
          sink.log(`${who}: could not mark run ${err.runId} failed (${reason}): ${e instanceof Error ? e.message : String(e)}\n`);
        }
      }
      sink.after?.(reason);
    } catch {
      // A handler that fails must not raise a fault of its own (it would come straight back here).
    }
  };
  const onException = handle('uncaught exception');
  const onRejection = handle('unhandled rejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  const ours: unknown[] = [onException, onRejection];
  const onNewListener = (event: string | symbol, listener: unknown) => {
    if ((event !== 'uncaughtException' && event !== 'unhandledRejection') || ours.includes(listener)) return;
    // Added after this callback returns: taken off on the next tick.
    process.nextTick(() => process.off(event, listener as (...a: unknown[]) => void));
  };
  if (sink.exclusive) process.on('newListener', onNewListener);
  return () => {
    process.off('newListener', onNewListener);
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
