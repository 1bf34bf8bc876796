/**
 * Choosing a run's post-processing from the lab: what `strata runs finalize` does, for a run whose
 * training ended without it (stopped by the user, interrupted, failed) or to choose again. The work
 * is finalizeRun's, in a trainer process (the lab never loads tfjs), which stores the choice and its
 * test score with the run; this only refuses what cannot be finalized, keeps one at a time per run,
 * and holds the run in the store meanwhile (RunStore.holdRun) so that no other process trains it.
 */
import type { QueueState } from '../../shared/api/types';
import { finalizeRefusal } from '../../shared/runs/postprocess';
import type { RunSummary } from '../../shared/runs/types';
import type { FinalizeReply } from '../../shared/training/protocol';
import { thisProcessOwner } from '../runs/liveness';
import { alreadyTrainedMessage, type RunStore } from '../runs/store';
import { LabError } from './errors';
import { finalizeInTrainer } from './trainerHost';

/** Longest a finalize may take (it predicts the validation split once or twice, and the test split) before its process is killed. */
const FINALIZE_TIMEOUT_MS = 60 * 60_000;

/** The lab's finalizes under way, one per run. */
export class RunFinalizer {
  private readonly inFlight = new Map<string, AbortController>();

  constructor(
    private readonly store: RunStore,
    private readonly runsDir: string,
    /** The lab's training queue: its active and queued runs are not finalized. */
    private readonly queue: () => QueueState,
  ) {}

  /**
   * Chooses run `id`'s post-processing on its validation split and scores its test split once
   * (replacing an earlier choice), then resolves with the run as stored. Refuses a run that trains
   * or waits to, one with nothing to choose from, and one whose finalize is already under way.
   */
  async finalize(id: string): Promise<RunSummary> {
    const run = this.store.get(id);
    this.assertIdle(id, 'choosing it again');
    const q = this.queue();
    if (q.active?.runId === id) {
      const doing = run.status === 'running' || run.status === 'paused' ? `is ${run.status}` : run.status === 'queued' ? 'is starting to train' : 'has a trainer that is still finishing it';
      throw new LabError('conflict', `run ${id} ${doing}; its post-processing can be chosen once it has stopped`);
    }
    if (run.status === 'queued' || q.queued.includes(id)) throw new LabError('conflict', `run ${id} is queued to train; its post-processing is chosen when that training ends`);
    if (run.status === 'running' || run.status === 'paused') {
      const owner = this.store.ownerOf(id);
      if (owner && !owner.gone) throw new LabError('conflict', alreadyTrainedMessage(id, owner.pid));
      // Its trainer died without saying so: recorded as interrupted before it is finalized.
      this.store.recoverInterrupted();
    }
    const refusal = finalizeRefusal({ id, epochsDone: run.epochsDone, valImages: run.split.val.length, hasBest: this.store.checkpointInfo(id, 'best') !== null });
    if (refusal !== null) throw new LabError('conflict', refusal);

    // Held in the store until the trainer's finalize ends, however it ends: another process (strata
    // runs resume, an experiment runner) cannot start training the run meanwhile, so this choice,
    // made on the run's present checkpoints, is never written over a newer session's.
    const hold = this.store.holdRun(id, thisProcessOwner(), `choosing the post-processing of run ${id}`);
    if (!hold.ok) throw new LabError('conflict', hold.message);
    const ctl = new AbortController();
    this.inFlight.set(id, ctl);
    let reply: FinalizeReply;
    try {
      reply = await finalizeInTrainer({ runsDir: this.runsDir, runId: id }, { timeoutMs: FINALIZE_TIMEOUT_MS, signal: ctl.signal });
    } finally {
      this.inFlight.delete(id);
      hold.release();
    }
    if (reply.type === 'finalize-failed') throw new LabError('conflict', `choosing the post-processing of run ${id} failed: ${reply.message}`);
    return this.store.summary(id);
  }

  /** Refuses, naming `doing`, while run `id`'s post-processing is being chosen: resuming, rewinding or deleting it would pull its checkpoints away. */
  assertIdle(id: string, doing: string): void {
    if (this.inFlight.has(id)) throw new LabError('conflict', `run ${id}'s post-processing is being chosen; wait for that to finish before ${doing}`);
  }

  /** Stops every finalize under way (the lab is closing); their runs keep the choice they had. */
  close(): void {
    for (const ctl of this.inFlight.values()) ctl.abort(new Error('the lab was shut down'));
    this.inFlight.clear();
  }
}
