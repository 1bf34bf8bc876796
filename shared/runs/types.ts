/**
 * Training runs as plain data: what the run store keeps, what the lab service sends to the UI,
 * and what the trainer writes. No node, no tfjs: these types cross every process boundary.
 * All times are milliseconds since the Unix epoch.
 */
import type { Architecture } from '../arch/types';
import type { DatasetSource } from '../data/types';
import type { RunBackend } from './backend';
import type { ExperimentTag, RunConfig } from './request';
import type { CheckpointExtra } from '../training/checkpointExtra';
import type { RunPostprocess, RunTestResult } from './postprocess';

/** Every state a run can be in. */
export const RUN_STATUSES = ['queued', 'running', 'paused', 'done', 'stopped', 'failed', 'interrupted'] as const;
/** The state of a run. */
export type RunStatus = (typeof RUN_STATUSES)[number];

/** States in which some process owns the run; a run left in one of them by a dead process is interrupted. */
export const ACTIVE_STATUSES: readonly RunStatus[] = ['running', 'paused'];

/**
 * A run id: UTC creation time to the millisecond, then a random suffix, e.g. `20250607-153012-123-k3j9x2`.
 * Sorts by creation time and is safe as a folder name on every platform.
 */
export const RUN_ID_PATTERN = /^[0-9]{8}-[0-9]{6}-[0-9]{3}-[a-z0-9]{6}$/;

/** True for strings shaped like a run id (see {@link RUN_ID_PATTERN}). */
export function isRunId(s: string): boolean {
  return RUN_ID_PATTERN.test(s);
}

/**
 * The losses a run can train with (the same names as the trainer's loss table):
 * - `batch-iou`: 1 - soft IoU over all pixels of the batch (the note's loss that trained well);
 * - `per-image-iou`: 1 - smoothed soft IoU, per image then averaged (the note's first loss; `eps` 0.62);
 * - `lovasz`: Lovász hinge (Berman et al. 2018);
 * - `bce`: binary cross-entropy;
 * - `bce-lovasz`: their sum.
 *
 * These, the backends a run may ask for, and the configuration types are defined once, by the run
 * request's schema in ./request.ts; they are re-exported here, where the rest of a run's types live.
 */
export { BACKEND_REQUESTS, LOSS_NAMES } from './request';
export type { BackendRequest, ExperimentTag, LossName, OptimizerSettings, RunConfig } from './request';
export type { RunBackend } from './backend';
export type { RunPostprocess, RunTestResult } from './postprocess';

/** The data a run trained on, enough to tell whether another run saw the same data. */
export interface RunDataset {
  name: string;
  source: DatasetSource;
  /** The dataset's SHA-256 fingerprint. */
  fingerprint: string;
  /** Generated data; never to be presented as real. */
  synthetic: boolean;
  count: number;
}

/** The sample ids of the training/validation/test split. */
export interface RunSplit {
  train: string[];
  val: string[];
  /**
   * Held out from training and from every choice made on validation (checkpoint, threshold, minimum
   * area), to be scored once at the end; empty without a test set, and for runs stored before there was one.
   */
  test: string[];
}

/** Software versions, so a result can be reproduced. */
export interface RunVersions {
  strata: string;
  tfjs: string;
  node: string;
  electron?: string;
}

/** The machine a run was created on. */
export interface RunHost {
  hostname: string;
  platform: string;
  arch: string;
  cpus: number;
}

/** The best epoch so far by the run's selection metric. */
export interface RunBest {
  epoch: number;
  score: number;
  metric: string;
}

/** Where the last checkpoint stands. */
export interface RunCheckpointPosition {
  epoch: number;
  step: number;
}

/** One run, in full. */
export interface RunRecord {
  id: string;
  name: string;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  status: RunStatus;
  /** Why the run is in its status (the error, the stop request, the interruption); null when nothing to say. */
  statusReason: string | null;
  arch: Architecture;
  config: RunConfig;
  dataset: RunDataset;
  split: RunSplit;
  seed: number;
  /** Null until the trainer has chosen a backend. */
  backend: RunBackend | null;
  versions: RunVersions;
  host: RunHost;
  epochsDone: number;
  best: RunBest | null;
  lastCheckpoint: RunCheckpointPosition | null;
  /** Training time, pauses excluded. */
  durationMs: number;
  /** What its predictions apply, chosen on the validation set when training ended; null until then (and for older runs). */
  postprocess: RunPostprocess | null;
  /** The score on its held-out test images with that post-processing; null without a test split or before it is chosen. */
  test: RunTestResult | null;
  /** The process that owns a running or paused run. */
  pid?: number;
  /** The experiment that planned the run (shared/experiments); absent for runs made otherwise. */
  experiment?: ExperimentTag;
}

