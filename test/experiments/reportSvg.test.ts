import { describe, expect, it } from 'vitest';
import { seedBandChart } from '../../shared/charts/bandChart';
import { LIGHT_COLORS } from '../../shared/charts/colors';
import { intervalBarOption } from '../../shared/charts/intervalBarOption';
import { lineChartOption } from '../../shared/charts/lineChartOption';
import { summandChartOption } from '../../shared/charts/summandChartOption';
import { renderSvg } from '../../src-main/experiments/report/svg';

/** The SVG's elements of one tag. */
function count(svg: string, tag: string): number {
  return svg.match(new RegExp(`<${tag}[\\s>]`, 'g'))?.length ?? 0;
}

describe('figures rendered to SVG by ECharts', () => {
  it('a seed-band chart: an SVG document with each group in the legend, its line and its band as paths', () => {
    const model = seedBandChart(
      [
        { label: 'glorot_normal', series: [[0.5, 0.6, 0.7], [0.52, 0.63, 0.69], [0.49, 0.58, 0.72]] },
        { label: 'he_normal', series: [[0.4, 0.45, 0.5], [0.42, 0.44, 0.52]] },
      ],
      { id: 'curves', title: 'val score' },
    );
    const svg = renderSvg(lineChartOption(model, LIGHT_COLORS, { interactive: false }), { width: 600, height: 300 });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('width="600" height="300"');
    expect(svg).toContain('glorot_normal (n=3)');
    expect(svg).toContain('he_normal (n=2)');
    // Each group's mean line in its series colour, and each band's area filled in the same colour.
    expect(svg).toContain(`stroke="${LIGHT_COLORS.series[0]}"`);
    expect(svg).toContain(`fill="${LIGHT_COLORS.series[1]}"`);
    expect(count(svg, 'path')).toBeGreaterThan(6);
    // A static figure has no zoom slider: its handles would be drawn as paths with this label text.
    expect(svg).not.toContain('dataZoom');
  });

  it('a bar chart with intervals: one bar per group and an error bar (three lines) per interval', () => {
    const option = intervalBarOption(
      {
        id: 'final',
        title: 'best val score',
        yTitle: 'best val score',
        bars: [
          { name: 'A', value: 0.6, low: 0.55, high: 0.65, n: 3 },
          { name: 'B', value: 0.5, low: null, high: null, n: 1 },
        ],
      },
      LIGHT_COLORS,
      { interactive: false },
    );
    const svg = renderSvg(option);
    expect(svg).toContain('best val score');
    expect(svg).toMatch(/>A<\/tspan>|>A<\/text>|>A\b/);
    expect(svg).toContain('(n=3)');
    // Bars are paths filled in the series colours.
    expect(svg).toContain(`fill="${LIGHT_COLORS.series[0]}"`);
    expect(svg).toContain(`fill="${LIGHT_COLORS.series[1]}"`);
    // The interval: its vertical line and two caps, stroked in the text colour.
    const lines = svg.match(new RegExp(`<(path|line)[^>]*stroke="${LIGHT_COLORS.text}"`, 'g')) ?? [];
    expect(lines.length).toBe(3);
  });

  it('s_i against depth on a log axis, with the level marks', () => {
    const svg = renderSvg(
      summandChartOption(
        {
          series: [{ id: 'g1/std', name: 'g1', measure: 'std', points: [[0, 1], [1, 0.5], [2, 0.25]] }],
          marks: [{ index: 2, level: 'e1' }],
          summands: 3,
        },
        LIGHT_COLORS,
        { log: true, showOrigin: false, interactive: false },
      ),
    );
    expect(svg).toContain('g1');
    expect(svg).toContain('e1');
    expect(svg).toContain('summand index');
  });

  it('refuses a size that is not positive', () => {
    expect(() => renderSvg({}, { width: 0, height: 10 })).toThrow(/positive width and height, got 0x10/);
  });
});
