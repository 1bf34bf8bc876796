/**
 * A seeded linear congruential generator (the C library's constants) for tests' random data: the
 * same seed gives the same numbers in [0, 1) on every machine.
 */
export function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}
