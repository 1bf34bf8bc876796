/**
 * The checkerboard phenomenon ("Checkerboard" in the note): how a strided kernel splits into
 * sub-kernels, one per output phase, and a measured score of period-2 patterns in a map.
 */
import { nodeMap } from '../arch/graph';
import type { Architecture } from '../arch/types';

/** How a k x k kernel at stride s splits into s*s sub-kernels. */
export interface SubKernelSplit {
  kernel: number;
  stride: number;
  /** Size of each 2-D sub-kernel, one per output phase (s*s of them), largest first. */
  sizes: number[];
  /** The distinct sizes, smallest first (3x3 at stride 2: 1, 2, 4; 5x5: 4, 6, 9). */
  distinct: number[];
  /** Largest over smallest sub-kernel: 4 for 3x3, 2.25 for 5x5 at stride 2. */
  ratio: number;
  /** Whether the kernel divides evenly by the stride, so all sub-kernels are equal. */
  divisible: boolean;
}

/** Splits a k x k kernel at stride s: phase r of one axis gets the taps j with j = r (mod s). */
export function subKernelSplit(kernel: number, stride: number): SubKernelSplit {
  if (!Number.isInteger(kernel) || kernel < 1) throw new RangeError(`kernel must be a positive whole number, got ${kernel}`);
  if (!Number.isInteger(stride) || stride < 1) throw new RangeError(`stride must be a positive whole number, got ${stride}`);
  const axis: number[] = [];
  for (let r = 0; r < stride; r++) axis.push(Math.max(0, Math.ceil((kernel - r) / stride)));
  const sizes = axis.flatMap((a) => axis.map((b) => a * b)).sort((a, b) => b - a);
  const distinct = [...new Set(sizes)].sort((a, b) => a - b);
  const min = distinct[0] ?? 0;
  const max = distinct[distinct.length - 1] ?? 0;
  return { kernel, stride, sizes, distinct, ratio: min > 0 ? max / min : Infinity, divisible: kernel % stride === 0 };
}

/** One strided conv or transposed conv of a design, with its split and a warning when uneven. */
export interface StridedKernel {
  nodeId: string;
  /** The weight name prefix as the model names it: `down0/strided`, `up1/transposed`. */
  layer: string;
  transposed: boolean;
  split: SubKernelSplit;
  /** Set when the kernel is not divisible by its stride. */
  warning?: string;
}

/** Every strided conv and transposed conv of a design, in design order. */
export function stridedKernels(arch: Architecture): StridedKernel[] {
  const out: StridedKernel[] = [];
  for (const node of nodeMap(arch).values()) {
    let entry: Omit<StridedKernel, 'warning'> | null = null;
    if (node.kind === 'down') entry = { nodeId: node.id, layer: `${node.id}/strided`, transposed: false, split: subKernelSplit(node.kernel, 2) };
    else if (node.kind === 'up') entry = { nodeId: node.id, layer: `${node.id}/transposed`, transposed: true, split: subKernelSplit(node.kernel, 2) };
    else if (node.kind === 'conv' && node.stride > 1) entry = { nodeId: node.id, layer: `${node.id}/conv`, transposed: false, split: subKernelSplit(node.kernel, node.stride) };
    if (!entry) continue;
    const { split } = entry;
    out.push(
      split.divisible
        ? entry
        : {
            ...entry,
            warning: `${entry.layer}: a ${split.kernel}x${split.kernel} kernel at stride ${split.stride} splits into sub-kernels of ${split.distinct.join(', ')} taps (largest ${split.ratio.toFixed(2)}x the smallest): expect checkerboard artefacts`,
          },
    );
  }
  return out;
}

/**
 * How much of a map is a period-2 pattern. The score measures the pattern's amplitude against the
 * map as a whole: an invisible ripple scores about 0 on any map, a pure checkerboard 1.
 */
