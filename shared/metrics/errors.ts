/** Thrown when a metric receives arrays whose lengths or sizes do not fit together. */
export class MetricInputError extends Error {
  override readonly name = 'MetricInputError';
  constructor(
    /** The function that rejected its input, so the message points at the caller's mistake. */
    readonly where: string,
    message: string,
  ) {
    super(`${where}: ${message}`);
  }
}

/** Throws a MetricInputError unless `actual === expected`. */
export function expectLength(where: string, what: string, actual: number, expected: number): void {
  if (actual !== expected) {
    throw new MetricInputError(where, `${what} has length ${actual}, expected ${expected}`);
  }
}
