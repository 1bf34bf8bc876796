/**
 * Messages between whoever drives a run (the CLI, the lab service) and the trainer process.
 * Plain data only: numbers and strings, never tensors.
 */
import type { DatasetSource } from '../data/types';
import type { BatchMetric, EpochMetric, RunEvent, RunStatus } from '../runs/types';

/** Where the trainer loads its data from; it loads it itself, so no images cross the boundary. */
export type DataSource = DatasetSource;

/** What a trainer process is asked to do. */
export interface TrainJob {
  runsDir: string;
  runId: string;
  data: DataSource;
  /** Continue from the run's last checkpoint instead of starting fresh. */
  resume: boolean;
}

/** Driver to trainer. */
export type TrainerCommand =
  | { type: 'start'; job: TrainJob }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop'; reason: string };

/** Trainer to driver. */
export type TrainerMessage =
  | { type: 'status'; runId: string; status: RunStatus; reason?: string }
  | { type: 'backend'; runId: string; name: string; detail: string; threads: number; skipped: { name: string; reason: string }[] }
  | { type: 'batch'; runId: string; metric: BatchMetric; batches: number; epochs: number; etaSeconds: number | null }
  | { type: 'epoch'; runId: string; metric: EpochMetric; epochs: number; etaSeconds: number | null }
  | { type: 'event'; runId: string; event: RunEvent }
  | { type: 'log'; runId: string; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'ended'; runId: string; status: RunStatus; reason?: string };

/** Narrows an unknown IPC payload to a TrainerMessage by its tag; the sender is our own process. */
export function isTrainerMessage(m: unknown): m is TrainerMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string' && typeof (m as { runId?: unknown }).runId === 'string';
}
