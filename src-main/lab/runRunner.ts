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
  /** How many times its trainer stopped making progress and was killed and the run resumed (see stallLimitMs). */
  stalls: number;
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
  /**
   * How many times a trainer that stopped making progress mid-epoch (killed by its host, the run
   * interrupted) is started again on the run, which resumes from its last checkpoint. Default
   * {@link STALL_RETRIES}.
   */
  stallRetries?: number;
  /** Where the retries are told (default: stderr). */
  log?: (line: string) => void;
}

/** Retries of a stuck trainer per call of {@link runOnce}: a deadlock is rare, one that comes back each time is not the trainer's luck. */
export const STALL_RETRIES = 2;

/** What a stop by each signal is recorded as. */
function stopReason(signal: NodeJS.Signals): string {
  return signal === 'SIGINT' ? 'stopped by the user (Ctrl-C)' : `stopped by the user (${signal})`;
}

/**
 * Trains a run in its own process until it ends, passing its messages to `onMessage`. Ctrl-C asks the trainer
 * to stop after the current batch (checkpoints kept); a second Ctrl-C kills it. If the process dies,
 * the run is marked interrupted with the reason, and can be resumed from its last checkpoint. A
 * trainer that stops making progress mid-epoch (a deadlock) is killed by its host and started again
 * on the run, up to `stallRetries` times; it resumes from the last checkpoint. A run
 * that another live process trains throws {@link RunClaimedError} (`run X is already being trained by pid N`).
 */
export async function runOnce(job: TrainJob, onMessage: (m: TrainerMessage) => void, opts: RunOnceOptions = {}): Promise<RunOutcome> {
  const retries = opts.stallRetries ?? STALL_RETRIES;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  for (let stalls = 0; ; stalls++) {
    const { outcome, stalled } = await trainOnce(job, onMessage, opts);
    if (!stalled || stalls >= retries || opts.stop?.aborted) return { ...outcome, stalls: stalls + (stalled ? 1 : 0) };
    log(`run ${job.runId}: ${outcome.reason ?? 'its trainer stopped making progress'}; starting it again (${stalls + 1} of ${retries})`);
  }
}

/** One trainer session of the run. */
async function trainOnce(job: TrainJob, onMessage: (m: TrainerMessage) => void, opts: RunOnceOptions): Promise<{ outcome: Omit<RunOutcome, 'stalls'>; stalled: boolean }> {
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
    const recorded = recordTrainerExit(store, job.runId, exit);
    const run = store.get(job.runId);
    if (!run) throw new Error(`run ${job.runId} disappeared from ${job.runsDir}`);
    const outcome = {
      runId: run.id,
      status: run.status,
      reason: run.statusReason,
      epochsDone: run.epochsDone,
      best: run.best,
      durationMs: run.durationMs,
      backend: run.backend ? `${run.backend.name} (${run.backend.detail})` : null,
      runsDir: job.runsDir,
    };
    return { outcome, stalled: exit.stalled === true && recorded.recorded && interrupts === 0 };
  } finally {
    store.close();
  }
}
