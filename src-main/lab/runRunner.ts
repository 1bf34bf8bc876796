import type { RunBest, RunStatus } from '../../shared/runs/types';
import type { TrainJob, TrainerMessage } from '../../shared/training/protocol';
import { RunClaimedError } from '../runs/errors';
import { RunStore } from '../runs/store';
import { startTrainer } from './trainerHost';
import { recordTrainerExit } from './trainerExit';

/** How one trainer session of a run ended. */
export interface RunOutcome {
  runId: string;
  status: RunStatus;
  reason: string | null;
  epochsDone: number;
  best: RunBest | null;
  durationMs: number;
  backend: string | null;
  runsDir: string;
}

/** How {@link runOnce} is told to stop. */
export interface RunOnceOptions {
  /**
   * Signals of this process that stop the trainer after its current batch (checkpoints kept); the
   * same signal again kills it. Default: SIGINT (Ctrl-C). `[]`: none (a caller that runs in a test).
   */
  signals?: readonly NodeJS.Signals[];
  /** Stops the trainer after its current batch when it aborts; its reason (text) is the run's. */
  stop?: AbortSignal;
}

/** What a stop by each signal is recorded as. */
function stopReason(signal: NodeJS.Signals): string {
  return signal === 'SIGINT' ? 'stopped by the user (Ctrl-C)' : `stopped by the user (${signal})`;
}

/**
 * Trains a run in its own process until it ends, passing its messages to `onMessage`. Ctrl-C asks the trainer
 * to stop after the current batch (checkpoints kept); a second Ctrl-C kills it. If the process dies,
 * the run is marked interrupted with the reason, and can be resumed from its last checkpoint. A run
 * that another live process trains throws {@link RunClaimedError} (`run X is already being trained by pid N`).
 */
export async function runOnce(job: TrainJob, onMessage: (m: TrainerMessage) => void, opts: RunOnceOptions = {}): Promise<RunOutcome> {
  const trainer = startTrainer(job);
  const off = trainer.onMessage(onMessage);
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write(`\nstopping after this batch (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to kill the trainer)\n`);
      trainer.stop(stopReason(signal));
    } else trainer.kill('SIGKILL');
  };
  const signals = opts.signals ?? ['SIGINT'];
  for (const s of signals) process.on(s, onSignal);
  const onAbort = () => trainer.stop(typeof opts.stop?.reason === 'string' ? opts.stop.reason : 'stopped');
  if (opts.stop?.aborted) onAbort();
  else opts.stop?.addEventListener('abort', onAbort, { once: true });
  const exit = await trainer.done;
  for (const s of signals) process.off(s, onSignal);
  opts.stop?.removeEventListener('abort', onAbort);
  off();
  // Another live process trains the run: this trainer left it untouched and exited at once.
  if (exit.refused) throw new RunClaimedError(job.runId, exit.refused.pid, exit.refused.message);
  const store = RunStore.open(job.runsDir);
  try {
    recordTrainerExit(store, job.runId, exit);
    const run = store.get(job.runId);
    if (!run) throw new Error(`run ${job.runId} disappeared from ${job.runsDir}`);
    return {
      runId: run.id,
      status: run.status,
      reason: run.statusReason,
      epochsDone: run.epochsDone,
      best: run.best,
      durationMs: run.durationMs,
      backend: run.backend ? `${run.backend.name} (${run.backend.detail})` : null,
      runsDir: job.runsDir,
    };
  } finally {
    store.close();
  }
}
