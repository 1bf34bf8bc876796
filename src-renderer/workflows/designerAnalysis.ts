/**
 * The "Initialisation analysis" panel's data: the analytical summand stds of the current design
 * under several configurations (the design as it is, other initializers, other BN placements),
 * ready to draw as lines, with the U-Net levels marked. No chart library here, only numbers.
 */
import { analyzeInit } from '../../shared/analysis/initAnalysis';
import { stridedKernels, type StridedKernel } from '../../shared/analysis/checkerboard';
import { bnPlacementOf, withBnPlacement, withInitializer } from '../../shared/arch/placement';
import type { Architecture, BnPlacement, Initializer } from '../../shared/arch/types';
import { levelMarks, summandSeries, type AnalysisSeries, type LevelMark } from '../../shared/charts/summandChartOption';

/** A variant of the design to analyse. */
export type AnalysisConfig =
  | { kind: 'as-designed' }
  | { kind: 'init'; init: Initializer }
  | { kind: 'bn'; placement: BnPlacement };

/** The variants offered, in the panel's order. */
export const ANALYSIS_CONFIGS: readonly AnalysisConfig[] = [
  { kind: 'as-designed' },
  { kind: 'init', init: 'glorot_normal' },
  { kind: 'init', init: 'glorot_uniform' },
  { kind: 'init', init: 'he_normal' },
  { kind: 'init', init: 'he_uniform' },
  { kind: 'bn', placement: 'head' },
  { kind: 'bn', placement: 'samplers' },
  { kind: 'bn', placement: 'blocks' },
];

/** A stable key of a configuration, for checkboxes and series ids. */
export function configKey(c: AnalysisConfig): string {
  return c.kind === 'as-designed' ? 'as-designed' : c.kind === 'init' ? `init:${c.init}` : `bn:${c.placement}`;
}

const BN_TITLES: Readonly<Record<BnPlacement, string>> = {
  head: 'BN at head only',
  samplers: 'BN in samplers',
  blocks: 'BN after blocks',
};

/** A configuration's legend title. */
export function configTitle(c: AnalysisConfig): string {
  if (c.kind === 'as-designed') return 'as designed';
  return c.kind === 'init' ? c.init : BN_TITLES[c.placement];
}

/** The design changed as configuration `c` says. */
export function configured(arch: Architecture, c: AnalysisConfig): Architecture {
  if (c.kind === 'as-designed') return arch;
  return c.kind === 'init' ? withInitializer(arch, c.init) : withBnPlacement(arch, c.placement);
}

/** The default choice: the design, and the variant the note contrasts it with. */
export function defaultConfigs(arch: Architecture): string[] {
  const other: Initializer = arch.init.startsWith('he') ? 'glorot_normal' : 'he_normal';
  return ['as-designed', `init:${other}`];
}

// The chart's lines and level marks are the shared summand chart's (the experiment reports draw it too).
export type { AnalysisSeries, LevelMark } from '../../shared/charts/summandChartOption';

/** The panel's data, or why there is none. */
export type AnalysisView =
  | { ok: true; series: AnalysisSeries[]; marks: LevelMark[]; summands: number; strided: StridedKernel[]; notes: string[] }
  | { ok: false; message: string };

/**
 * Analyses each chosen configuration (keys from {@link configKey}); a configuration whose variant
 * cannot be analysed is left out with a note. The design itself must be valid.
 */
export function analysisView(arch: Architecture, chosen: readonly string[]): AnalysisView {
  const base = analyzeInit(arch);
  if (!base.ok) return { ok: false, message: `The design has ${base.errors.length} problem${base.errors.length === 1 ? '' : 's'}; fix ${base.errors.length === 1 ? 'it' : 'them'} to see its analysis.` };
  const series: AnalysisSeries[] = [];
  const notes: string[] = [];
  const current = bnPlacementOf(arch);
  for (const c of ANALYSIS_CONFIGS) {
    const key = configKey(c);
    if (!chosen.includes(key)) continue;
    const same = (c.kind === 'init' && c.init === arch.init && arch.nodes.every((n) => !('init' in n) || n.init === undefined)) || (c.kind === 'bn' && c.placement === current);
    if (same) notes.push(`${configTitle(c)} is the design as it is.`);
    const r = c.kind === 'as-designed' ? base : analyzeInit(configured(arch, c));
    if (!r.ok) {
      notes.push(`${configTitle(c)}: ${r.errors[0]?.message ?? 'cannot be analysed'}`);
      continue;
    }
    series.push(...summandSeries(key, configTitle(c), r.analysis.summands));
  }
  return { ok: true, series, marks: levelMarks(base.analysis.summands), summands: base.analysis.summands.length, strided: stridedKernels(arch), notes };
}
