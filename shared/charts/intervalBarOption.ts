/**
 * The ECharts option of a bar chart with intervals: one bar per group at its mean, with its
 * confidence interval drawn as an error bar (a custom series). Experiment reports render it to SVG;
 * an app view drawing it needs ECharts' BarChart and CustomChart registered.
 */
import { formatChartNumber as fmt, seriesColor, type ChartColors, type ChartOption } from './colors';

/** One group's bar. */
export interface IntervalBar {
  name: string;
  /** The bar's height: the group's mean. */
  value: number;
  /** The interval drawn on it; null when there is none (a single run). */
  low: number | null;
  high: number | null;
  /** Runs behind the mean. */
  n: number;
}

/** The chart. */
export interface IntervalBarChart {
  id: string;
  title: string;
  /** The y axis title, e.g. `best val score`. */
  yTitle: string;
  bars: IntervalBar[];
}

/** How it is drawn. */
export interface IntervalBarOptions {
  /** Default true: a tooltip; false for a static figure. */
  interactive?: boolean;
}

/** What ECharts hands a custom series' renderItem, as far as it is used here. */
interface RenderApi {
  value(dim: number): number;
  coord(point: [number, number]): [number, number];
  size(size: [number, number]): [number, number];
}

/** The option drawing `m` in colours `c`. */
export function intervalBarOption(m: IntervalBarChart, c: ChartColors, opts: IntervalBarOptions = {}): ChartOption {
  const interactive = opts.interactive ?? true;
  const intervals = m.bars.flatMap((b, i) => (b.low !== null && b.high !== null ? [[i, b.low, b.high]] : []));
  const renderItem = (_params: unknown, api: RenderApi) => {
    const x = api.value(0);
    const lo = api.coord([x, api.value(1)]);
    const hi = api.coord([x, api.value(2)]);
    // Caps a third of the widest bar (56 px) at most; narrower when the categories are crowded.
    const half = Math.min(9, api.size([1, 0])[0] * 0.08);
    const style = { stroke: c.text, lineWidth: 1.5 };
    const seg = (x1: number, y1: number, x2: number, y2: number) => ({ type: 'line', shape: { x1, y1, x2, y2 }, style });
    return {
      type: 'group',
      children: [seg(lo[0], lo[1], hi[0], hi[1]), seg(lo[0] - half, lo[1], lo[0] + half, lo[1]), seg(hi[0] - half, hi[1], hi[0] + half, hi[1])],
    };
  };
  return {
    backgroundColor: 'transparent',
    textStyle: { color: c.text, fontSize: 11 },
    animation: false,
    grid: { left: 64, right: 18, top: 24, bottom: 48 },
    ...(interactive ? { tooltip: { trigger: 'item', valueFormatter: (v: unknown) => (typeof v === 'number' ? fmt(v) : String(v)) } } : {}),
    xAxis: {
      type: 'category',
      data: m.bars.map((b) => `${b.name}\n(n=${b.n})`),
      axisLine: { lineStyle: { color: c.border } },
      // Two lines (the group, its n): the line height keeps them apart.
      axisLabel: { color: c.muted, interval: 0, lineHeight: 14 },
    },
    yAxis: {
      type: 'value',
      name: m.yTitle,
      nameLocation: 'middle',
      nameGap: 46,
      axisLabel: { color: c.muted, formatter: (v: number) => fmt(v) },
      splitLine: { lineStyle: { color: c.border, opacity: 0.6 } },
    },
    series: [
      {
        type: 'bar',
        name: m.yTitle,
        barMaxWidth: 56,
        animation: false,
        data: m.bars.map((b, i) => ({ value: b.value, itemStyle: { color: seriesColor(c, i), opacity: 0.85 } })),
      },
      { type: 'custom', name: 'interval', animation: false, silent: true, renderItem, encode: { x: 0, y: [1, 2] }, data: intervals, z: 3 },
    ],
  };
}
