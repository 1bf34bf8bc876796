/**
 * The shell serving the page (desktop app or browser) and the desktop menu's commands. `follow()`
 * subscribes once, at app start, to `onMenuCommand`: each command opens its view and leaves a task
 * there ({@link ShellTask}); the view takes it when it is shown (at once if already open), so a
 * command that arrives before a view has loaded its data is not lost.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { Unsubscribe } from '../../shared/api/channels';
import type { MenuCommand } from '../../shared/api/types';
import { api, lab } from '../api/labContext';
import { menuAction, type ShellTask } from '../workflows/desktopShell';
import { useNavStore } from './navStore';

/** The shell store. */
export const useShellStore = defineStore('shell', () => {
  const shell = lab().shell;
  /** True in the desktop app: native pickers, folder drops and the menu. */
  const desktop = computed(() => shell === 'desktop');
  /** The task the last menu command left for its view; `seq` tells two equal commands apart. */
  const pending = ref<{ task: ShellTask; seq: number } | null>(null);
  let seq = 0;

  /** Carries out a menu command: its view opens and its task waits there. */
  function perform(cmd: MenuCommand): void {
    const action = menuAction(cmd);
    if (!action) return;
    useNavStore().openView(action.view);
    pending.value = action.task === null ? null : { task: action.task, seq: ++seq };
  }

  /** Follows the menu (desktop only: browser mode has none); returns the undo. */
  function follow(): Unsubscribe {
    if (shell !== 'desktop') return () => undefined;
    return api().onMenuCommand({}, perform);
  }

  /** True, once, when task `t` waits: the caller carries it out. */
  function take(t: ShellTask): boolean {
    if (pending.value?.task !== t) return false;
    pending.value = null;
    return true;
  }

  return { shell, desktop, pending, perform, follow, take };
});
