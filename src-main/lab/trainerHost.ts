import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunStatus } from '../../shared/runs/types';
import {
  isBenchmarkReply,
  isClaimRefused,
  isFinalizeReply,
  type FinalizeJob,
  type FinalizeReply,
  type ClaimRefused,
  isProbeReply,
  type ProbeReply,
  isUpsamplersReply,
  type UpsamplersJob,
  type UpsamplersReply,
  isTrainerMessage,
  type BenchmarkJob,
  type BenchmarkReply,
  type TrainJob,
  type TrainerCommand,
  type TrainerMessage,
} from '../../shared/training/protocol';
import { gpuFailureReason, loaderLines, wantsLoaderLines, withLoaderLines } from '../training/backendReason';
import { LineSplitter, OutputTail, withStderr } from './trainerOutput';

/** How a trainer process ended, as seen from outside it. */
export interface TrainerExit {
  /** The final status the trainer reported, or `interrupted` when it died without reporting one. */
  status: RunStatus;
  reason?: string;
  /** True when the process died (signal, abort, OOM) instead of ending the run itself. */
  crashed: boolean;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the run was already being trained by another live process: the trainer left it untouched. */
  refused?: ClaimRefused;
  /** The trainer process's pid (null when it never started): a run it owned is recorded with it. */
  pid: number | null;
  /** Set when the host killed a trainer that had stopped making progress mid-epoch (see {@link stallLimitMs}). */
  stalled?: boolean;
}

/** A running trainer process. Every subscription returns its own undo. */
export interface TrainerHandle {
  readonly runId: string;
  readonly pid: number | undefined;
  readonly done: Promise<TrainerExit>;
  onMessage(listener: (m: TrainerMessage) => void): () => void;
  pause(): void;
  resume(): void;
  stop(reason: string): void;
  /** Sends a real signal to the process (used by fault tests and by "force quit"). */
  kill(signal?: NodeJS.Signals): void;
}

/**
 * The trainer entry file next to this one's build: `.ts` under tsx (tests, `npm run strata`),
 * `.js` in the bundled app.
 */
function trainerEntry(): { file: string; execArgv: string[] } {
  const here = import.meta.url;
  const ts = here.endsWith('.ts');
  const file = fileURLToPath(new URL(`../training/trainerProcess.${ts ? 'ts' : 'js'}`, here));
  return { file, execArgv: ts ? ['--import', 'tsx'] : [] };
}

function exitReason(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal === 'SIGKILL') return 'the trainer process was killed (SIGKILL; possibly out of memory)';
  // V8 aborts when the JavaScript heap is exhausted, so an abort is often an out-of-memory.
  if (signal === 'SIGABRT' || code === 134) return 'the trainer process aborted (SIGABRT; possibly out of memory)';
  if (signal) return `the trainer process died from signal ${signal}`;
  return `the trainer process exited with code ${code ?? 'unknown'} before finishing the run`;
}

/** Why a trainer died, with the end of its stderr when its launcher captured any (a crash's own words). */
function describeExit(child: TrainerChild, code: number | null, signal: NodeJS.Signals | null): string {
  return withStderr(exitReason(code, signal), child.stderrTail?.());
}

/** A started trainer process, whatever started it (Node's fork here, Electron's utilityProcess in the app). */
export interface TrainerChild {
  readonly pid: number | undefined;
  send(command: TrainerCommand): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  onError(listener: (err: Error) => void): void;
  kill(signal: NodeJS.Signals): void;
  /**
   * The last few KB the process wrote to stderr (see trainerOutput.ts), complete once `onExit` has
   * fired; absent when the launcher does not capture it.
   */
  stderrTail?(): string;
}

/** Starts the trainer entry file as a process. */
export type TrainerLauncher = (entry: { file: string; execArgv: string[] }, env: NodeJS.ProcessEnv) => TrainerChild;

/** A line a trainer wrote, for a log. */
export type TrainerOutputListener = (line: string, stream: 'stdout' | 'stderr', pid: number | undefined) => void;

/** How a launcher treats a trainer's output. */
export interface OutputOptions {
  /** Copy everything the trainer writes to this process's stderr (a terminal), as inheriting it would. */
  passThrough?: boolean;
  /** Called with each whole line of output. */
  onLine?: TrainerOutputListener;
}

