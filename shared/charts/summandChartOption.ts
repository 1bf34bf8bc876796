/**
 * The ECharts option of the initialisation analysis: the std of each summand s_i of the main path
 * against its index (its depth), one line per configuration and measure, with the U-Net levels
 * marked. The designer's panel draws it; an experiment report renders it to SVG per group.
 */
import type { SummandEntry } from '../analysis/summands';
import type { ChartColors, ChartOption } from './colors';

/** One line of the chart: one configuration, one measure. */
export interface AnalysisSeries {
  /** `config/measure`: series of one configuration share the part before the slash, and its colour. */
  id: string;
  name: string;
  measure: 'std' | 'stdAtOrigin';
  /** [summand index, std] pairs. */
  points: [number, number][];
}

/** Where the level of the summands changes: a sampler sits between. */
export interface LevelMark {
  /** The first summand index of the new level. */
  index: number;
  level: string;
}

/** What the chart draws. */
export interface SummandChart {
  series: AnalysisSeries[];
  marks: LevelMark[];
  /** Summands of the longest design, for the x axis. */
  summands: number;
}

/** The two lines of one configuration: each summand's std at the head's input and where it is created. */
export function summandSeries(key: string, title: string, summands: readonly SummandEntry[]): [AnalysisSeries, AnalysisSeries] {
  return [
    { id: `${key}/std`, name: `${title} · at head`, measure: 'std', points: summands.map((s) => [s.index, s.std]) },
    { id: `${key}/origin`, name: `${title} · at origin`, measure: 'stdAtOrigin', points: summands.map((s) => [s.index, s.stdAtOrigin]) },
  ];
}

/** The marks where the summands' level changes (a sampler sits between). */
export function levelMarks(summands: readonly SummandEntry[]): LevelMark[] {
  const marks: LevelMark[] = [];
  let prev: string | null = null;
  for (const s of summands) {
    if (s.level !== prev && prev !== null) marks.push({ index: s.index, level: s.level });
    prev = s.level;
  }
  return marks;
}

/** How it is drawn. */
export interface SummandChartOptions {
  log: boolean;
  /** Also draw each summand's std where it is created (dashed). */
  showOrigin: boolean;
  /** Default true: tooltip and zoom; false for a static figure. */
  interactive?: boolean;
}

/** The option drawing `v` in colours `c`. */
export function summandChartOption(v: SummandChart, c: ChartColors, opts: SummandChartOptions): ChartOption {
  const interactive = opts.interactive ?? true;
  const configs = [...new Set(v.series.map((s) => s.id.split('/')[0]))];
  const color = (id: string) => c.series[configs.indexOf(id.split('/')[0]) % c.series.length] ?? c.text;
  const shown = v.series.filter((s) => opts.showOrigin || s.measure === 'std');
  return {
    animation: false,
    textStyle: { color: c.text },
    grid: { left: 64, right: 24, top: 44, bottom: interactive ? 56 : 40 },
    legend: { top: 0, type: interactive ? 'scroll' : 'plain', textStyle: { color: c.text } },
    ...(interactive
      ? {
          tooltip: { trigger: 'axis', valueFormatter: (x: unknown) => (typeof x === 'number' ? x.toPrecision(3) : String(x)) },
          dataZoom: [{ type: 'inside' }, { type: 'slider', height: 16, bottom: 8 }],
        }
      : {}),
    xAxis: { type: 'value', name: 'summand index', nameLocation: 'middle', nameGap: 26, minInterval: 1, min: 0, max: Math.max(1, v.summands - 1), axisLine: { lineStyle: { color: c.muted } }, splitLine: { show: false } },
    yAxis: {
      type: opts.log ? 'log' : 'value',
      name: 'std',
      axisLine: { lineStyle: { color: c.muted } },
      splitLine: { lineStyle: { color: c.border } },
    },
    series: shown.map((s, i) => ({
      id: s.id,
      name: s.name,
      type: 'line',
      data: s.points,
      showSymbol: false,
      lineStyle: { color: color(s.id), width: s.measure === 'std' ? 2 : 1.2, type: s.measure === 'std' ? 'solid' : 'dashed' },
      itemStyle: { color: color(s.id) },
      ...(i === 0
        ? {
            markLine: {
              silent: true,
              symbol: 'none',
              lineStyle: { color: c.muted, type: 'dotted' },
              label: { formatter: (p: { name?: string }) => p.name ?? '', color: c.muted, fontSize: 10 },
              data: v.marks.map((m) => ({ name: m.level, xAxis: m.index - 0.5 })),
            },
          }
        : {}),
    })),
  };
}
