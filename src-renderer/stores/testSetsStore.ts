/**
 * The test set of each run with a test score, read once from its record (a run's split never
 * changes), so the runs list and the compare table can tell whether their test scores are on one
 * test set (see workflows/testSets.ts).
 */
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { RunSummary } from '../../shared/runs/types';
import { api } from '../api/labContext';
import { errorMessage } from '../workflows/loadable';
import { testSetKey, type TestSetKeys } from '../workflows/testSets';

/** The test-sets store. */
export const useTestSetsStore = defineStore('testSets', () => {
  const keys = shallowRef<TestSetKeys>(new Map());
  /** Why a split could not be read (its run's set then stays unknown); null when all went well. */
  const problem = ref<string | null>(null);
  const reading = new Set<string>();

  /** Reads the test set of every run of `runs` with a test score whose set is not known yet. */
  async function ensure(runs: readonly Pick<RunSummary, 'id' | 'test'>[]): Promise<void> {
    const missing = runs.filter((r) => r.test !== null && !keys.value.has(r.id) && !reading.has(r.id)).map((r) => r.id);
    if (missing.length === 0) return;
    for (const id of missing) reading.add(id);
    try {
      const read = await Promise.allSettled(missing.map(async (id) => [id, testSetKey(await api().getRun({ id }))] as const));
      const next = new Map(keys.value);
      let failed: string | null = null;
      for (const r of read) {
        if (r.status === 'fulfilled') next.set(r.value[0], r.value[1]);
        else failed ??= errorMessage(r.reason);
      }
      keys.value = next;
      problem.value = failed === null ? null : `Could not read a run's test set: ${failed}`;
    } finally {
      for (const id of missing) reading.delete(id);
    }
  }

  return { keys, problem, ensure };
});
