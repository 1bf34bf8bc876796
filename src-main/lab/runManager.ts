/**
 * The lab's runs while it is up: a queue in which one run trains at a time, each in its own trainer
 * process. The manager relays a trainer's messages to whoever listens to that run, and when a
 * trainer dies, marks its run interrupted with the reason and moves on to the next run: a crash in
 * training never takes the lab down. The queue's order lives in the run index (RunStore.queue), beside
 * the runs' status, so queued runs survive a restart.
 */
import type { QueueState, RunsChanged } from '../../shared/api/types';
import type { RunInit, RunRecord, RunStatus, RunSummary } from '../../shared/runs/types';
import type { TrainerMessage } from '../../shared/training/protocol';
import { alreadyTrainedMessage, type RunStore } from '../runs/store';
import { LabError } from './errors';
import { Topic } from './topic';
import { recordTrainerExit } from './trainerExit';
import { startTrainer, type TrainerHandle } from './trainerHost';

/** Statuses from which a run can be resumed from its checkpoint. */
const RESUMABLE: readonly RunStatus[] = ['stopped', 'interrupted', 'failed'];
/** Statuses a trainer leaves its run in when it has finished with it (and is about to exit). */
const FINISHED: readonly RunStatus[] = ['done', ...RESUMABLE];
/** How long a trainer may take by default to stop cleanly when the lab shuts down, before it is killed. */
export const SHUTDOWN_GRACE_MS = 15_000;

interface Active {
  runId: string;
  handle: TrainerHandle;
  ended: Promise<void>;
}

/** The training queue and the live trainer. */
export class RunManager {
  /** Changes to the run list. */
  readonly changes = new Topic<RunsChanged>();
  private readonly runTopics = new Map<string, Topic<TrainerMessage>>();
  private active: Active | null = null;
  private closing = false;

  constructor(
    private readonly store: RunStore,
    private readonly shutdownGraceMs = SHUTDOWN_GRACE_MS,
  ) {}

  /**
   * Takes up the queue left by the last session: runs the lab queued that are still queued keep
   * their order (runs a dead trainer left running were already marked interrupted by the store).
   */
  restore(): void {
    this.store.queue.prune();
    this.pump();
  }

  /** Creates a queued run, and starts it when nothing else trains. */
  create(init: RunInit): RunSummary {
    if (this.closing) throw new LabError('unavailable', 'the lab is shutting down');
    const run = this.store.createRun({ ...init, status: 'queued' });
    this.store.queue.enqueue(run.id);
    this.changes.emit({ change: 'created', runId: run.id });
    this.pump();
    return this.store.summary(run.id);
  }

  /** The live trainer and the waiting runs. */
  queueState(): QueueState {
    return {
      active: this.active ? { runId: this.active.runId, pid: this.active.handle.pid ?? null } : null,
      queued: this.store.queue.list(),
    };
  }

  /** Asks a training run to stop after its current batch (checkpoints kept); a queued run is taken off the queue. */
  stop(id: string, reason: string): RunSummary {
    const run = this.store.summary(id);
    if (this.active?.runId === id) {
      this.active.handle.stop(reason);
      return run;
    }
    if (run.status === 'queued' || this.store.queue.has(id)) {
      this.dequeue(id);
      const s = this.store.update(id, { status: 'stopped', statusReason: `${reason} (before it started)`, endedAt: Date.now() });
      this.emitStatus(id, 'stopped', s.statusReason ?? undefined);
      return s;
    }
    throw new LabError('conflict', `run ${id} is ${run.status}, not training or queued`);
  }

  /** Pauses the training run between batches. */
  pause(id: string): RunSummary {
    const run = this.store.summary(id);
    if (this.active?.runId !== id) throw new LabError('conflict', `run ${id} is ${run.status}; only the training run can be paused`);
    this.active.handle.pause();
    return run;
  }

