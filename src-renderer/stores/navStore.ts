/** Navigation: the current route, kept in step with the location hash. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { parseHash, routeHash, sameRoute, type Route, type ViewName } from '../workflows/routes';

/** The navigation store: which view is open, and the open run in Runs. */
export const useNavStore = defineStore('nav', () => {
  const route = ref<Route>(parseHash(typeof window === 'undefined' ? '' : window.location.hash));
  const view = computed<ViewName>(() => route.value.view);
  const openRunId = computed<string | null>(() => (route.value.view === 'runs' ? route.value.runId : null));

  /** Goes to `next`; the hash follows, so back/forward and reloads land in the same place. */
  function go(next: Route): void {
    if (sameRoute(route.value, next)) return;
    route.value = next;
    const hash = routeHash(next);
    if (typeof window !== 'undefined' && window.location.hash !== hash) window.location.hash = hash;
  }

  /** Opens a top-level view (Runs without an open run). */
  function openView(v: ViewName): void {
    go(v === 'runs' ? { view: 'runs', runId: null } : { view: v });
  }

  /** Opens run `id` in Runs, or closes the open run with null. */
  function openRun(id: string | null): void {
    go({ view: 'runs', runId: id });
  }

  /** Follows the hash (back/forward, a typed address); returns the undo. */
  function followHash(): () => void {
    const sync = () => {
      route.value = parseHash(window.location.hash);
    };
    window.addEventListener('hashchange', sync);
    sync();
    return () => window.removeEventListener('hashchange', sync);
  }

  return { route, view, openRunId, go, openView, openRun, followHash };
});
