/**
 * What the run's events mean, for the markers on the charts and the event list: a short label and
 * an explanation shown on hover. Also the wrong-step event's offer, read from its data.
 */
import type { RunEvent } from '../../shared/runs/types';

/** A label and why the event matters. */
export interface EventInfo {
  label: string;
  explanation: string;
}

const INFO: Readonly<Record<string, EventInfo>> = {
  best: { label: 'best', explanation: 'The epoch with the highest validation competition score so far; its weights are kept as the "best" checkpoint.' },
  checkpoint: {
    label: 'ckpt',
    explanation: 'Weights, optimizer state and schedule were saved at the end of this epoch. Stopping keeps them; resuming continues from the last one.',
  },
  'lr-reduced': {
    label: 'lr↓',
    explanation: 'The plateau schedule cut the learning rate because the validation score stopped improving for its patience.',
  },
  'early-stop': { label: 'stop', explanation: 'Early stopping ended the run: the validation score had not improved for its patience.' },
  'time-limit': { label: 'time', explanation: 'The run reached its time limit and stopped with its checkpoints.' },
  plateau: {
    label: 'plateau',
    explanation:
      'The loss barely moved over the first batches. The note saw very deep nets start on such a plateau with an unfortunate initializer or BN placement; another initializer or BN at the samplers usually starts moving.',
  },
  'wrong-step': {
    label: 'jump',
    explanation:
      'The loss jumped and did not recover within the next epochs: one bad step threw the weights somewhere worse. The cure the note used: go back to the checkpoint before the jump and continue with a lower learning rate.',
  },
  'level-stats': {
    label: 'levels',
    explanation:
      'Per-level gradient norms and update/weight ratios at this epoch end (plotted below). A level whose gradient norm vanishes barely trains; update ratios far above 1e-3 mean very large steps.',
  },
  'bn-health': {
    label: 'BN',
    explanation:
      "Each BN node's drift between its moving statistics and a fixed training batch's, and the gap between its training-mode and inference-mode outputs on a fixed validation batch (plotted below). Large values mean the net validated and kept is not the net trained.",
  },
  paused: { label: 'pause', explanation: 'Training was paused between batches; the time paused is not counted.' },
  resumed: { label: 'resume', explanation: 'Training went on after a pause or from a checkpoint.' },
};

/** The events drawn as markers on the charts (pauses and the like only go in the list). */
const MARKED = new Set(['checkpoint', 'lr-reduced', 'early-stop', 'time-limit', 'plateau', 'wrong-step']);

/** True for event types marked on the charts. */
export function isMarkedEvent(type: string): boolean {
  return MARKED.has(type);
}

/** The label and explanation of an event type; unknown types read as themselves. */
export function eventInfo(type: string): EventInfo {
  return INFO[type] ?? { label: type, explanation: 'An event the trainer recorded.' };
}

/** The wrong-step offer: resume from the checkpoint of `fromEpoch` (-1: the start) at learning rate `lr`. */
export interface ResumeOffer {
  fromEpoch: number;
  lr: number;
  /** The learning rate's scale for the rewind; null when the event does not say. */
  lrFactor: number | null;
  /** Whether the checkpoint from before the jump was kept, so the run can be rewound to it. */
  canRewind: boolean;
}

/** The offer a `wrong-step` event carries, or null when it carries none (or is another event). */
export function resumeOffer(e: RunEvent): ResumeOffer | null {
  if (e.type !== 'wrong-step') return null;
  const r = e.data?.['resume'];
  if (typeof r !== 'object' || r === null) return null;
  const fromEpoch = (r as Record<string, unknown>)['fromEpoch'];
  const lr = (r as Record<string, unknown>)['lr'];
  if (typeof fromEpoch !== 'number' || typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0) return null;
  const factor = (r as Record<string, unknown>)['lrFactor'];
  const lrFactor = typeof factor === 'number' && factor > 0 && factor <= 1 ? factor : null;
  return { fromEpoch, lr, lrFactor, canRewind: (r as Record<string, unknown>)['checkpoint'] === 'before-jump' && lrFactor !== null };
}