  /**
   * Resumes run `id`: a paused run goes on; a stopped, interrupted or failed run with a checkpoint is
   * queued to continue from it in a new trainer.
   */
  resume(id: string): RunSummary {
    let run = this.store.summary(id);
    if ((run.status === 'running' || run.status === 'paused') && this.active?.runId !== id) {
      // Owned by another process: refused while that process lives, taken up once it is gone.
      const owner = this.store.ownerOf(id);
      if (owner && !owner.gone) throw new LabError('conflict', alreadyTrainedMessage(id, owner.pid));
      this.store.recoverInterrupted();
      run = this.store.summary(id);
    }
    // A run that has just ended may still have its trainer process exiting: it is queued below and
    // starts once that process is gone, rather than "resuming" a trainer that is on its way out.
    if (this.active?.runId === id && !RESUMABLE.includes(run.status)) {
      this.active.handle.resume();
      return run;
    }
    if (run.status === 'queued' && !this.store.queue.has(id)) {
      // Queued by another program that never started it: the lab takes it over.
      this.enqueue(id);
      return this.store.summary(id);
    }
    if (!RESUMABLE.includes(run.status)) throw new LabError('conflict', `run ${id} is ${run.status} and cannot be resumed`);
    if (!run.lastCheckpoint) throw new LabError('conflict', `run ${id} has no checkpoint yet; start a new run instead`);
    // Conditional: a process that claimed the run since the checks above keeps it.
    const queued = this.store.requeue(id);
    if (!queued.ok) throw new LabError('conflict', queued.message);
    this.emitStatus(id, 'queued');
    this.enqueue(id);
    return this.store.summary(id);
  }

  /**
   * Deletes a run that is not training; a queued run is taken off the queue first. A run whose
   * trainer has already finished it (its status is final) but has not exited yet is deleted once
   * that process is gone, so a run shown as done can always be deleted.
   */
  async delete(id: string): Promise<void> {
    const run = this.store.summary(id);
    const a = this.active;
    if (a?.runId === id) {
      if (!FINISHED.includes(run.status)) throw new LabError('conflict', `run ${id} is ${run.status === 'queued' ? 'starting' : run.status}; stop it before deleting it`);
      await this.awaitExit(a);
    } else if (run.status === 'running' || run.status === 'paused') {
      throw new LabError('conflict', `run ${id} is ${run.status} in another process; stop it before deleting it`);
    }
    this.dequeue(id);
    this.store.delete(id);
    this.runTopics.delete(id);
    this.changes.emit({ change: 'deleted', runId: id });
  }

  /** Renames a run. */
  rename(id: string, name: string): RunSummary {
    const s = this.store.update(id, { name });
    this.changes.emit({ change: 'status', runId: id });
    return s;
  }

  /** Listens to run `id`'s trainer messages (and the lab's own status messages for it). */
  subscribe(id: string, listener: (m: TrainerMessage) => void): () => void {
    this.store.summary(id);
    let topic = this.runTopics.get(id);
    if (!topic) {
      topic = new Topic<TrainerMessage>();
      this.runTopics.set(id, topic);
    }
    return topic.subscribe(listener);
  }

  /** Stops the live trainer (it keeps its checkpoints) and waits for it; nothing new starts afterwards. */
  async close(): Promise<void> {
    this.closing = true;
    const a = this.active;
    if (!a) return;
    a.handle.stop('the lab was shut down');
    await this.awaitExit(a);
  }