/**
 * A run as listed: everything but the architecture and the split, which are large and live in the
 * run's folder; their headline figures stand in for them.
 */
export interface RunSummary extends Omit<RunRecord, 'arch' | 'split'> {
  archName: string;
  trainCount: number;
  valCount: number;
}

/** What a new run is made from. */
export interface RunInit {
  name: string;
  arch: Architecture;
  config: RunConfig;
  dataset: RunDataset;
  /** `test` left out: no test set. */
  split: Omit<RunSplit, 'test'> & Partial<Pick<RunSplit, 'test'>>;
  versions: RunVersions;
  /** Default: `config.seed`. */
  seed?: number;
  /** Default: `queued`. */
  status?: RunStatus;
  /** Default: this machine. */
  host?: RunHost;
  backend?: RunBackend | null;
  /** The owning process, for a run created already running. */
  pid?: number;
  startedAt?: number | null;
  /** The experiment that planned it; fixed when the run is created. */
  experiment?: ExperimentTag;
}

/** The fields of a run that change while it lives. Absent fields are left as they are. */
export interface RunPatch {
  name?: string;
  status?: RunStatus;
  statusReason?: string | null;
  startedAt?: number | null;
  endedAt?: number | null;
  epochsDone?: number;
  best?: RunBest | null;
  lastCheckpoint?: RunCheckpointPosition | null;
  durationMs?: number;
  backend?: RunBackend | null;
  versions?: RunVersions;
  postprocess?: RunPostprocess | null;
  test?: RunTestResult | null;
  /** The owning process; null releases it. A run moved to a final status is released automatically. */
  pid?: number | null;
}

/** Columns a run list can be ordered by. */
export const RUN_ORDERS = ['createdAt', 'startedAt', 'endedAt', 'bestScore', 'name', 'status', 'epochsDone', 'durationMs'] as const;
/** A run list order, see {@link RUN_ORDERS}. */
export type RunOrder = (typeof RUN_ORDERS)[number];

/** A run list query. Default: newest first, no limit. */
export interface RunListQuery {
  status?: RunStatus | RunStatus[];
  limit?: number;
  offset?: number;
  orderBy?: RunOrder;
  /** Default: true for every order but `name`. Runs without a best score come last either way. */
  desc?: boolean;
}

/** One training step. NaN stands for a value that could not be computed (a diverged loss). */
export interface BatchMetric {
  /** Global step, from 0, unique within the run. */
  step: number;
  epoch: number;
  /** Batch within the epoch. */
  batch: number;
  loss: number;
  iou: number;
  lr: number;
  imagesPerSec: number;
  time: number;
}

/** One finished epoch. */
export interface EpochMetric {
  epoch: number;
  /** Global step at the end of the epoch. */
  step: number;
  trainLoss: number;
  trainIoU: number;
  valLoss: number;
  /** Mean over validation images of the per-image IoU. */
  valIoU: number;
  /** IoU over all validation pixels together. */
  valPixelIoU: number;
  /** The selection score (the competition's mean precision over IoU thresholds). */
  valScore: number;
  /** The probability threshold that gave `valScore`. */
  bestThreshold: number;
  lr: number;
  imagesPerSec: number;
  epochSeconds: number;
  time: number;
  /** Further figures by name. */
  extra?: Record<string, number>;
}

/** Something that happened in a run (started, paused, lr reduced, checkpoint saved, error...). */
export interface RunEvent {
  time: number;
  step: number;
  epoch: number;
  type: string;
  message: string;
  data?: Record<string, unknown>;
}

/** A named float32 array, as weights and optimizer slots are checkpointed. */
export interface CheckpointTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Everything needed to resume a run exactly. */
export interface Checkpoint {
  epoch: number;
  step: number;
  tensors: CheckpointTensor[];
  optimizer?: { name: string; tensors: CheckpointTensor[]; iterations: number };
  /** Random generator state. */
  rng?: number[];
  /** The trainer's state: schedule and early-stop counters, learning rate, normalisation (see training/checkpointExtra.ts). */
  extra?: CheckpointExtra;
}

/** The checkpoints a run keeps: the last, the best, and the one before a loss jump (the note's "wrong step"). */
export type CheckpointKind = 'last' | 'best' | 'before-jump';

/** Stored validation predictions of one epoch. */
export interface RunPredictions {
  epoch: number;
  ids: string[];
  /** N*H*W probabilities, each `round(p * 255)`, image after image, row-major. */
  probs: Uint8Array;
  height: number;
  width: number;
}
