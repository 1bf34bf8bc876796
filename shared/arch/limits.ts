/**
 * Bounds on every size in a design. They exist to catch typos and corrupt files (a kernel of 300,
 * a million blocks) before anything tries to allocate a model; they are far above what the note
 * or a desktop machine can use.
 */
export const LIMITS = {
  blocks: { min: 1, max: 10_000 },
  kernel: { min: 1, max: 15 },
  filters: { min: 1, max: 4096 },
  channels: { min: 1, max: 64 },
  size: { min: 1, max: 4096 },
  convs: { min: 0, max: 16 },
  stride: { min: 1, max: 4 },
  /** Hidden units of a salt head's dense layer. */
  hidden: { min: 1, max: 4096 },
  /** A salt head's loss weight: above 0 (a head that never learns votes at random), at most 10. */
  lossWeight: { min: 0, max: 10 },
} as const;

/** Node ids double as weight names, so they stay filename- and Keras-safe. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9_-]+$/;
/** Long enough for descriptive ids, short enough to stay readable in messages. */
export const NODE_ID_MAX_LENGTH = 64;
