/**
 * The ECharts pieces every chart of the app uses (monitor, comparison, the designer's analysis),
 * registered once: line and scatter charts, the grid, axes
 * tooltips, legends, zoom and marker lines, drawn on canvas. Importing only these keeps the
 * bundle small.
 */
import { LineChart, ScatterChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([LineChart, ScatterChart, GridComponent, TooltipComponent, LegendComponent, DataZoomComponent, MarkLineComponent, CanvasRenderer]);

export { echarts };

/** The theme's colours, read from the CSS variables so light and dark both follow the page. */
export interface ChartColors {
  text: string;
  muted: string;
  border: string;
  panel: string;
  accent: string;
  series: string[];
}

/** The current theme's colours. */
export function chartColors(el: Element): ChartColors {
  const css = getComputedStyle(el);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const dark = typeof matchMedia !== 'undefined' && matchMedia('(prefers-color-scheme: dark)').matches;
  return {
    text: v('--text', '#1d2330'),
    muted: v('--muted', '#5d6676'),
    border: v('--border', '#d9dde3'),
    panel: v('--panel', '#ffffff'),
    accent: v('--accent', '#2563eb'),
    // Distinguishable in both themes and for the common colour-vision deficiencies (Okabe-Ito based).
    series: dark
      ? ['#56b4e9', '#e69f00', '#009e73', '#f0e442', '#cc79a7', '#d55e00', '#0072b2', '#bbbbbb']
      : ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#7a6a00', '#555555'],
  };
}