/**
 * Reads a trainer's stdout and stderr streams: keeps stderr's tail, hands whole lines to `onLine`
 * and copies the bytes to this process's stderr with `passThrough` (stdout too: a `--json`
 * command's stdout carries one JSON object only). Shared by Node's fork and Electron's utilityProcess.
 */
export function captureOutput(
  streams: { stdout: NodeJS.ReadableStream | null; stderr: NodeJS.ReadableStream | null },
  pid: () => number | undefined,
  opts: OutputOptions,
): { tail: OutputTail; flush(): void } {
  const tail = new OutputTail();
  const splitters: { stream: 'stdout' | 'stderr'; split: LineSplitter }[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    const source = streams[stream];
    if (!source) continue;
    const split = new LineSplitter();
    splitters.push({ stream, split });
    source.on('data', (chunk: Buffer | string) => {
      if (stream === 'stderr') tail.push(chunk);
      if (opts.passThrough) process.stderr.write(chunk);
      if (opts.onLine) for (const line of split.push(chunk)) opts.onLine(line, stream, pid());
    });
  }
  return {
    tail,
    flush: () => {
      if (!opts.onLine) return;
      for (const { stream, split } of splitters) for (const line of split.flush()) opts.onLine(line, stream, pid());
    },
  };
}

/** A launcher starting the trainer as a Node child process with an IPC channel that carries typed arrays. */
export function createForkLauncher(output: OutputOptions): TrainerLauncher {
  return (entry, env) => {
    const child: ChildProcess = fork(entry.file, [], {
      execArgv: entry.execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env,
    });
    const captured = captureOutput(child, () => child.pid, output);
    child.on('close', () => captured.flush());
    return {
      pid: child.pid,
      send: (c) => {
        if (child.connected) child.send(c);
      },
      onMessage: (l) => child.on('message', l),
      // 'close' comes after the IPC channel has delivered every message and stdio has ended;
      // 'exit' can overtake a large last message or the end of stderr.
      onExit: (l) => child.on('close', l),
      onError: (l) => child.on('error', l),
      kill: (signal) => {
        child.kill(signal);
      },
      stderrTail: () => captured.tail.text(),
    };
  };
}

/**
 * The default launcher (CLI, `npm run lab`, tests): the trainer's output still reaches the terminal,
 * and its stderr's tail goes into the reason of a crash.
 */
export const forkLauncher: TrainerLauncher = createForkLauncher({ passThrough: true });

let launcher: TrainerLauncher = forkLauncher;

/** Replaces how trainer processes are started (the Electron app uses its utilityProcess). */
export function setTrainerLauncher(l: TrainerLauncher): void {
  launcher = l;
}

/**
 * A failed run's reason with what its trainer's stderr adds: TensorFlow's loader lines when a forced
 * tfjs-node-gpu could not load, else the informative end of stderr (a native library's own message).
 */
export function runFailureReason(reason: string, stderr: string): string {
  return gpuFailureReason(reason, stderr) ?? withStderr(reason, stderr);
}

/** How long a `backend` message waits for TensorFlow's loader lines to arrive on stderr (a separate pipe). */
const BACKEND_STDERR_WAIT_MS = 500;
/** How long a failure waits for the trainer's exit, when its stderr is complete, before it is relayed anyway. */
const FAILURE_STDERR_WAIT_MS = 3000;
const STDERR_POLL_MS = 25;

/** A failed run's status or end: its reason is completed from the trainer's stderr. */
function isFailure(m: TrainerMessage): m is Extract<TrainerMessage, { type: 'status' | 'ended' }> {
  return (m.type === 'status' || m.type === 'ended') && m.status === 'failed';
}

/**
 * How long message `m` may wait for the trainer's stderr before it is relayed (0: relay it now). The
 * backend report waits for TensorFlow's loader lines, a failure for the process's end. `stderr` is
 * read only for the messages that use it (not for every batch message).
 */
function stderrWait(m: TrainerMessage, stderr: () => string): number {
  if (m.type === 'backend') return wantsLoaderLines(m.skipped) && loaderLines(stderr()).length === 0 ? BACKEND_STDERR_WAIT_MS : 0;
  if (isFailure(m)) return FAILURE_STDERR_WAIT_MS;
  return 0;
}