  /** Waits up to the shutdown grace for trainer `a` to exit, then kills it and waits for that. */
  private async awaitExit(a: Active): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      a.ended.then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), this.shutdownGraceMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      a.handle.kill('SIGKILL');
      await a.ended;
    }
  }

  private enqueue(id: string): void {
    this.store.queue.enqueue(id);
    this.changes.emit({ change: 'queue', runId: id });
    this.pump();
  }

  private dequeue(id: string): void {
    if (this.store.queue.remove(id)) this.changes.emit({ change: 'queue', runId: id });
  }

  private emit(m: TrainerMessage): void {
    this.runTopics.get(m.runId)?.emit(m);
    if (m.type === 'status' || m.type === 'ended' || m.type === 'backend') this.changes.emit({ change: 'status', runId: m.runId });
    else if (m.type === 'epoch') this.changes.emit({ change: 'progress', runId: m.runId });
  }

  /** Marks run `id` failed with `reason`, logging it; a store that cannot record it (a full disk) is logged too. */
  private recordFault(id: string, reason: string): void {
    process.stderr.write(`lab: run ${id} failed: ${reason}\n`);
    try {
      this.failRun(id, reason);
    } catch (err) {
      process.stderr.write(`lab: could not record that run ${id} failed: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }

  private emitStatus(runId: string, status: RunStatus, reason?: string): void {
    this.emit({ type: 'status', runId, status, ...(reason ? { reason } : {}) });
  }

  /** Marks run `id` failed with `reason` (a fault the lab caught for it) and tells its listeners. */
  failRun(id: string, reason: string): void {
    this.store.update(id, { status: 'failed', statusReason: reason, endedAt: Date.now() });
    this.emitStatus(id, 'failed', reason);
    this.emit({ type: 'ended', runId: id, status: 'failed', reason });
  }

  /**
   * Starts the next queued run when no trainer is live. Never throws: it runs from a trainer's exit
   * (a promise callback), where an error would be an unhandled rejection that ends the lab. A store
   * that cannot be written (a full disk) leaves the queue as it was, and the next run that ends or
   * is queued tries again.
   */
  private pump(): void {
    try {
      this.startQueued();
    } catch (err) {
      process.stderr.write(`lab: could not start the next queued run; the queue is kept and tried again when a run ends or is queued: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }

  private startQueued(): void {
    while (!this.active && !this.closing) {
      const id = this.store.queue.shift();
      if (id === null) break;
      let run: RunRecord;
      try {
        run = this.store.get(id);
      } catch (err) {
        process.stderr.write(`lab: skipped queued run ${id}: ${err instanceof Error ? err.message : String(err)}\n`);
        continue;
      }
      if (run.status !== 'queued') continue;
      // The trainer reads everything else from the run's record, and claims the run before training it.
      let handle: TrainerHandle;
      try {
        handle = startTrainer({ runsDir: this.store.root, runId: id });
      } catch (err) {
        this.recordFault(id, `its trainer could not be started: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      handle.onMessage((m) => this.emit(m));
      const ended = handle.done.then((exit) => {
        try {
          if (exit.refused) {
            // Another process claimed the run first: it is theirs, and the lab leaves it alone.
            this.emit({ type: 'log', runId: id, level: 'warn', message: exit.refused.message });
            this.changes.emit({ change: 'status', runId: id });
          }
          const after = recordTrainerExit(this.store, id, exit);
          if (exit.crashed && after.recorded) {
            this.emitStatus(id, after.status, after.reason ?? undefined);
            this.emit({ type: 'ended', runId: id, status: after.status, ...(after.reason ? { reason: after.reason } : {}) });
          } else if (exit.crashed) {
            // Died before its claim, and another live process has claimed the run since: it is
            // theirs, so it is neither marked interrupted nor reported as ended here.
            const owner = this.store.ownerOf(id);
            const why = exit.reason ?? 'the trainer process died';
            this.emit({ type: 'log', runId: id, level: 'warn', message: `the trainer of run ${id} ended before claiming it (${why}); ${alreadyTrainedMessage(id, owner?.pid ?? null)}` });
            this.changes.emit({ change: 'status', runId: id });
          }
        } catch (err) {
          process.stderr.write(`lab: could not record how run ${id} ended: ${err instanceof Error ? err.message : String(err)}\n`);
        }
        this.active = null;
        this.changes.emit({ change: 'queue', runId: id });
        this.pump();
      }).catch((err: unknown) => {
        // A listener that threw above: logged, and the queue goes on.
        this.active = null;
        process.stderr.write(`lab: after run ${id} ended: ${err instanceof Error ? err.message : String(err)}\n`);
        this.pump();
      });
      this.active = { runId: id, handle, ended };
      this.changes.emit({ change: 'queue', runId: id });
    }
  }
}
