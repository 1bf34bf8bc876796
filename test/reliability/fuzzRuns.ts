/**
 * Shared settings of the property-based fuzz tests (test/reliability/fuzz*.test.ts): about 2,000
 * cases a property in `npm test`, `FUZZ_RUNS` cases under `npm run fuzz` (fuzz.config.ts sets it),
 * and `FUZZ_SEED` to replay a failure fast-check printed.
 */
import fc from 'fast-check';

/** Cases per property. */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS) > 0 ? Number(process.env.FUZZ_RUNS) : 2000;

/** Checks `property` on FUZZ_RUNS * `share` cases (share < 1 for properties that touch files) and logs the count. */
export async function fuzz<T>(name: string, arbitrary: fc.Arbitrary<T>, predicate: (value: T) => void | Promise<void>, share = 1): Promise<number> {
  const numRuns = Math.max(1, Math.round(FUZZ_RUNS * share));
  const seed = Number(process.env.FUZZ_SEED);
  const params: fc.Parameters<[T]> = Number.isInteger(seed) ? { numRuns, seed } : { numRuns };
  let tried = 0;
  await fc.assert(
    fc.asyncProperty(arbitrary, async (value) => {
      tried++;
      await predicate(value);
    }),
    params,
  );
  console.log(`fuzz ${name}: ${tried} inputs`);
  return tried;
}
