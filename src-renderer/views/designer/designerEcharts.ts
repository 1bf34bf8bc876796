/**
 * The ECharts pieces the designer's analysis chart uses, registered once: lines, the grid,
 * tooltips, the legend, zoom and marker lines on canvas. Importing only these keeps the bundle small.
 */
import { LineChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([LineChart, GridComponent, TooltipComponent, LegendComponent, DataZoomComponent, MarkLineComponent, CanvasRenderer]);

export { echarts };

/** The theme's colours from its CSS variables, so light and dark both follow the page. */
export function themeColors(el: Element): { text: string; muted: string; border: string; series: string[] } {
  const css = getComputedStyle(el);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  const dark = typeof matchMedia !== 'undefined' && matchMedia('(prefers-color-scheme: dark)').matches;
  return {
    text: v('--text', '#1d2330'),
    muted: v('--muted', '#5d6676'),
    border: v('--border', '#d9dde3'),
    // Okabe-Ito based: distinguishable in both themes and for common colour-vision deficiencies.
    series: dark
      ? ['#56b4e9', '#e69f00', '#009e73', '#f0e442', '#cc79a7', '#d55e00', '#0072b2', '#bbbbbb']
      : ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#7a6a00', '#555555'],
  };
}