/** Message `m` completed from the trainer's stderr: the GPU's skipped reason, a failure's reason. */
function withTrainerStderr(m: TrainerMessage, stderr: () => string): TrainerMessage {
  if (m.type === 'backend') return { ...m, skipped: withLoaderLines(m.skipped, stderr()) };
  if (isFailure(m) && m.reason) return { ...m, reason: runFailureReason(m.reason, stderr()) };
  return m;
}

/** The shortest silence mid-epoch that counts as a stuck trainer. */
export const STALL_MIN_MS = 5 * 60_000;
/** A stuck trainer is also one silent for this many times its slowest batch so far (a slow design is given longer). */
export const STALL_FACTOR = 30;

/**
 * How long a trainer may be silent between two batches of an epoch before it is taken as stuck:
 * STRATA_STALL_SECONDS in `env` when it is a positive number, else the larger of {@link STALL_MIN_MS}
 * and {@link STALL_FACTOR} times the slowest gap before a batch seen so far (the first batch's
 * counts from the trainer's start, so a design whose steps are slow is given longer from the start).
 */
export function stallLimitMs(slowestGapMs: number, env: NodeJS.ProcessEnv = process.env): number {
  const given = Number(env['STRATA_STALL_SECONDS']);
  if (Number.isFinite(given) && given > 0) return given * 1000;
  return Math.max(STALL_MIN_MS, STALL_FACTOR * slowestGapMs);
}

