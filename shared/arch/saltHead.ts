/**
 * The optional "salt present" head (see {@link SaltHeadNode}): its defaults, and the edit that puts
 * one on a design's bottom level. Validation of where it may read lives with the other rules in
 * `validate.ts`; its vote on empty images (the salt cut) with the other post-processing, in
 * `shared/metrics/postprocess.ts`.
 */
import { LAYOUT_STEP_Y } from './layout';
import { summarize } from './summary';
import type { Architecture, SaltHeadNode } from './types';

/**
 * A new salt head's loss weight. The mask loss (BCE + Lovász, about 1 at the start) stays the main
 * objective; the classifier's cross-entropy (0.69 at the start) is an auxiliary signal for the
 * encoder at a tenth of its size, as in the TGS solutions with a classification branch.
 */
export const DEFAULT_SALT_LOSS_WEIGHT = 0.1;

/** The design's salt head, or null when it has none. */
export function saltHeadOf(arch: Architecture): SaltHeadNode | null {
  for (const n of arch.nodes) if (n.kind === 'saltHead') return n;
  return null;
}

/** What {@link withSaltHead} adds. */
export interface SaltHeadOptions {
  /** Default `salt`. */
  id?: string;
  /** Default {@link DEFAULT_SALT_LOSS_WEIGHT}. */
  lossWeight?: number;
  hidden?: number;
}

/**
 * `arch` with a salt head reading its bottom resnet stack (the `bottom` level of the summary), drawn
 * below that stack. Throws with the reason when the design is invalid, has no bottom level (no
 * downsampler) or already has a salt head, or when the id is taken.
 */
export function withSaltHead(arch: Architecture, options: SaltHeadOptions = {}): Architecture {
  const existing = saltHeadOf(arch);
  if (existing) throw new Error(`design "${arch.name}" already has a salt head ("${existing.id}")`);
  const id = options.id ?? 'salt';
  if (arch.nodes.some((n) => n.id === id)) throw new Error(`design "${arch.name}": id "${id}" is already used`);
  const s = summarize(arch);
  if (!s.ok) throw new Error(`design "${arch.name}" is invalid: ${s.errors.map((e) => e.message).join('; ')}`);
  const bottom = s.summary.levels.find((l) => l.side === 'bottom');
  if (!bottom) throw new Error(`design "${arch.name}" has no bottom level (no downsampler) for a salt head to read`);
  const from = arch.nodes.find((n) => n.id === bottom.nodeId);
  const node: SaltHeadNode = { id, kind: 'saltHead', lossWeight: options.lossWeight ?? DEFAULT_SALT_LOSS_WEIGHT };
  if (options.hidden !== undefined) node.hidden = options.hidden;
  if (from?.position) node.position = { x: from.position.x, y: from.position.y + LAYOUT_STEP_Y };
  return { ...arch, nodes: [...arch.nodes, node], edges: [...arch.edges, { from: bottom.nodeId, to: id }] };
}

/**
 * Why a run's salt head weight cannot apply to `arch`, or null when it can: a design without a salt
 * head has no term to weigh (the setting would silently do nothing).
 */
export function saltWeightProblem(arch: Architecture): string | null {
  if (saltHeadOf(arch)) return null;
  return `design "${arch.name}" has no salt head ("Salt present" node) for it to weigh: use a design with one, e.g. the small-salt preset, or leave it out`;
}

/**
 * `arch` with its salt head's loss weight set to `weight` (a run's `saltHeadWeight`), so the design a run
 * stores is the one it trains; `arch` itself when `weight` is undefined. Throws with
 * {@link saltWeightProblem}'s reason for a design without a salt head.
 */
export function withSaltLossWeight(arch: Architecture, weight: number | undefined): Architecture {
  if (weight === undefined) return arch;
  const problem = saltWeightProblem(arch);
  if (problem !== null) throw new Error(problem);
  return { ...arch, nodes: arch.nodes.map((n) => (n.kind === 'saltHead' ? { ...n, lossWeight: weight } : n)) };
}
