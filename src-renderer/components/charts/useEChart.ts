/**
 * One ECharts chart's lifetime, tied to the component that shows it: ECharts and the theme reader
 * are loaded with the first chart (so the rest of the app starts without them), the chart is made on
 * mount in `el`, follows the element's size, and is disposed on unmount, also when the component is
 * gone before the import resolved. ECharts is imperative, so `draw` pushes the component's state into
 * it: once made, and again each time `redrawOn` changes.
 */
import { onBeforeUnmount, onMounted, watch, type Ref, type WatchSource } from 'vue';
import type { ChartColors } from '../../../shared/charts/colors';

type EchartsModule = typeof import('./echarts');

/** An ECharts instance as `echarts.init` makes it. */
export type EChart = ReturnType<EchartsModule['echarts']['init']>;

export function useEChart(
  el: Ref<HTMLElement | null>,
  draw: (chart: EChart, colors: ChartColors) => void,
  options: {
    redrawOn: WatchSource;
    /** Charts in the same group zoom together; read once, when the chart is made. */
    group?: () => string | undefined;
  },
): void {
  let lib: EchartsModule | null = null;
  let chart: EChart | null = null;
  let resize: ResizeObserver | null = null;
  let disposed = false;

  function redraw(): void {
    if (!chart || !el.value || !lib) return;
    draw(chart, lib.chartColors(el.value));
  }

  onMounted(async () => {
    lib ??= await import('./echarts');
    if (!el.value || disposed) return;
    const made = lib.echarts.init(el.value, undefined, { renderer: 'canvas' });
    chart = made;
    const group = options.group?.();
    if (group) {
      made.group = group;
      lib.echarts.connect(group);
    }
    redraw();
    resize = new ResizeObserver(() => chart?.resize());
    resize.observe(el.value);
  });

  watch(options.redrawOn, redraw);

  onBeforeUnmount(() => {
    disposed = true;
    resize?.disconnect();
    chart?.dispose();
    chart = null;
  });
}
