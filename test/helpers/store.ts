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

/** Runs async `fn` on the store at `runsDir`, closing it when its promise settles. */
export async function withOpenStore<T>(runsDir: string, fn: (s: RunStore) => Promise<T>): Promise<T> {
  const s = RunStore.open(runsDir);
  try {
    return await fn(s);
  } finally {
    s.close();
  }
}
