/**
 * The charts' colours. The app reads its theme's CSS variables (src-renderer/components/charts/echarts.ts);
 * a report, drawn where there is no page, takes the light theme's values below, which are also the
 * app's fallbacks.
 */

/** The colours a chart option is built with. */
export interface ChartColors {
  text: string;
  muted: string;
  border: string;
  panel: string;
  accent: string;
  series: string[];
}

/** Series colours, distinguishable in both themes and for the common colour-vision deficiencies (Okabe-Ito based). */
export const SERIES_COLORS: Readonly<Record<'light' | 'dark', readonly string[]>> = {
  light: ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#7a6a00', '#555555'],
  dark: ['#56b4e9', '#e69f00', '#009e73', '#f0e442', '#cc79a7', '#d55e00', '#0072b2', '#bbbbbb'],
};

/** The light theme (src-renderer/styles/theme.css), for reports and as the app's fallback. */
export const LIGHT_COLORS: Readonly<ChartColors> = {
  text: '#1d2330',
  muted: '#5d6676',
  border: '#d9dde3',
  panel: '#ffffff',
  accent: '#2563eb',
  series: [...SERIES_COLORS.light],
};

/** The colour of series `i`. */
export function seriesColor(c: ChartColors, i: number): string {
  return c.series[i % c.series.length] ?? c.accent;
}

/** An ECharts option as plain data (the library's own type cannot be imported into shared/). */
export type ChartOption = Record<string, unknown>;

/** Numbers as the charts' axes and tooltips show them: 4 significant digits, exponents when tiny or huge. */
export function formatChartNumber(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  // Number() drops the trailing zeros toPrecision pads with ("0.9500" reads as 0.95).
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}
