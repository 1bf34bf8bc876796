/**
 * A run's recipe in words, the same everywhere it is summarised (run details, the setup form's
 * collapsed sections): the loss with its weight, the augmentation with its units, where the weights
 * started and how predictions are to be made. The post-processing a run chose is worded by
 * shared/runs/postprocess.ts's describePostprocess, the one wording of a rule. Pure.
 */
import type { RunConfig } from '../../shared/runs/request';

/** A share as a whole percentage ("10%"), one decimal where it is not whole. */
function pct(v: number): string {
  const p = v * 100;
  return `${Number.isInteger(Math.round(p * 10) / 10) ? Math.round(p) : p.toFixed(1)}%`;
}

/** "bce-lovasz: BCE + 1 × Lovász", "per-image-iou (eps 0.62)", "bce". */
export function lossText(loss: RunConfig['loss']): string {
  if (loss.name === 'bce-lovasz') return `bce-lovasz: BCE + ${loss.lovaszWeight} × Lovász`;
  return loss.eps === undefined ? loss.name : `${loss.name} (eps ${loss.eps})`;
}

/** "cosine to 0 over the time budget", "step ×0.1 every 3 epochs", "plateau ×0.5 after 3 epochs without gain, down to 0". */
export function scheduleText(cfg: Pick<RunConfig, 'schedule' | 'maxMinutes'>): string {
  const s = cfg.schedule;
  switch (s.kind) {
    case 'constant':
      return 'constant';
    case 'step':
      return `step ×${s.factor} every ${s.every} epochs`;
    case 'cosine':
      return `cosine to ${s.minLr}${s.warmupEpochs ? ` after ${s.warmupEpochs} warm-up epochs` : ''}${cfg.maxMinutes !== undefined ? ' over the time budget' : ''}`;
    case 'plateau':
      return `plateau ×${s.factor} after ${s.patience} epochs without gain, down to ${s.minLr}`;
  }
}

/** "h-flip · shift ±10% of the side · scale ±10% · brightness ±5% of the range · contrast ±10%", or "none". */
export function augmentText(a: RunConfig['augment']): string {
  const parts = [
    a.hflip ? 'h-flip' : '',
    a.vflip ? 'v-flip' : '',
    a.shift ? `shift ±${pct(a.shift)} of the side` : '',
    a.scale ? `scale ±${pct(a.scale)}` : '',
    a.brightness ? `brightness ±${pct(a.brightness)} of the range` : '',
    a.contrast ? `contrast ±${pct(a.contrast)}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(' · ') : 'none';
}

/**
 * "flip TTA · up to 3 snapshots · threshold and min area tuned on validation", or with fixed values
 * "threshold 0.4 (fixed) · min area 20 px (fixed)".
 */
export function inferenceText(i: RunConfig['inference']): string {
  const parts = [i.tta ? 'flip TTA' : 'no TTA', i.snapshots > 1 ? `up to ${i.snapshots} snapshots` : 'single checkpoint'];
  if (i.threshold === undefined && i.minArea === undefined) parts.push('threshold and min area tuned on validation');
  else {
    parts.push(i.threshold === undefined ? 'threshold tuned on validation' : `threshold ${i.threshold} (fixed)`);
    parts.push(i.minArea === undefined ? 'min area tuned on validation' : `min area ${i.minArea} px (fixed)`);
  }
  return parts.join(' · ');
}

/** Where a run's weights started: "fresh, glorot_normal", or "the best checkpoint of <name>". */
export function initFromText(cfg: Pick<RunConfig, 'initFrom' | 'init'>, nameOf: (id: string) => string | null): string {
  const from = cfg.initFrom;
  if (!from) return `fresh, ${cfg.init}`;
  return `the ${from.checkpoint} checkpoint of ${nameOf(from.runId) ?? `run ${from.runId}`}`;
}

/** "empty images 0.9500 · salt images 0.5700", a kind left out when the set has none of it. */
export function byKindText(empty: number | null, salt: number | null): string {
  return [empty === null ? '' : `empty images ${empty.toFixed(4)}`, salt === null ? '' : `salt images ${salt.toFixed(4)}`].filter(Boolean).join(' · ');
}
