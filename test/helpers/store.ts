/** A run store opened for one look and closed again, for tests that read what a run left behind. */
import { RunStore } from '../../src-main/runs/store';

/** Runs `fn` on the store at `runsDir`, closing it afterwards. */
export function withStore<T>(runsDir: string, fn: (s: RunStore) => T): T {
  const s = RunStore.open(runsDir);
  try {
    return fn(s);
  } finally {
    s.close();
  }
}
