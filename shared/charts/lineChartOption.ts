/**
 * The ECharts option of a line chart (a ChartModel): lines, mean ± std bands and event markers.
 * The monitor and the comparison draw it on canvas; an experiment report renders the same option
 * to SVG. Plain data (and a few formatters): no chart library is imported here.
 */
import type { ChartModel } from './chartModel';
import { xAxisTitle } from './chartModel';
import { formatChartNumber as fmt, seriesColor, type ChartColors, type ChartOption } from './colors';

/** Marker colours by event kind. */
export const MARKER_COLORS: Readonly<Record<string, string>> = {
  best: '#15803d',
  checkpoint: '#8a94a6',
  'lr-reduced': '#0e7490',
  'early-stop': '#b45309',
  'time-limit': '#b45309',
  plateau: '#7c3aed',
  'wrong-step': '#b91c1c',
};

/** How the option is used. */
export interface LineChartOptions {
  /**
   * Default true: tooltips and zoom (wheel and slider), for a chart on screen. False for a static
   * figure (a report's SVG): no slider is drawn and the plot takes its room.
   */
  interactive?: boolean;
}

function escape(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}

/** The ECharts option that draws `m` in colours `c`. */
export function lineChartOption(m: ChartModel, c: ChartColors, opts: LineChartOptions = {}): ChartOption {
  const interactive = opts.interactive ?? true;
  const color = (i: number) => seriesColor(c, i);
  const series: Record<string, unknown>[] = m.lines.map((l, i) => ({
    type: l.style === 'points' ? 'scatter' : 'line',
    name: l.name,
    data: l.points,
    showSymbol: l.style === 'epoch',
    symbolSize: l.style === 'points' ? 9 : 5,
    animation: false,
    connectNulls: false,
    color: color(i),
    lineStyle: { width: l.style === 'raw' ? 1 : 2, opacity: l.style === 'raw' ? 0.35 : 1 },
    z: l.style === 'raw' ? 1 : 2,
  }));
  (m.bands ?? []).forEach((b, i) => {
    const stack = `band-${i}`;
    const width = b.upper.map(([x, y], k) => [x, y - (b.lower[k]?.[1] ?? y)]);
    series.push(
      { type: 'line', name: `${b.name} lower`, data: b.lower, stack, symbol: 'none', lineStyle: { opacity: 0 }, tooltip: { show: false }, animation: false, silent: true },
      {
        type: 'line',
        name: `${b.name} ± 1 std`,
        data: width,
        stack,
        symbol: 'none',
        lineStyle: { opacity: 0 },
        areaStyle: { color: color(b.lineIndex), opacity: 0.18 },
        tooltip: { show: false },
        animation: false,
        silent: true,
      },
    );
  });
  const first = series[0];
  if (first && m.markers.length) {
    first['markLine'] = {
      symbol: 'none',
      animation: false,
      tooltip: { trigger: 'item', formatter: (p: { data?: { detail?: string } }) => escape(p.data?.detail ?? '') },
      label: { position: 'insideEndTop', fontSize: 10, color: c.muted, formatter: (p: { name?: string }) => p.name ?? '' },
      data: m.markers.map((mk) => ({
        xAxis: mk.x,
        name: mk.label,
        detail: mk.detail,
        lineStyle: { color: MARKER_COLORS[mk.kind] ?? c.muted, type: mk.kind === 'best' ? 'solid' : 'dashed', width: mk.kind === 'best' ? 1.5 : 1 },
      })),
    };
  }
  return {
    backgroundColor: 'transparent',
    textStyle: { color: c.text, fontSize: 11 },
    animation: false,
    grid: { left: 58, right: 18, top: 34, bottom: interactive ? 52 : 36 },
    legend: { type: interactive ? 'scroll' : 'plain', top: 4, left: 8, right: 8, textStyle: { color: c.muted, fontSize: 11 }, itemHeight: 8, data: m.lines.map((l) => l.name) },
    ...(interactive
      ? {
          tooltip: {
            trigger: m.lines.some((l) => l.style === 'points') ? 'item' : 'axis',
            confine: true,
            backgroundColor: c.panel,
            borderColor: c.border,
            textStyle: { color: c.text, fontSize: 11 },
            valueFormatter: (v: unknown) => (typeof v === 'number' ? fmt(v) : String(v)),
          },
          dataZoom: [
            { type: 'inside', xAxisIndex: 0, filterMode: 'none' },
            { type: 'slider', xAxisIndex: 0, height: 12, bottom: 6, filterMode: 'none', showDetail: false, borderColor: c.border },
          ],
        }
      : {}),
    xAxis: {
      type: m.xAxis === 'time' ? 'time' : 'value',
      name: m.xTitle ?? xAxisTitle(m.xAxis),
      nameLocation: 'middle',
      nameGap: 22,
      scale: true,
      // Epochs are whole: no tick at epoch 1.5.
      ...(m.xAxis === 'epoch' ? { minInterval: 1 } : {}),
      axisLine: { lineStyle: { color: c.border } },
      axisLabel: { color: c.muted },
      splitLine: { show: false },
    },
    yAxis: {
      type: m.yLog ? 'log' : 'value',
      scale: true,
      axisLabel: { color: c.muted, formatter: (v: number) => fmt(v) },
      splitLine: { lineStyle: { color: c.border, opacity: 0.6 } },
    },
    series,
  };
}
