/**
 * What happens in the run store when a trainer process ends. A trainer that ends its run itself has
 * already written its final status; one that died (SIGKILL, abort, out of memory) could not, so the
 * run is marked interrupted here with the reason. Everything up to its last committed epoch stays.
 */
import type { RunStatus } from '../../shared/runs/types';
import type { RunStore } from '../runs/store';
import type { TrainerExit } from './trainerHost';

/** What {@link recordTrainerExit} found: the run's status afterwards, and whether the run was the trainer's to record. */
export interface RecordedExit {
  status: RunStatus;
  reason: string | null;
  /**
   * False when the run was not the trainer's and was left as it is: the trainer was refused, or it
   * died before its claim while another live process owns the run.
   */
  recorded: boolean;
}

/**
 * Records a crashed trainer's run as interrupted; returns the run's status afterwards. A run its
 * trainer failed keeps the launcher's fuller reason (with what the trainer's stderr adds, see
 * startTrainer), which the trainer itself could not know. Written only when the run is the
 * trainer's own (its owner is the trainer's pid), has no owner, or its owner is gone: a trainer that
 * was refused, or died before claiming a run another live process trains, leaves the run untouched.
 */
export function recordTrainerExit(store: RunStore, runId: string, exit: TrainerExit): RecordedExit {
  const current = (recorded: boolean): RecordedExit => {
    const s = store.summary(runId);
    return { status: s.status, reason: s.statusReason, recorded };
  };
  if (exit.refused) return current(false);
  if (!exit.crashed) {
    const reason = exit.reason;
    // The trainer ended its run itself and wrote its final status: nothing to add.
    if (exit.status !== 'failed' || !reason) return current(true);
    const recorded = store.unlessOwnedByAnother(runId, exit.pid, () => {
      const s = store.summary(runId);
      if (s.status === 'failed' && reason !== s.statusReason) store.update(runId, { statusReason: reason });
    });
    return current(recorded);
  }
  const reason = exit.reason ?? 'the trainer process died';
  const status: RunStatus = exit.status === 'failed' ? 'failed' : 'interrupted';
  const recorded = store.unlessOwnedByAnother(runId, exit.pid, () => {
    // A trainer killed between saving a checkpoint and recording it: the files are the truth.
    store.reconcileCheckpoint(runId);
    const before = store.summary(runId);
    store.update(runId, { status, statusReason: reason, endedAt: Date.now(), pid: null });
    store.addEvent(runId, { time: Date.now(), step: before.lastCheckpoint?.step ?? 0, epoch: before.epochsDone, type: status, message: reason });
  });
  return recorded ? { status, reason, recorded } : current(false);
}
