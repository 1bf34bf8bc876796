/**
 * "Deep against wide": what a design should cost to train, by two rules, beside what it measured.
 * - Multiply-adds: the sum over convs of k*k*C_in*C_out*H*W (the design summary's count);
 * - the note's rule, after [TimeComplexity]: time per epoch proportional to channels^2 x depth,
 *   here the top level's channels squared times the number of conv layers.
 * The note found both too optimistic for the deeper net: Figure 3 (412 layers, 12 channels) took
 * 12.5 min per epoch against Figure 2's 10.5 (272 layers, 16 channels).
 */
import type { ArchSummary } from '../arch/summary';

/** The predicted cost of one design. */
export interface DesignCost {
  name: string;
  convLayers: number;
  /** Channels of the top level (the first resnet stack). */
  channels: number;
  macsPerImage: number;
  /** channels^2 x conv layers. */
  noteRule: number;
}

/** The predicted cost of a summarised design. */
export function designCost(s: ArchSummary): DesignCost {
  const channels = s.levels[0]?.channels ?? s.perNode.find((n) => n.kind === 'conv')?.outShape.c ?? 0;
  return { name: s.name, convLayers: s.convLayers, channels, macsPerImage: s.macsPerImage, noteRule: channels * channels * s.convLayers };
}

/** One design next to the first of a comparison: predicted and measured costs, relative to it. */
export interface CostComparison extends DesignCost {
  macsRelative: number;
  noteRelative: number;
  /** Measured seconds per epoch (or per image), when known. */
  measured?: number;
  measuredRelative?: number;
}

/**
 * Each design's costs relative to the first one's. `measured` (seconds per epoch, or per image:
 * any unit, the same for all) is optional per design; relative figures need it for the first too.
 */
export function compareCosts(designs: readonly { summary: ArchSummary; measured?: number }[]): CostComparison[] {
  const first = designs[0];
  if (!first) return [];
  const base = designCost(first.summary);
  return designs.map((d) => {
    const c = designCost(d.summary);
    const row: CostComparison = {
      ...c,
      macsRelative: base.macsPerImage > 0 ? c.macsPerImage / base.macsPerImage : NaN,
      noteRelative: base.noteRule > 0 ? c.noteRule / base.noteRule : NaN,
    };
    if (d.measured !== undefined) {
      row.measured = d.measured;
      if (first.measured !== undefined && first.measured > 0) row.measuredRelative = d.measured / first.measured;
    }
    return row;
  });
}
