/**
 * Seed groups as a chart: each group's mean of a per-epoch metric, with a ± 1 std band over its
 * runs. The comparison view and the experiment reports both build their band charts here.
 */
import { seedBands } from '../metrics/seedGroups';
import type { EpochMetric } from '../runs/types';
import type { ChartBand, ChartLine, ChartModel } from './chartModel';

/** A run's metric by epoch index (index = epoch number; epochs missing in the record are NaN). */
export function metricByEpoch(epochs: readonly EpochMetric[], value: (e: EpochMetric) => number): number[] {
  const out: number[] = [];
  for (const e of epochs) {
    while (out.length < e.epoch) out.push(Number.NaN);
    out[e.epoch] = value(e);
  }
  return out;
}

/** One group: its label and each run's series by epoch index. */
export interface BandGroup {
  label: string;
  series: readonly ArrayLike<number>[];
}

/**
 * One line per group (`label (n=runs)`, the mean at epochs 1, 2, ...) and, for groups of more than
 * one run, the band of mean ± 1 std in its colour.
 */
export function seedBandChart(groups: readonly BandGroup[], chart: { id: string; title: string }): ChartModel {
  const lines: ChartLine[] = [];
  const bands: ChartBand[] = [];
  for (const g of groups) {
    const band = seedBands(g.series);
    const name = `${g.label} (n=${g.series.length})`;
    lines.push({ name, style: 'epoch', points: band.map((p) => [p.step + 1, p.mean]), total: band.length });
    if (g.series.length > 1) {
      bands.push({ name, lineIndex: lines.length - 1, lower: band.map((p) => [p.step + 1, p.lower]), upper: band.map((p) => [p.step + 1, p.upper]) });
    }
  }
  return { id: chart.id, title: chart.title, yLog: false, xAxis: 'epoch', lines, markers: [], bands };
}
