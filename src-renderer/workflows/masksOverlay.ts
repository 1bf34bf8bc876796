/**
 * Mask-viewer pixels: a grey seismic image with the prediction laid over it, as RGBA for
 * `ImageData`. With truth, pixels are classed by `overlayClasses` (true positive, false positive,
 * false negative) and each class has its colour; without truth only the prediction is drawn. A
 * probability heat map can go under the classes. Pure, so every pixel can be checked.
 */
import { applyPostprocess, contourMask } from '../../shared/metrics';

/** An RGB colour, 0..255 each. */
export type Rgb = readonly [number, number, number];

/** Colours of the overlay (Okabe–Ito, so they stay apart for colour-blind eyes). */
export const MASK_COLOURS = {
  tp: [0, 158, 115] as Rgb,
  fp: [213, 94, 0] as Rgb,
  fn: [86, 180, 233] as Rgb,
  /** A prediction with no truth to compare with. */
  pred: [230, 159, 0] as Rgb,
  /** The truth alone. */
  truth: [86, 180, 233] as Rgb,
} as const;

/** How the overlay is drawn. */
export interface MaskDrawOptions {
  threshold: number;
  /** An image with fewer predicted salt pixels than this is drawn (and scored) empty; 0: off. */
  minArea: number;
  /**
   * The salt head's vote: an image whose salt probability is below this is drawn (and scored) empty.
   * Absent: no vote. With it, each image's salt probability must be given to composeMaskImage.
   */
  saltCut?: number;
  /** Weight of the overlay colours, 0..1. */
  opacity: number;
  /** Filled regions, or only their outlines. */
  mode: 'filled' | 'contour';
  showTruth: boolean;
  showPrediction: boolean;
  showHeat: boolean;
}

/** The default drawing: filled classes at half strength, at threshold 0.5 with no minimum area (the raw mask). */
export const DEFAULT_DRAW: MaskDrawOptions = { threshold: 0.5, minArea: 0, opacity: 0.5, mode: 'filled', showTruth: true, showPrediction: true, showHeat: false };

/** Stops of the heat map's colour scale (probability 0 to 1), "inferno"-like: dark to bright. */
const HEAT_STOPS: readonly Rgb[] = [
  [0, 0, 4],
  [87, 16, 110],
  [188, 55, 84],
  [249, 142, 9],
  [252, 255, 164],
];