export interface CheckerboardScore {
  /**
   * The main score, in [0, 1]: sqrt(Nyquist energy / energy of the whole map, its mean included),
   * i.e. the RMS of the map's period-2 part over the RMS of the map (both Hann-weighted). A ripple
   * of amplitude a on a map of RMS r scores about a / r: 1e-2 on a smooth 0..1 disc 0.011, the
   * same ripple on a flat map at 0.3 (an early, featureless prediction) 0.033; a pure checkerboard
   * +-a around 0 scores 1, around c a / sqrt(a^2 + c^2) (0/1 stripes 0.71); white noise about 0.3;
   * a constant map 0. Its square is the Nyquist share of the map's energy.
   */
  score: number;
  /**
   * The shape ratio: Nyquist energy over high-frequency energy (of the mean-removed map), in [0, 1].
   * It says what the map's fine detail is made of, whatever its amplitude (an invisible 1e-3 ripple
   * on a smooth disc already gives 0.56), so it is a second figure, never the score. Strata's
   * checkerboard score before this definition was exactly this ratio.
   */
  shapeRatio: number;
  /** High-frequency energy over the energy of the mean-removed map. */
  highShare: number;
}

/** The energies a score is made of (see {@link nyquistEnergy}); sums over maps pool them. */
export interface MapEnergy {
  /** The whole windowed map's energy, its mean included. */
  whole: number;
  /** The mean-removed map's energy, and its high-frequency and Nyquist parts. */
  total: number;
  high: number;
  nyquist: number;
}

/** No energy yet: the start of a pooled sum. */
export function noEnergy(): MapEnergy {
  return { whole: 0, total: 0, high: 0, nyquist: 0 };
}

/** Adds `e` into `sum` (pooling maps, so each weighs by its energy) and returns `sum`. */
export function addEnergy(sum: MapEnergy, e: MapEnergy): MapEnergy {
  sum.whole += e.whole;
  sum.total += e.total;
  sum.high += e.high;
  sum.nyquist += e.nyquist;
  return sum;
}

/** cos and sin of -2*pi*m/n for m = 0..n-1: every twiddle factor of an n-point DFT. */
function twiddles(n: number): { c: Float64Array; s: Float64Array } {
  const c = new Float64Array(n);
  const s = new Float64Array(n);
  for (let m = 0; m < n; m++) {
    c[m] = Math.cos((-2 * Math.PI * m) / n);
    s[m] = Math.sin((-2 * Math.PI * m) / n);
  }
  return { c, s };
}

/** DFT power of a real h x w map (rows then columns; O(h*w*(h+w)), fine for 101 x 101). */
function power(map: Float64Array, h: number, w: number): Float64Array {
  const tw = twiddles(w);
  const th = twiddles(h);
  const rowRe = new Float64Array(h * w);
  const rowIm = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let u = 0; u < w; u++) {
      let a = 0;
      let b = 0;
      for (let x = 0, m = 0; x < w; x++, m = (m + u) % w) {
        const v = map[y * w + x] as number;
        a += v * (tw.c[m] as number);
        b += v * (tw.s[m] as number);
      }
      rowRe[y * w + u] = a;
      rowIm[y * w + u] = b;
    }
  }
  const p = new Float64Array(h * w);
  for (let u = 0; u < w; u++) {
    for (let v = 0; v < h; v++) {
      let a = 0;
      let b = 0;
      for (let y = 0, m = 0; y < h; y++, m = (m + v) % h) {
        const c = th.c[m] as number;
        const s = th.s[m] as number;
        const r = rowRe[y * w + u] as number;
        const i = rowIm[y * w + u] as number;
        a += r * c - i * s;
        b += r * s + i * c;
      }
      p[v * w + u] = a * a + b * b;
    }
  }
  return p;
}

/** |frequency| in cycles per pixel of DFT bin `k` of `n`. */
function freq(k: number, n: number): number {
  return Math.min(k, n - k) / n;
}

