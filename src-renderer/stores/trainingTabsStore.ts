/** The Training view's open tab (setup, monitor, compare or experiments), remembered across reloads. */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { remember, remembered } from './sessionMemory';

/** The Training view's tabs. */
export type TrainingTab = 'setup' | 'monitor' | 'compare' | 'experiments';

const TAB_KEY = 'strata.training.tab';

function isTab(s: string | null): s is TrainingTab {
  return s === 'setup' || s === 'monitor' || s === 'compare' || s === 'experiments';
}

/** The training tabs store. */
export const useTrainingTabsStore = defineStore('trainingTabs', () => {
  const stored = remembered(TAB_KEY);
  const tab = ref<TrainingTab>(isTab(stored) ? stored : 'setup');

  /** Opens a tab. */
  function setTab(t: TrainingTab): void {
    tab.value = t;
    remember(TAB_KEY, t);
  }

  return { tab, setTab };
});
