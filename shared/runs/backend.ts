/**
 * The backend a run trained on, as the trainer reports it, the store keeps it and the UI shows it: one
 * definition, the schema the store reads it back with, and its type inferred from that.
 */
import { z } from 'zod';

/** The backend that actually ran (or that a probe or warm-up got). */
export const runBackendSchema = z.object({
  /** e.g. `tfjs-node-gpu`, `wasm`. */
  name: z.string(),
  /** Free text, e.g. the GPU or the SIMD/threads support of wasm. */
  detail: z.string(),
  threads: z.number().int(),
});
/** The backend that actually ran. */
export type RunBackend = z.output<typeof runBackendSchema>;
