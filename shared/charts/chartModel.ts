/**
 * A chart as plain data: its lines, bands and markers, before any chart library sees it. The
 * monitor, the comparison and the experiment reports build these; lineChartOption.ts turns one
 * into the ECharts option that the app draws on canvas and a report renders to SVG.
 */

/** What the x axis counts. */
export type XAxisMode = 'step' | 'epoch' | 'time';

/** How a line is drawn: faint raw steps, a smoothed line, epoch points joined, or points alone. */
export type LineStyle = 'raw' | 'smoothed' | 'epoch' | 'points';

/** One line: its points as [x, y] pairs (x in ms since the epoch on a time axis). */
export interface ChartLine {
  name: string;
  style: LineStyle;
  points: [number, number][];
  /** Points in the full data before downsampling. */
  total: number;
}

/** A vertical marker at `x`, with what happened and why it matters. */
export interface ChartMarker {
  x: number;
  kind: string;
  label: string;
  /** The event's own message and the explanation. */
  detail: string;
}

/** A mean ± std band: its mean is one of the lines, this is the shaded area around it. */
export interface ChartBand {
  name: string;
  /** Points [x, lower] and [x, upper], at the same xs. */
  lower: [number, number][];
  upper: [number, number][];
  /** The index of the line whose colour the band takes. */
  lineIndex: number;
}

/** One chart. */
export interface ChartModel {
  id: string;
  title: string;
  yLog: boolean;
  /** What the x axis counts; `time` draws a time axis. */
  xAxis: XAxisMode;
  /** The x axis title when it counts something else than steps, epochs or time. */
  xTitle?: string;
  lines: ChartLine[];
  markers: ChartMarker[];
  bands?: ChartBand[];
}

/** The x axis title for a mode. */
export function xAxisTitle(mode: XAxisMode): string {
  return mode === 'step' ? 'step' : mode === 'epoch' ? 'epoch' : 'wall time';
}
