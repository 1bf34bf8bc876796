/**
 * Figures as SVG, drawn by ECharts itself on the server (its SSR mode: no DOM, no canvas), from the
 * same option builders the app draws its charts with (shared/charts). Only the pieces the report's
 * charts use are registered, as the app registers its own (src-renderer/components/charts/echarts.ts).
 */
import { BarChart, CustomChart, LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TitleComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { LIGHT_COLORS, type ChartOption } from '../../../shared/charts/colors';

echarts.use([LineChart, ScatterChart, BarChart, CustomChart, GridComponent, LegendComponent, MarkLineComponent, TitleComponent, SVGRenderer]);

/** A figure's size in pixels. */
export interface FigureSize {
  width: number;
  height: number;
}

/** The default figure size: readable in a Markdown page at its natural width. */
export const FIGURE_SIZE: Readonly<FigureSize> = { width: 760, height: 360 };

/**
 * `option` rendered to an SVG document, on an opaque background (`background`, default the light
 * theme's panel): a figure on a dark page keeps its dark text readable.
 */
export function renderSvg(option: ChartOption, size: FigureSize = FIGURE_SIZE, background: string = LIGHT_COLORS.panel): string {
  if (!(size.width > 0 && size.height > 0)) throw new RangeError(`a figure needs a positive width and height, got ${size.width}x${size.height}`);
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: size.width, height: size.height });
  try {
    // No animation: SSR draws the first frame, which must be the last.
    chart.setOption({ ...option, backgroundColor: background, animation: false });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