/** The heat colour of probability p in [0, 1]. */
export function heatColour(p: number): Rgb {
  const x = Math.min(1, Math.max(0, Number.isFinite(p) ? p : 0)) * (HEAT_STOPS.length - 1);
  const i = Math.min(HEAT_STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = HEAT_STOPS[i] as Rgb;
  const b = HEAT_STOPS[i + 1] as Rgb;
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/** The heat colour scale as a CSS gradient, for the colour bar beside the image. */
export function heatGradientCss(): string {
  return `linear-gradient(to top, ${HEAT_STOPS.map((c, i) => `rgb(${c.join(' ')}) ${(i / (HEAT_STOPS.length - 1)) * 100}%`).join(', ')})`;
}

/** One legend entry. */
export interface LegendEntry {
  label: string;
  rgb: Rgb;
}

/** What the overlay's colours mean with these options. */
export function maskLegend(o: MaskDrawOptions, labelled: boolean): LegendEntry[] {
  if (labelled && o.showTruth && o.showPrediction) {
    return [
      { label: 'true positive', rgb: MASK_COLOURS.tp },
      { label: 'false positive', rgb: MASK_COLOURS.fp },
      { label: 'false negative (missed)', rgb: MASK_COLOURS.fn },
    ];
  }
  const out: LegendEntry[] = [];
  if (o.showPrediction) out.push({ label: 'predicted salt', rgb: MASK_COLOURS.pred });
  if (labelled && o.showTruth) out.push({ label: 'true salt', rgb: MASK_COLOURS.truth });
  return out;
}

/**
 * Which colour each pixel takes (index into `palette`, or -1 for none), before outlining. The
 * predicted mask is the one every prediction path makes (applyPostprocess: salt above the
 * threshold, an image under the minimum area cleared, and with a salt cut, an image the salt head
 * votes empty).
 */
function pixelClasses(probs: Uint8Array, truth: Uint8Array | null, h: number, w: number, o: MaskDrawOptions, saltProb: number | undefined): { cls: Int8Array; palette: Rgb[] } {
  const n = probs.length;
  const cls = new Int8Array(n).fill(-1);
  const rule = { threshold: o.threshold, minArea: o.minArea, ...(o.saltCut === undefined ? {} : { saltCut: o.saltCut }) };
  // applyPostprocess refuses a cut without the probability, rather than drawing without the vote.
  const m = applyPostprocess(probs, 1, h, w, rule, undefined, saltProb === undefined ? undefined : [saltProb]);
  if (truth && o.showTruth && o.showPrediction) {
    for (let i = 0; i < n; i++) {
      const t = truth[i] !== 0;
      const p = m[i] !== 0;
      cls[i] = t ? (p ? 0 : 2) : p ? 1 : -1;
    }
    return { cls, palette: [MASK_COLOURS.tp, MASK_COLOURS.fp, MASK_COLOURS.fn] };
  }
  if (o.showPrediction) {
    for (let i = 0; i < n; i++) if (m[i] !== 0) cls[i] = 0;
  }
  if (truth && o.showTruth) for (let i = 0; i < n; i++) if (truth[i] !== 0 && cls[i] === -1) cls[i] = 1;
  return { cls, palette: [MASK_COLOURS.pred, MASK_COLOURS.truth] };
}

/** Keeps only the outline of each class region (a pixel whose 4-neighbour is another class). */
function outlineClasses(cls: Int8Array, classes: number, h: number, w: number): Int8Array {
  const out = new Int8Array(cls.length).fill(-1);
  const region = new Uint8Array(cls.length);
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < cls.length; i++) region[i] = cls[i] === c ? 1 : 0;
    const edge = contourMask(region, h, w);
    for (let i = 0; i < cls.length; i++) if (edge[i] !== 0) out[i] = c;
  }
  return out;
}

/** Thrown when pixel buffers do not fit the stated size. */
export class MaskPixelError extends Error {
  override readonly name = 'MaskPixelError';
}

/**
 * RGBA of one image: grey, then (if asked) the heat map blended at `opacity`, then the class
 * colours at `opacity` (outlines only in contour mode, drawn at full strength so they stay visible).
 * `saltProb` is the image's salt-head probability, needed when `o` has a salt cut.
 */
export function composeMaskImage(image: Uint8Array, probs: Uint8Array, truth: Uint8Array | null, h: number, w: number, o: MaskDrawOptions, saltProb?: number): Uint8ClampedArray {
  const n = h * w;
  if (image.length !== n) throw new MaskPixelError(`image has ${image.length} bytes, expected ${h}x${w} = ${n}`);
  if (probs.length !== n) throw new MaskPixelError(`probabilities have ${probs.length} bytes, expected ${n}`);
  if (truth && truth.length !== n) throw new MaskPixelError(`truth has ${truth.length} bytes, expected ${n}`);
  const { cls: filled, palette } = pixelClasses(probs, truth, h, w, o, saltProb);
  const contour = o.mode === 'contour';
  const cls = contour ? outlineClasses(filled, palette.length, h, w) : filled;
  const a = Math.min(1, Math.max(0, o.opacity));
  const classAlpha = contour ? (a > 0 ? 1 : 0) : a;
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    const g = image[i] as number;
    let r = g;
    let gg = g;
    let b = g;
    if (o.showHeat) {
      const hc = heatColour((probs[i] as number) / 255);
      r = r * (1 - a) + hc[0] * a;
      gg = gg * (1 - a) + hc[1] * a;
      b = b * (1 - a) + hc[2] * a;
    }
    const c = cls[i] as number;
    if (c >= 0) {
      const col = palette[c] as Rgb;
      r = r * (1 - classAlpha) + col[0] * classAlpha;
      gg = gg * (1 - classAlpha) + col[1] * classAlpha;
      b = b * (1 - classAlpha) + col[2] * classAlpha;
    }
    const o4 = i * 4;
    out[o4] = r;
    out[o4 + 1] = gg;
    out[o4 + 2] = b;
    out[o4 + 3] = 255;
  }
  return out;
}
