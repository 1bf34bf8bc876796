/** The Training view's tabs: setup by default, the chosen one remembered for the session. */
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useTrainingTabsStore } from '../../src-renderer/stores/trainingTabsStore';

afterEach(() => vi.unstubAllGlobals());

describe('training tabs store', () => {
  it('opens on setup, and on the tab last chosen after a reload', () => {
    const kept = new Map<string, string>();
    vi.stubGlobal('sessionStorage', {
      getItem: (k: string) => kept.get(k) ?? null,
      setItem: (k: string, v: string) => void kept.set(k, v),
      removeItem: (k: string) => void kept.delete(k),
    });
    setActivePinia(createPinia());
    const t = useTrainingTabsStore();
    expect(t.tab).toBe('setup');
    t.setTab('compare');
    expect(kept.get('strata.training.tab')).toBe('compare');
    setActivePinia(createPinia());
    expect(useTrainingTabsStore().tab).toBe('compare');
    kept.set('strata.training.tab', 'nonsense');
    setActivePinia(createPinia());
    expect(useTrainingTabsStore().tab).toBe('setup');
  });

  it('works where storage is refused', () => {
    vi.stubGlobal('sessionStorage', {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
      removeItem: () => undefined,
    });
    setActivePinia(createPinia());
    const t = useTrainingTabsStore();
    t.setTab('monitor');
    expect(t.tab).toBe('monitor');
  });
});
