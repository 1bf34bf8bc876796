import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A test that forgets to name its folders never writes into the real app-data folder
    // (~/.config/Strata...): Strata's home defaults to a scratch folder of this test run.
    env: { STRATA_HOME: path.join(os.tmpdir(), `strata-test-home-${process.pid}`) },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
