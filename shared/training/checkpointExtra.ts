/**
 * The trainer's own state in a checkpoint (`Checkpoint.extra`), beside the weights and the
 * optimizer slots: what a resume needs to continue exactly where the run was. Read back through
 * {@link CHECKPOINT_EXTRA_SCHEMA}, which also reads checkpoints written before it existed.
 */
import { z } from 'zod';

/**
 * A best score as JSON keeps it: JSON has no -Infinity or NaN (a run's first epoch starts from
 * -Infinity), so those come back as null and are read as -Infinity: "no score to beat yet".
 */
const score = z
  .number()
  .nullable()
  .transform((v) => v ?? -Infinity);

export const CHECKPOINT_EXTRA_SCHEMA = z.object({
  /** Reduce-on-plateau's state (null: the run has another schedule). */
  plateau: z.object({ best: score, wait: z.number().int().min(0), lr: z.number() }).nullable().optional(),
  /** Early stopping's state (null: the run does not stop early). */
  early: z.object({ best: score, wait: z.number().int().min(0) }).nullable().optional(),
  /** The learning rate in use when the checkpoint was saved. */
  lr: z.number().optional(),
  /** The normalisation of the inputs, from the training split. */
  norm: z.object({ mean: z.number(), std: z.number() }).optional(),
  /** The factor on the configured learning rate after a rewind to before a loss jump (see runs/rewind.ts). */
  lrScale: z.number().positive().optional(),
});

/** The trainer's state in a checkpoint, as written. */
export type CheckpointExtra = z.input<typeof CHECKPOINT_EXTRA_SCHEMA>;
/** The trainer's state in a checkpoint, as read back. */
export type CheckpointExtraRead = z.output<typeof CHECKPOINT_EXTRA_SCHEMA>;
