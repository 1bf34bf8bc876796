/**
 * `npm run fuzz`: the property-based fuzz tests alone, with 50 times the cases `npm test` runs
 * (FUZZ_RUNS, read by fuzzRuns.ts; measured 86 s with one worker here). Set FUZZ_RUNS in the
 * environment for a longer or shorter run.
 */
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config';

// Not mergeConfig: it would append to the base's include list and run the whole suite.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/reliability/fuzz*.test.ts'],
    env: { ...base.test?.env, FUZZ_RUNS: process.env.FUZZ_RUNS ?? '100000' },
    testTimeout: 3_600_000,
  },
});