/**
 * A map's energies. The map is Hann-windowed (so its edges do not leak into high frequencies); its
 * energy as a whole comes from the window alone (by Parseval, the DFT's energy is h*w times the sum
 * of squares). For the spectral split the mean is removed first, and the DFT split into: high
 * frequencies (either axis at or above 1/4 cycle per pixel) and, among them, the Nyquist ones
 * (either axis within 1.5 bins of 1/2 cycle per pixel: period-2 patterns in x, in y, or both; 1.5
 * bins holds the Hann window's main lobe, and odd sizes have no exact bin).
 */
export function nyquistEnergy(map: ArrayLike<number>, h: number, w: number): MapEnergy {
  if (map.length < h * w) throw new RangeError(`map has ${map.length} values, an ${h}x${w} map needs ${h * w}`);
  let mean = 0;
  for (let i = 0; i < h * w; i++) mean += map[i] ?? 0;
  mean /= h * w;
  const windowed = new Float64Array(h * w);
  const hann = (i: number, n: number) => (n > 1 ? 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)) : 1);
  let whole = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const wv = hann(y, h) * hann(x, w);
      const v = map[y * w + x] ?? 0;
      whole += (v * wv) ** 2;
      windowed[y * w + x] = (v - mean) * wv;
    }
  }
  const p = power(windowed, h, w);
  let total = 0;
  let high = 0;
  let nyquist = 0;
  for (let v = 0; v < h; v++) {
    for (let u = 0; u < w; u++) {
      const e = p[v * w + u] ?? 0;
      total += e;
      const fy = freq(v, h);
      const fx = freq(u, w);
      if (Math.max(fx, fy) < 0.25) continue;
      high += e;
      if (fx >= 0.5 - 1.5 / w || fy >= 0.5 - 1.5 / h) nyquist += e;
    }
  }
  return { whole: whole * h * w, total, high, nyquist };
}

/**
 * Turns summed energies into a score. A map of zeros scores 0; one with (numerically) no
 * high-frequency energy has shape ratio 0.
 */
export function scoreFromEnergy(e: MapEnergy): CheckerboardScore {
  if (!(e.whole > 0)) return { score: 0, shapeRatio: 0, highShare: 0 };
  const score = Math.sqrt(Math.min(1, Math.max(0, e.nyquist / e.whole)));
  if (!(e.total > 0) || e.high <= 1e-12 * e.total) return { score, shapeRatio: 0, highShare: 0 };
  return { score, shapeRatio: e.nyquist / e.high, highShare: e.high / e.total };
}

/**
 * The checkerboard score of `count` maps of h x w stored one after another (or of one map), their
 * energies pooled, so each map weighs by its energy (see {@link CheckerboardScore}).
 */
export function checkerboardScore(maps: ArrayLike<number>, h: number, w: number, count = 1): CheckerboardScore {
  const sum = noEnergy();
  const size = h * w;
  for (let m = 0; m < count; m++) {
    const view = Array.from({ length: size }, (_, i) => maps[m * size + i] ?? 0);
    addEnergy(sum, nyquistEnergy(view, h, w));
  }
  return scoreFromEnergy(sum);
}

/**
 * The epoch-metric names of the predicted validation maps' checkerboard figures (EpochMetric.extra).
 * `valCheckerboard` is what Strata stored before the score measured amplitude: it was the shape
 * ratio, so it is read as the shape ratio and never as the score.
 */
export const CHECKERBOARD_METRICS = { score: 'valNyquistAmplitude', shapeRatio: 'valNyquistShape', legacyShapeRatio: 'valCheckerboard' } as const;

/** An epoch's checkerboard figures from its extra metrics; NaN where the run did not record one (older runs have no score). */
export function epochCheckerboard(extra: Readonly<Record<string, number>> | undefined): { score: number; shapeRatio: number } {
  const score = extra?.[CHECKERBOARD_METRICS.score];
  const shapeRatio = extra?.[CHECKERBOARD_METRICS.shapeRatio] ?? extra?.[CHECKERBOARD_METRICS.legacyShapeRatio];
  return { score: score ?? Number.NaN, shapeRatio: shapeRatio ?? Number.NaN };
}
