/**
 * What happens in the run store when a trainer process ends. A trainer that ends its run itself has
 * already written its final status; one that died (SIGKILL, abort, out of memory) could not, so the
 * run is marked interrupted here with the reason. Everything up to its last committed epoch stays.
 */
import type { RunStatus } from '../../shared/runs/types';
import type { RunStore } from '../runs/store';
import type { TrainerExit } from './trainerHost';

/**
 * Records a crashed trainer's run as interrupted; returns the run's status afterwards. A run its
 * trainer failed keeps the launcher's fuller reason (with what the trainer's stderr adds, see
 * startTrainer), which the trainer itself could not know.
 */
export function recordTrainerExit(store: RunStore, runId: string, exit: TrainerExit): { status: RunStatus; reason: string | null } {
  if (!exit.crashed) {
    const s = store.summary(runId);
    if (s.status === 'failed' && exit.status === 'failed' && exit.reason && exit.reason !== s.statusReason) {
      store.update(runId, { statusReason: exit.reason });
      return { status: s.status, reason: exit.reason };
    }
    return { status: s.status, reason: s.statusReason };
  }
  const reason = exit.reason ?? 'the trainer process died';
  const before = store.summary(runId);
  const status: RunStatus = exit.status === 'failed' ? 'failed' : 'interrupted';
  store.update(runId, { status, statusReason: reason, endedAt: Date.now(), pid: null });
  store.addEvent(runId, { time: Date.now(), step: before.lastCheckpoint?.step ?? 0, epoch: before.epochsDone, type: status, message: reason });
  return { status, reason };
}
