/**
 * BN health: how far each batch normalisation of a design is from behaving the same in training
 * and in inference. Training normalises by the batch's own statistics, inference by the moving
 * averages; when the two drift apart, the validated (inference-mode) net is not the net that was
 * trained. Measured once per epoch by the trainer (src-main/training/analysis/bnHealth.ts) and
 * stored as a `bn-health` run event; this module holds what every reader shares: which BNs are
 * measured, the figures, and their parsing.
 */
import type { Architecture } from '../arch/types';
import type { RunEvent } from '../runs/types';

/** The event type the trainer writes once per epoch. */
export const BN_HEALTH_EVENT = 'bn-health';

/**
 * A design node that places BNs on the main path, with the model's names of those BN layers.
 * These are the BNs the note's placements differ by: standalone BN nodes, samplers with a BN, the
 * head's BN, and a resnet stack's BN after every block (one layer per block, measured together).
 * The two pre-activation BNs inside each resnet block are left out: every design has them, so they
 * do not tell placements apart, and a Figure 2 net has over a hundred.
 */
export interface BnSite {
  nodeId: string;
  kind: 'bn' | 'down' | 'up' | 'head' | 'resnet';
  /** BN layer names as the model names them (`up0/bn`, `e1/block3/bn_out`). */
  layers: string[];
}

/** Every BN site of a design, in design order. */
export function bnSites(arch: Architecture): BnSite[] {
  const out: BnSite[] = [];
  for (const n of arch.nodes) {
    if (n.kind === 'bn' || n.kind === 'head') out.push({ nodeId: n.id, kind: n.kind, layers: [`${n.id}/bn`] });
    else if ((n.kind === 'down' || n.kind === 'up') && n.bn !== 'none') out.push({ nodeId: n.id, kind: n.kind, layers: [`${n.id}/bn`] });
    else if (n.kind === 'resnet' && n.bnAfterBlock) {
      out.push({ nodeId: n.id, kind: 'resnet', layers: Array.from({ length: n.blocks }, (_, b) => `${n.id}/block${b}/bn_out`) });
    }
  }
  return out;
}

/**
 * One BN site's health at an epoch end. Drift figures compare, per channel, the statistics of a
 * fixed training batch in training mode (mean m_b, variance v_b: what training normalises by) with
 * the moving statistics (m, v: what inference normalises by), then average over channels and, for
 * a resnet stack, over its blocks' BNs:
 * - `meanShift` = mean |m_b - m| / sqrt(v + eps): how far inference shifts a normalised activation,
 *   in units of its std. 0 is healthy; 0.1 is a tenth of a std.
 * - `varLogRatio` = mean |ln((v_b + eps) / (v + eps))|: how far inference scales it; ln 2 = 0.69 is a
 *   factor 2 in variance (1.41 in std). Absolute values, so channels drifting both ways do not cancel.
 * The gap runs the whole net on a fixed validation batch in both modes:
 * - `gap` = RMS(y_train - y_infer) / RMS(y_train) of the node's output. It includes what every BN
 *   upstream changed, so along the path it shows where the mismatch grows; the head's gap is what
 *   the prediction itself suffers.
 * One batch has its own sampling noise: a few hundredths of drift is the floor, not a problem.
 */
export interface BnHealth {
  nodeId: string;
  kind: BnSite['kind'];
  /** BN layers measured (more than one for a resnet stack with a BN after every block). */
  layers: number;
  meanShift: number;
  varLogRatio: number;
  gap: number;
}

/** What a `bn-health` event's data holds. */
export interface BnHealthData {
  nodes: BnHealth[];
  /** Images of the fixed training batch (the drift) and of the fixed validation batch (the gap). */
  trainImages: number;
  valImages: number;
  /** Wall time the measurement took, in seconds. */
  seconds: number;
}

const KINDS: readonly string[] = ['bn', 'down', 'up', 'head', 'resnet'];

/** A stored figure: a number, or null where JSON kept a NaN (a figure that could not be measured). */
function num(v: unknown): number | null {
  if (v === null) return Number.NaN;
  return typeof v === 'number' ? v : null;
}

/** One stored row, or null when it is not one (a value that crossed a process or a file is unknown until checked). */
function parseRow(raw: unknown): BnHealth | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const nodeId = r['nodeId'];
  const kind = r['kind'];
  const layers = num(r['layers']);
  const meanShift = num(r['meanShift']);
  const varLogRatio = num(r['varLogRatio']);
  const gap = num(r['gap']);
  if (typeof nodeId !== 'string' || typeof kind !== 'string' || !KINDS.includes(kind)) return null;
  if (layers === null || meanShift === null || varLogRatio === null || gap === null) return null;
  return { nodeId, kind: kind as BnHealth['kind'], layers, meanShift, varLogRatio, gap };
}

/** The rows of a `bn-health` event (rows that do not parse are skipped), or null for any other event. */
export function bnHealthOf(e: Pick<RunEvent, 'type' | 'data'>): BnHealth[] | null {
  if (e.type !== BN_HEALTH_EVENT) return null;
  const nodes = e.data?.['nodes'];
  if (!Array.isArray(nodes)) return [];
  return nodes.map(parseRow).filter((r): r is BnHealth => r !== null);
}

/** The one-line summary the event carries: the largest gap and drift, and where. */
export function bnHealthMessage(epoch: number, nodes: readonly BnHealth[]): string {
  if (nodes.length === 0) return `BN health of epoch ${epoch + 1}: the design has no BN to measure`;
  const worst = (f: (h: BnHealth) => number) => nodes.reduce((a, b) => (f(b) > f(a) ? b : a));
  const g = worst((h) => h.gap);
  const m = worst((h) => h.meanShift);
  return `BN health of epoch ${epoch + 1}: largest train/inference gap ${g.gap.toFixed(3)} at ${g.nodeId}, largest mean drift ${m.meanShift.toFixed(3)} std at ${m.nodeId}`;
}