/** A stuck trainer's reason. */
export function stallReason(silentMs: number, at: { batch: number; batches: number; epoch: number }, slowestGapMs: number): string {
  const s = (ms: number) => (ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`);
  return (
    `the trainer stopped making progress: no batch for ${s(silentMs)} after batch ${at.batch + 1} of ${at.batches} in epoch ${at.epoch + 1}` +
    ` (the slowest batch before took ${s(slowestGapMs)}), so it was killed; a thread deadlock in the backend does this. Resuming continues from the last checkpoint`
  );
}

/**
 * Watches a trainer's batch messages: while an epoch's batches are coming (the last one seen was not
 * its epoch's last, no time budget ended it, no pause or stop was asked), a silence longer than
 * {@link stallLimitMs} calls `onStall`. Validation, checkpoints and analyses, between epochs, are
 * never timed: only the gap between two batches, which holds nothing but a training step.
 */
class StallWatch {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastBatchAt: number | null = null;
  /** Since when the next batch is waited for when no batch of the epoch came yet: the start, an epoch's end, a resume. */
  private mark = Date.now();
  private slowestGap = 0;
  private at = { batch: 0, batches: 0, epoch: 0 };
  private off = false;
  private paused = false;

  constructor(
    private readonly onStall: (reason: string) => void,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  message(m: TrainerMessage): void {
    if (this.off) return;
    if (m.type === 'batch') {
      const now = Date.now();
      const since = this.lastBatchAt !== null && m.metric.epoch === this.at.epoch ? this.lastBatchAt : this.mark;
      this.slowestGap = Math.max(this.slowestGap, now - since);
      this.lastBatchAt = now;
      this.at = { batch: m.metric.batch, batches: m.batches, epoch: m.metric.epoch };
      if (m.metric.batch < m.batches - 1 && !this.paused) this.arm();
      else this.quiet();
    } else if (m.type === 'epoch') {
      this.quiet();
      this.mark = Date.now();
    } else if (m.type === 'ended' || m.type === 'status' || (m.type === 'event' && m.event.type === 'time-limit')) {
      this.quiet();
    }
  }

  /** Nothing is expected (a pause, a stop, the end): no timing until the next batch. */
  quiet(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastBatchAt = null;
  }

  /** A pause was asked: the batch in flight may still come, then the loop parks; nothing is timed until resume. */
  pause(): void {
    this.paused = true;
    this.quiet();
  }

  resume(): void {
    this.paused = false;
    this.mark = Date.now();
  }

  /** No more timing for this process (a stop was asked: the batches it still sends may end the epoch early). */
  stop(): void {
    this.quiet();
    this.off = true;
  }

  private arm(): void {
    clearTimeout(this.timer);
    const limit = stallLimitMs(this.slowestGap, this.env);
    const from = Date.now();
    this.timer = setTimeout(() => this.onStall(stallReason(Date.now() - from, this.at, this.slowestGap)), limit);
    this.timer.unref?.();
  }
}

/**
 * Starts training in its own process, so a crash, an abort or running out of memory there
 * never takes the caller down. Training state lives in the run store; this handle only relays.
 * TensorFlow's loader and native libraries write to fd 2, out of the trainer's JavaScript: the
 * `backend` message and a failure's reason are completed from the captured stderr before they are
 * relayed (waiting a little for it, messages kept in order), and so is the failed exit's reason.
 */
export function startTrainer(job: TrainJob, opts: { env?: NodeJS.ProcessEnv } = {}): TrainerHandle {
  const child = launcher(trainerEntry(), opts.env ?? process.env);
  const listeners = new Set<(m: TrainerMessage) => void>();
  let final: { status: RunStatus; reason?: string } | null = null;
  let refused: ClaimRefused | null = null;
  let stalled: string | null = null;
  const stderr = () => child.stderrTail?.() ?? '';
  const watch = new StallWatch((reason) => {
    stalled = reason;
    child.kill('SIGKILL');
  }, opts.env ?? process.env);

  // Messages waiting to be relayed, in order; the first may be waiting for stderr since `waitingSince`.
  const pending: TrainerMessage[] = [];
  let waitingSince: number | null = null;
  let poll: ReturnType<typeof setTimeout> | undefined;
  let exited = false;
  const relay = () => {
    clearTimeout(poll);
    while (pending.length > 0) {
      const m = pending[0] as TrainerMessage;
      const wait = exited ? 0 : stderrWait(m, stderr);
      waitingSince ??= Date.now();
      if (wait > 0 && Date.now() - waitingSince < wait) {
        poll = setTimeout(relay, STDERR_POLL_MS);
        return;
      }
      pending.shift();
      waitingSince = null;
      const out = withTrainerStderr(m, stderr);
      for (const l of listeners) l(out);
    }
  };

  // Electron's utilityProcess forgets its pid once it has exited: the one seen while it lived is kept.
  let seenPid: number | undefined;
  const pid = (): number | null => (seenPid ??= child.pid) ?? null;
  pid();

  child.onMessage((m: unknown) => {
    pid();
    // Not relayed: the run's messages come from the process that owns it, not from this one.
    if (isClaimRefused(m)) {
      refused = m;
      return;
    }
    if (!isTrainerMessage(m)) return;
    watch.message(m);
    if (m.type === 'ended') final = { status: m.status, ...(m.reason ? { reason: m.reason } : {}) };
    pending.push(m);
    if (pending.length === 1) relay();
  });

  const done = new Promise<TrainerExit>((resolve) => {
    child.onExit((code, signal) => {
      exited = true;
      watch.quiet();
      relay();
      if (stalled !== null && !final) resolve({ status: 'interrupted', reason: stalled, crashed: true, stalled: true, exitCode: code, signal, pid: pid() });
      else if (refused) resolve({ status: 'running', reason: refused.message, crashed: false, exitCode: code, signal, refused, pid: pid() });
      else if (final) {
        const reason = final.status === 'failed' && final.reason ? runFailureReason(final.reason, stderr()) : final.reason;
        resolve({ status: final.status, ...(reason ? { reason } : {}), crashed: false, exitCode: code, signal, pid: pid() });
      } else resolve({ status: 'interrupted', reason: describeExit(child, code, signal), crashed: true, exitCode: code, signal, pid: pid() });
    });
    child.onError((err) => {
      if (!final) resolve({ status: 'failed', reason: `could not start the trainer: ${err.message}`, crashed: true, exitCode: null, signal: null, pid: pid() });
    });
  });

  child.send({ type: 'start', job });

  return {
    runId: job.runId,
    pid: child.pid,
    done,
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    pause: () => {
      watch.pause();
      child.send({ type: 'pause' });
    },
    resume: () => {
      watch.resume();
      child.send({ type: 'resume' });
    },
    stop: (reason) => {
      // A stopped run may validate the batches it trained (no more batch messages): not a stall.
      watch.stop();
      child.send({ type: 'stop', reason });
    },
    kill: (signal = 'SIGKILL') => child.kill(signal),
  };
}

/**
 * Sends one command to a trainer process of its own and resolves with its one answer. A process
 * that dies, or does not answer within `timeoutMs`, resolves as `failed(reason)`; it is killed on
 * timeout, and when `signal` aborts (its reason says why).
 * With `afterExit`, the answer waits for the process to end (it exits after answering; at most
 * {@link AFTER_EXIT_WAIT_MS}) and is then completed with what the process wrote to stderr.
 */
function askTrainer<R>(
  command: TrainerCommand,
  isReply: (m: unknown) => m is R,
  failed: (message: string) => R,
  opts: { timeoutMs: number; env?: NodeJS.ProcessEnv; what: string; afterExit?: (reply: R, stderr: string) => R; signal?: AbortSignal },
): Promise<R> {
  const child = launcher(trainerEntry(), opts.env ?? process.env);
  return new Promise<R>((resolve) => {
    let settled = false;
    let answer: R | null = null;
    let grace: ReturnType<typeof setTimeout> | undefined;
    const finish = (r: R) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      opts.signal?.removeEventListener('abort', abort);
      resolve(r);
    };
    const abort = () => {
      const why: unknown = opts.signal?.reason;
      finish(failed(`the ${opts.what} was stopped: ${why instanceof Error ? why.message : String(why)}`));
      child.kill('SIGKILL');
    };
    opts.signal?.addEventListener('abort', abort, { once: true });
    const complete = (r: R) => finish(opts.afterExit ? opts.afterExit(r, child.stderrTail?.() ?? '') : r);
    const timer = setTimeout(() => {
      finish(failed(`the ${opts.what} took longer than ${Math.round(opts.timeoutMs / 1000)} s and was stopped`));
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.onMessage((m) => {
      if (!isReply(m) || answer !== null) return;
      if (!opts.afterExit) return finish(m);
      answer = m;
      grace = setTimeout(() => complete(m), AFTER_EXIT_WAIT_MS);
    });
    child.onExit((code, signal) => {
      if (answer !== null) return complete(answer);
      finish(failed(withStderr(exitReason(code, signal).replace('before finishing the run', 'before answering'), child.stderrTail?.())));
    });
    child.onError((err) => finish(failed(`could not start the trainer: ${err.message}`)));
    if (opts.signal?.aborted) abort();
    else child.send(command);
  });
}

/** How long an answer waits for its process's end (and the rest of its stderr). */
const AFTER_EXIT_WAIT_MS = 3000;

/**
 * Times a few training steps in a trainer process of its own (the lab never loads tfjs), and
 * resolves with its answer, or `benchmark-failed` with the reason.
 */
export function benchmarkInTrainer(job: BenchmarkJob, opts: { timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<BenchmarkReply> {
  return askTrainer({ type: 'benchmark', job }, isBenchmarkReply, (message) => ({ type: 'benchmark-failed', message }), { ...opts, what: 'warm-up' });
}

/** The note's checkerboard test of a design at initialisation, in a trainer process of its own. */
export function upsamplersInTrainer(job: UpsamplersJob, opts: { timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<UpsamplersReply> {
  return askTrainer({ type: 'upsamplers', job }, isUpsamplersReply, (message) => ({ type: 'upsamplers-failed', message }), { ...opts, what: 'upsampler test' });
}

/**
 * Chooses a run's post-processing and scores its test split (finalizeRun) in a trainer process of
 * its own, which stores them with the run; killed when `signal` aborts.
 */
export function finalizeInTrainer(job: FinalizeJob, opts: { timeoutMs: number; env?: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<FinalizeReply> {
  return askTrainer({ type: 'finalize', job }, isFinalizeReply, (message) => ({ type: 'finalize-failed', message }), { ...opts, what: 'choice of the post-processing' });
}

/** Runs the backend selection in a trainer process of its own: what a run started now would train on. */
export function probeBackendInTrainer(opts: { timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<ProbeReply> {
  // TensorFlow's native loader writes why CUDA did not load (a missing libcudart, say) to the
  // process's fd 2, out of JavaScript's reach: its lines are taken from the captured stderr.
  return askTrainer({ type: 'probe' }, isProbeReply, (message) => ({ type: 'probe-failed', message }), {
    ...opts,
    what: 'backend probe',
    afterExit: (reply, stderr) => (reply.type === 'probe-result' ? { ...reply, skipped: withLoaderLines(reply.skipped, stderr) } : reply),
  });
}

/**
 * Starts a bare trainer process with the configured launcher (a Node child here, Electron's
 * utilityProcess in the app) for a one-shot job such as `predict`; the caller sends the command.
 */
export function launchTrainer(env: NodeJS.ProcessEnv = process.env): TrainerChild {
  return launcher(trainerEntry(), env);
}
