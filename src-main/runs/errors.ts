/**
 * The run store's errors. Each names the run and the file or value at fault, so the lab and the
 * CLI can show them as they are.
 */

/** A run id from outside that is not shaped like one; such a value never reaches the file system. */
export class InvalidRunIdError extends Error {
  override readonly name = 'InvalidRunIdError';
  constructor(readonly id: unknown) {
    super(
      `Invalid run id ${JSON.stringify(String(id))}: a run id looks like 20250607-153012-123-k3j9x2 ` +
        '(UTC date, time, milliseconds, 6 lowercase letters or digits)',
    );
  }
}

/** No run with this id in the store. */
export class RunNotFoundError extends Error {
  override readonly name = 'RunNotFoundError';
  constructor(readonly id: string) {
    super(`No run ${id} in the run store`);
  }
}

/** A value handed to the store that it refuses to keep (a bad number, a shape that does not fit its data). */
export class RunInputError extends Error {
  override readonly name = 'RunInputError';
}

/** A file or index row of the store that cannot be read back as written. */
export class RunStoreCorruptError extends Error {
  override readonly name: string = 'RunStoreCorruptError';
  constructor(
    /** The file (or `index.sqlite` row) at fault. */
    readonly file: string,
    /** What is wrong with it. */
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/**
 * A checkpoint whose manifest and data do not belong together (a torn save, a damaged or
 * replaced file). Never loaded; the previous checkpoint, when there is one, still is.
 */
export class CheckpointCorruptError extends RunStoreCorruptError {
  override readonly name = 'CheckpointCorruptError';
}

/** The index was written by a newer Strata, or cannot be opened at all. */
export class RunStoreOpenError extends Error {
  override readonly name = 'RunStoreOpenError';
}

/**
 * What a person is told about a runs folder that cannot be opened ({@link RunStoreOpenError}): its
 * message (the file and why), that nothing was changed, and what to do; `elsewhere` says how this
 * program is pointed at another runs folder (`start the lab with --runs-dir DIR`).
 */
export function storeOpenAdvice(e: RunStoreOpenError, elsewhere: string): string {
  return `${e.message}.\nNothing in it was changed. Open it with a Strata that reads it, or ${elsewhere}.`;
}

/** A run that another live process is training: it was left untouched. */
export class RunClaimedError extends Error {
  override readonly name = 'RunClaimedError';
  constructor(
    readonly runId: string,
    /** The process that trains it. */
    readonly pid: number | null,
    message: string,
  ) {
    super(message);
  }
}
