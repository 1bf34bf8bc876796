/**
 * The ECharts pieces every chart of the app uses (monitor, comparison, the designer's analysis,
 * experiments), registered once: line, scatter and bar charts, custom series (the interval bars'
 * error bars, shared/charts/intervalBarOption.ts), the grid, axes
 * tooltips, legends, zoom and marker lines, drawn on canvas. Importing only these keeps the
 * bundle small.
 */
import { BarChart, CustomChart, LineChart, ScatterChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { LIGHT_COLORS, SERIES_COLORS, type ChartColors } from '../../../shared/charts/colors';

echarts.use([LineChart, ScatterChart, BarChart, CustomChart, GridComponent, TooltipComponent, LegendComponent, DataZoomComponent, MarkLineComponent, CanvasRenderer]);

export { echarts };

export type { ChartColors };

/** The current theme's colours, read from the CSS variables so light and dark both follow the page. */
export function chartColors(el: Element): ChartColors {
  const css = getComputedStyle(el);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const dark = typeof matchMedia !== 'undefined' && matchMedia('(prefers-color-scheme: dark)').matches;
  return {
    text: v('--text', LIGHT_COLORS.text),
    muted: v('--muted', LIGHT_COLORS.muted),
    border: v('--border', LIGHT_COLORS.border),
    panel: v('--panel', LIGHT_COLORS.panel),
    accent: v('--accent', LIGHT_COLORS.accent),
    series: [...SERIES_COLORS[dark ? 'dark' : 'light']],
  };
}
