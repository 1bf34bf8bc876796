import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunStatus } from '../../shared/runs/types';
import {
  isBenchmarkReply,
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

/** How a trainer process ended, as seen from outside it. */
export interface TrainerExit {
  /** The final status the trainer reported, or `interrupted` when it died without reporting one. */
  status: RunStatus;
  reason?: string;
  /** True when the process died (signal, abort, OOM) instead of ending the run itself. */
  crashed: boolean;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
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

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal === 'SIGKILL') return 'the trainer process was killed (SIGKILL; possibly out of memory)';
  // V8 aborts when the JavaScript heap is exhausted, so an abort is often an out-of-memory.
  if (signal === 'SIGABRT' || code === 134) return 'the trainer process aborted (SIGABRT; possibly out of memory)';
  if (signal) return `the trainer process died from signal ${signal}`;
  return `the trainer process exited with code ${code ?? 'unknown'} before finishing the run`;
}

/** A started trainer process, whatever started it (Node's fork here, Electron's utilityProcess in the app). */
export interface TrainerChild {
  readonly pid: number | undefined;
  send(command: TrainerCommand): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  onError(listener: (err: Error) => void): void;
  kill(signal: NodeJS.Signals): void;
}

/** Starts the trainer entry file as a process. */
export type TrainerLauncher = (entry: { file: string; execArgv: string[] }, env: NodeJS.ProcessEnv) => TrainerChild;

/** The default launcher: a Node child process with an IPC channel that carries typed arrays. */
export const forkLauncher: TrainerLauncher = (entry, env) => {
  const child: ChildProcess = fork(entry.file, [], {
    execArgv: entry.execArgv,
    serialization: 'advanced',
    // The trainer's stdout goes to our stderr: a `--json` command's stdout carries one JSON object only.
    stdio: ['ignore', 2, 'inherit', 'ipc'],
    env,
  });
  return {
    pid: child.pid,
    send: (c) => {
      if (child.connected) child.send(c);
    },
    onMessage: (l) => child.on('message', l),
    // 'close' comes after the IPC channel has delivered every message; 'exit' can overtake a large last one.
    onExit: (l) => child.on('close', l),
    onError: (l) => child.on('error', l),
    kill: (signal) => {
      child.kill(signal);
    },
  };
};

let launcher: TrainerLauncher = forkLauncher;

/** Replaces how trainer processes are started (the Electron app uses its utilityProcess). */
export function setTrainerLauncher(l: TrainerLauncher): void {
  launcher = l;
}

/**
 * Starts training in its own process, so a crash, an abort or running out of memory there
 * never takes the caller down. Training state lives in the run store; this handle only relays.
 */
export function startTrainer(job: TrainJob, opts: { env?: NodeJS.ProcessEnv } = {}): TrainerHandle {
  const child = launcher(trainerEntry(), opts.env ?? process.env);
  const listeners = new Set<(m: TrainerMessage) => void>();
  let final: { status: RunStatus; reason?: string } | null = null;

  child.onMessage((m: unknown) => {
    if (!isTrainerMessage(m)) return;
    if (m.type === 'ended') final = { status: m.status, ...(m.reason ? { reason: m.reason } : {}) };
    for (const l of listeners) l(m);
  });

  const done = new Promise<TrainerExit>((resolve) => {
    child.onExit((code, signal) => {
      if (final) resolve({ ...final, crashed: false, exitCode: code, signal });
      else resolve({ status: 'interrupted', reason: describeExit(code, signal), crashed: true, exitCode: code, signal });
    });
    child.onError((err) => {
      if (!final) resolve({ status: 'failed', reason: `could not start the trainer: ${err.message}`, crashed: true, exitCode: null, signal: null });
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
    pause: () => child.send({ type: 'pause' }),
    resume: () => child.send({ type: 'resume' }),
    stop: (reason) => child.send({ type: 'stop', reason }),
    kill: (signal = 'SIGKILL') => child.kill(signal),
  };
}

/**
 * Sends one command to a trainer process of its own and resolves with its one answer. A process
 * that dies, or does not answer within `timeoutMs`, resolves as `failed(reason)`; it is killed on timeout.
 */
function askTrainer<R>(
  command: TrainerCommand,
  isReply: (m: unknown) => m is R,
  failed: (message: string) => R,
  opts: { timeoutMs: number; env?: NodeJS.ProcessEnv; what: string },
): Promise<R> {
  const child = launcher(trainerEntry(), opts.env ?? process.env);
  return new Promise<R>((resolve) => {
    let settled = false;
    const finish = (r: R) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      finish(failed(`the ${opts.what} took longer than ${Math.round(opts.timeoutMs / 1000)} s and was stopped`));
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.onMessage((m) => {
      if (isReply(m)) finish(m);
    });
    child.onExit((code, signal) => finish(failed(describeExit(code, signal).replace('before finishing the run', 'before answering'))));
    child.onError((err) => finish(failed(`could not start the trainer: ${err.message}`)));
    child.send(command);
  });
}

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

/** Runs the backend selection in a trainer process of its own: what a run started now would train on. */
export function probeBackendInTrainer(opts: { timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<ProbeReply> {
  return askTrainer({ type: 'probe' }, isProbeReply, (message) => ({ type: 'probe-failed', message }), { ...opts, what: 'backend probe' });
}

/**
 * Starts a bare trainer process with the configured launcher (a Node child here, Electron's
 * utilityProcess in the app) for a one-shot job such as `predict`; the caller sends the command.
 */
export function launchTrainer(env: NodeJS.ProcessEnv = process.env): TrainerChild {
  return launcher(trainerEntry(), env);
}
