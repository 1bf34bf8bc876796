/**
 * Messages between whoever drives a run (the CLI, the lab service) and the trainer process.
 * Plain data only: numbers and strings, never tensors.
 */
import type { Architecture, BnPlacement, Initializer } from '../arch/types';
import type { DatasetSource } from '../data/types';
import type { RunPostprocess, RunTestResult } from '../runs/postprocess';
import type { BackendRequest, BatchMetric, EpochMetric, RunBackend, RunConfig, RunEvent, RunStatus } from '../runs/types';

/** Where the trainer loads its data from; it loads it itself, so no images cross the boundary. */
export type DataSource = DatasetSource;

/**
 * What a trainer process is asked to do: train this run of this store. Everything else (design,
 * settings, data, split, whether to continue from a checkpoint) it reads from the run's record.
 */
export interface TrainJob {
  runsDir: string;
  runId: string;
  /**
   * This session's backend instead of the run's configured one (`strata runs resume ID --backend`):
   * a run whose GPU was lost, or that moves to another machine, continues from its checkpoint there.
   */
  backend?: BackendRequest;
}

/**
 * A trainer's answer when the run is already being trained by another live process: it has not
 * touched the run, and exits at once.
 */
export interface ClaimRefused {
  type: 'claim-refused';
  runId: string;
  /** The process that owns the run. */
  pid: number | null;
  /** `run <id> is already being trained by pid <pid>`. */
  message: string;
}

/** Narrows an unknown IPC payload to a ClaimRefused by its tag. */
export function isClaimRefused(m: unknown): m is ClaimRefused {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'claim-refused';
}

/** Driver to trainer. */
export type TrainerCommand =
  | { type: 'start'; job: TrainJob }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop'; reason: string }
  | { type: 'benchmark'; job: BenchmarkJob }
  | { type: 'probe' }
  | { type: 'upsamplers'; job: UpsamplersJob }
  | { type: 'predict'; job: PredictJob }
  | { type: 'finalize'; job: FinalizeJob };

/**
 * A short measured warm-up for the training setup's time estimate: `steps` training steps of the
 * design on random inputs of its own size (time does not depend on the pixel values), after one
 * untimed step that pays for kernel compilation and memory allocation.
 */
export interface BenchmarkJob {
  arch: Architecture;
  config: RunConfig;
  steps: number;
}

/** The trainer's answer to a `benchmark` command; it exits after sending it. */
export type BenchmarkReply =
  | { type: 'benchmark-result'; secondsPerStep: number; warmupSeconds: number; steps: number; backend: RunBackend }
  | { type: 'benchmark-failed'; message: string };

/** Narrows an unknown IPC payload to a BenchmarkReply by its tag. */
export function isBenchmarkReply(m: unknown): m is BenchmarkReply {
  const t = typeof m === 'object' && m !== null ? (m as { type?: unknown }).type : undefined;
  return t === 'benchmark-result' || t === 'benchmark-failed';
}

/** The note's checkerboard at initialisation: each upsampler of a design fed a constant, an impulse and noise. */
export interface UpsamplersJob {
  arch: Architecture;
  init: Initializer;
  bnPlacement: BnPlacement;
  seed: number;
}

/** One upsampler's output for one input: its checkerboard score and (first channel) map. */
export interface UpsamplerResponse {
  nodeId: string;
  input: 'constant' | 'impulse' | 'noise';
  height: number;
  width: number;
  /** The checkerboard score (CheckerboardScore.score): period-2 amplitude over the whole output, ~0 smooth, 1 a pure checkerboard. */
  score: number;
  map: number[];
}

/** The trainer's answer to an `upsamplers` command; it exits after sending it. */
export type UpsamplersReply = { type: 'upsamplers-result'; responses: UpsamplerResponse[] } | { type: 'upsamplers-failed'; message: string };

/** Narrows an unknown IPC payload to an UpsamplersReply by its tag. */
export function isUpsamplersReply(m: unknown): m is UpsamplersReply {
  const t = typeof m === 'object' && m !== null ? (m as { type?: unknown }).type : undefined;
  return t === 'upsamplers-result' || t === 'upsamplers-failed';
}

/** What the trainer's backend selection found on this machine: the backend runs would get now, and why faster ones were skipped. */
export interface BackendProbe {
  backend: RunBackend;
  skipped: { name: string; reason: string }[];
}

/** The trainer's answer to a `probe` command; it exits after sending it. */
export type ProbeReply = ({ type: 'probe-result' } & BackendProbe) | { type: 'probe-failed'; message: string };

/** Narrows an unknown IPC payload to a ProbeReply by its tag. */
export function isProbeReply(m: unknown): m is ProbeReply {
  const t = typeof m === 'object' && m !== null ? (m as { type?: unknown }).type : undefined;
  return t === 'probe-result' || t === 'probe-failed';
}

/**
 * Prediction on a folder of images with a run's best checkpoint: the trainer process loads the
 * model and the images, predicts, and stores the result in the run's folder (see folderPredictions).
 */
export interface PredictJob {
  runsDir: string;
  runId: string;
  /** The folder of images, absolute. */
  folder: string;
}

/** The trainer's answers to a `predict` command: progress, then one result; it exits after that. */
export type PredictReply =
  | { type: 'predict-progress'; done: number; total: number }
  | { type: 'predict-result'; key: string; count: number; epoch: number }
  | { type: 'predict-failed'; message: string };

/** Narrows an unknown IPC payload to a PredictReply by its tag. */
export function isPredictReply(m: unknown): m is PredictReply {
  const t = typeof m === 'object' && m !== null ? (m as { type?: unknown }).type : undefined;
  return t === 'predict-progress' || t === 'predict-result' || t === 'predict-failed';
}

/**
 * Choosing a trained run's post-processing on its validation split and scoring its test split once
 * (finalizeRun), for a run whose training did not do it (stopped by the user, interrupted, failed)
 * or to choose again: the trainer process stores the choice with the run.
 */
export interface FinalizeJob {
  runsDir: string;
  runId: string;
}

/** The trainer's answer to a `finalize` command: what it chose and stored, or why it could not; it exits after that. */
export type FinalizeReply = { type: 'finalize-result'; postprocess: RunPostprocess; test: RunTestResult | null } | { type: 'finalize-failed'; message: string };

/** Narrows an unknown IPC payload to a FinalizeReply by its tag. */
export function isFinalizeReply(m: unknown): m is FinalizeReply {
  const t = typeof m === 'object' && m !== null ? (m as { type?: unknown }).type : undefined;
  return t === 'finalize-result' || t === 'finalize-failed';
}

/** Trainer to driver. */
export type TrainerMessage =
  | { type: 'status'; runId: string; status: RunStatus; reason?: string }
  | ({ type: 'backend'; runId: string; skipped: { name: string; reason: string }[] } & RunBackend)
  | { type: 'batch'; runId: string; metric: BatchMetric; batches: number; epochs: number; etaSeconds: number | null }
  | { type: 'epoch'; runId: string; metric: EpochMetric; epochs: number; etaSeconds: number | null }
  | { type: 'event'; runId: string; event: RunEvent }
  | { type: 'log'; runId: string; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'ended'; runId: string; status: RunStatus; reason?: string };

/** Narrows an unknown IPC payload to a TrainerMessage by its tag; the sender is our own process. */
export function isTrainerMessage(m: unknown): m is TrainerMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string' && typeof (m as { runId?: unknown }).runId === 'string';
}
