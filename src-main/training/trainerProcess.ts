/**
 * Entry of the trainer process (a Node child process, or Electron's utilityProcess in the app).
 * It takes one `start` command naming a run, claims it (or answers `claim-refused` when another live
 * process trains it), trains it, and exits. Pause, resume and stop arrive as
 * messages and act between batches. A `benchmark` command instead times a few steps, answers,
 * and exits.
 */
import type { BenchmarkReply, ClaimRefused, FinalizeReply, PredictReply, ProbeReply, TrainerCommand, TrainerMessage, UpsamplersReply } from '../../shared/training/protocol';
import { installFaultHandlers } from '../lab/faultHandlers';
import { selectBackend } from './backend';
import { runBenchmark } from './benchmark';
import { runUpsamplersJob } from './upsamplersJob';
import { runPredictJob } from './predictJob';
import { runFinalizeJob } from './finalizeJob';
import { LoopControl } from './loop';
import { trainRun } from './trainer';

const control = new LoopControl();
let started = false;
/** Whether a run is training (its loop can still end it as failed). */
let training = false;

/** Electron's utilityProcess talks through `process.parentPort`; a Node child through `process.send`. */
interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}
const parentPort = (process as NodeJS.Process & { parentPort?: ParentPort }).parentPort;

/**
 * Leaves once every message sent so far is written: messages go out in order, so the callback of a
 * last one (which drivers ignore: it names no run) means the `ended` before it was delivered.
 */
function leaveAfterDrain(): void {
  if (parentPort) setTimeout(() => process.exit(), 200);
  // After the driver went away there is no channel left to close (disconnecting again would throw).
  else if (process.send && process.connected) process.send({ type: 'bye' }, undefined, {}, () => process.connected && process.disconnect?.());
}

/** Sends a one-shot command's answer and leaves once the channel has drained. */
function finishOneShot(reply: BenchmarkReply | FinalizeReply | PredictReply | ProbeReply | UpsamplersReply): void {
  process.exitCode = reply.type.endsWith('-failed') ? 1 : 0;
  // Leave only once the answer is written: disconnecting earlier can drop a large one.
  emit(reply);
  leaveAfterDrain();
}

function emit(m: TrainerMessage | ClaimRefused | BenchmarkReply | FinalizeReply | PredictReply | ProbeReply | UpsamplersReply): void {
  if (parentPort) parentPort.postMessage(m);
  // With a callback, a send that fails because the driver just died is dropped instead of raising an
  // 'error' event that would crash the process before it records the run as interrupted.
  else if (process.send && process.connected) process.send(m, undefined, {}, () => undefined);
}

function isCommand(m: unknown): m is TrainerCommand {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}

function onCommand(m: unknown): void {
  if (!isCommand(m)) return;
  try {
    handle(m);
  } catch (err) {
    // A failing control command must not kill a run that is training fine.
    emit({ type: 'log', runId: '', level: 'error', message: `could not ${m.type}: ${err instanceof Error ? err.message : String(err)}` });
  }
}

if (parentPort) parentPort.on('message', (e) => onCommand(e.data));
else process.on('message', onCommand);

function handle(m: TrainerCommand): void {
  switch (m.type) {
    case 'start':
      if (started) return;
      started = true;
      // A run another live process trains is refused at once (claim-refused), and this process leaves.
      training = true;
      void trainRun(m.job, control, emit).then(
        (status) => {
          training = false;
          process.exitCode = status === 'failed' ? 1 : 0;
          leaveAfterDrain();
        },
        (err: unknown) => {
          // trainRun could not even record its failure (the store would not open or write): say why and leave.
          training = false;
          process.stderr.write(`trainer: run ${m.job.runId} ended without its status recorded: ${err instanceof Error ? err.message : String(err)}\n`);
          process.exitCode = 1;
          leaveAfterDrain();
        },
      );
      break;
    case 'benchmark':
      if (started) return;
      started = true;
      void runBenchmark(m.job).then(finishOneShot);
      break;
    case 'probe':
      if (started) return;
      started = true;
      void selectBackend().then(
        (r) => finishOneShot({ type: 'probe-result', backend: { name: r.name, detail: r.detail, threads: r.threads }, skipped: r.skipped }),
        (e: unknown) => finishOneShot({ type: 'probe-failed', message: e instanceof Error ? e.message : String(e) }),
      );
      break;
    case 'upsamplers':
      if (started) return;
      started = true;
      void runUpsamplersJob(m.job).then(finishOneShot);
      break;
    case 'predict':
      if (started) return;
      started = true;
      void runPredictJob(m.job, emit).then(finishOneShot);
      break;
    case 'finalize':
      if (started) return;
      started = true;
      // Progress lines go to stderr, which reaches the lab's terminal or its trainer log.
      void runFinalizeJob(m.job, (line) => process.stderr.write(`${line}\n`)).then(finishOneShot);
      break;
    case 'pause':
      control.pause();
      break;
    case 'resume':
      control.resume();
      break;
    case 'stop':
      control.stop(m.reason);
      break;
  }
}

// A fault nobody caught (an exception thrown from a callback, a rejected promise nobody awaited)
// is logged, and a training run ends as failed with it through the loop's own path: its status and
// reason recorded, its checkpoints kept, the 'ended' message sent, then this process leaves.
// Anything else this process was doing is a one-shot job whose answer would never come: it leaves.
installFaultHandlers('trainer', {
  log: (line) => process.stderr.write(line),
  exclusive: true,
  after: (reason) => {
    if (training) control.fail(`the trainer failed: ${reason}`);
    else {
      process.exitCode = 1;
      leaveAfterDrain();
    }
  },
});

// The driver went away (its process died): end after the current batch, keeping checkpoints. Nobody
// asked for this stop, so the run is interrupted (as after a crash), not stopped.
process.on('disconnect', () => control.interrupt('the app that started this run went away'));

// The trainer's output goes to pipes its driver reads (the app's trainer log, the CLI's terminal).
// Once the driver is gone a write fails with EPIPE; the run's state lives in the store, so the
// output is what is lost, not the process finishing the run as interrupted.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
}
