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

/** The Nyquist share of a map's high-frequency energy. */
export interface CheckerboardScore {
  /** Energy at the Nyquist frequencies over all high-frequency energy, in [0, 1]; 0 when there is none. */
  score: number;
  /** High-frequency energy over the energy of the mean-removed map. */
  highShare: number;
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
 * Energy sums over maps, so a score over many channels or images weights each by its energy.
 * Each map is mean-removed and Hann-windowed (so its edges do not leak into high frequencies), and
 * its DFT split into: high frequencies (either axis at or above 1/4 cycle per pixel) and, among
 * them, the Nyquist ones (either axis within 1.5 bins of 1/2 cycle per pixel: period-2 patterns in
 * x, in y, or both; 1.5 bins holds the Hann window's main lobe, and odd sizes have no exact bin).
 */
export function nyquistEnergy(map: ArrayLike<number>, h: number, w: number): { total: number; high: number; nyquist: number } {
  if (map.length < h * w) throw new RangeError(`map has ${map.length} values, an ${h}x${w} map needs ${h * w}`);
  let mean = 0;
  for (let i = 0; i < h * w; i++) mean += map[i] ?? 0;
  mean /= h * w;
  const windowed = new Float64Array(h * w);
  const hann = (i: number, n: number) => (n > 1 ? 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)) : 1);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) windowed[y * w + x] = ((map[y * w + x] ?? 0) - mean) * hann(y, h) * hann(x, w);
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
  return { total, high, nyquist };
}

/** Turns summed energies into a score; maps with (numerically) no high-frequency energy score 0. */
export function scoreFromEnergy(e: { total: number; high: number; nyquist: number }): CheckerboardScore {
  if (e.total <= 0 || e.high <= 1e-12 * e.total) return { score: 0, highShare: 0 };
  return { score: e.nyquist / e.high, highShare: e.high / e.total };
}

/**
 * The checkerboard score of `count` maps of h x w stored one after another (or of one map): the
 * share of their high-frequency energy at the Nyquist frequencies. ~0 for smooth maps, 1 for a pure
 * checkerboard, about 0.13 for white noise at 101 x 101.
 */
export function checkerboardScore(maps: ArrayLike<number>, h: number, w: number, count = 1): CheckerboardScore {
  const sum = { total: 0, high: 0, nyquist: 0 };
  const size = h * w;
  for (let m = 0; m < count; m++) {
    const view = Array.from({ length: size }, (_, i) => maps[m * size + i] ?? 0);
    const e = nyquistEnergy(view, h, w);
    sum.total += e.total;
    sum.high += e.high;
    sum.nyquist += e.nyquist;
  }
  return scoreFromEnergy(sum);
}
