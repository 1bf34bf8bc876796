/**
 * The note's analytical model of a design at initialisation ("A geometric study of strict resnets"):
 * - a conv multiplies the second moment by (its weight variance)/(1/n), n = k*k*C_in (or, with
 *   `fan: 'taps'`, n = the mean number of in-image taps times C_in, which accounts for 'same'
 *   padding at the borders and for the sub-kernels of a strided transposed conv);
 * - BN followed by ReLU has a second moment of 1/2, so a resnet block contributes
 *   (gain of its last conv)/2 whatever its input (or, with `relu: 'centred'`, the ReLU's variance);
 * - a BN on the main path divides every summand by the std of the sum.
 * The std of the sum is taken as sqrt(sum s_i^2): at initialisation each contribution ends in a
 * fresh zero-mean conv, so it is uncorrelated with the earlier ones. The note's bounds
 * sqrt(sum s_i^2) <= std(sum) <= sum s_i are carried alongside as ranges.
 */
import { archError } from '../arch/errors';
import type { ArchError } from '../arch/errors';
import { nodeMap, soleInputs, topologicalOrder } from '../arch/graph';
import { inferShapes } from '../arch/shapes';
import { summarize } from '../arch/summary';
import type { ArchNode, Architecture, Initializer, Shape } from '../arch/types';
import type { SummandAnalysis, SummandEntry, StageEntry } from './summands';
import { sumBounds } from './summands';
import { meanConvTaps, meanTransposedTaps } from './taps';
import { convFans, convWeightVariance, kerasVariance } from './variance';
import type { VarianceConvention } from './variance';

/** The n a conv's gain is computed with: the note's k*k*C_in, or in-image taps times C_in. */
export type FanRule = 'note' | 'taps';

/**
 * How the ReLU's output is counted:
 * - `second-moment`: the note's rule, 1/2 (the second moment of ReLU of a standard normal), all of
 *   it taken as variance;
 * - `centred`: its variance 1/2 - 1/(2*pi) only. The rest, the square of its mean 1/sqrt(2*pi),
 *   shifts each output channel of the next conv by a constant, which is tracked apart as an
 *   offset: convs scale it like the variance, a BN removes it, and a stride-2 transposed conv turns
 *   part of it into variance (its sub-kernels sum to different constants, a checkerboard). The
 *   centred std is what a per-channel std of the measured contribution sees.
 */
export type ReluMoment = 'second-moment' | 'centred';

/** E[relu(z)^2] and Var[relu(z)] for z standard normal. */
export const RELU_MOMENTS: Readonly<Record<ReluMoment, number>> = {
  'second-moment': 0.5,
  centred: 0.5 - 1 / (2 * Math.PI),
};

/** Options of {@link analyzeInit}. */
export interface InitAnalysisOptions {
  /** Default `keras`, what the model uses; `note` gives He the note's 2/n_next. */
  convention?: VarianceConvention;
  /** Default `note`. */
  fan?: FanRule;
  /** Default `second-moment`, the note's. */
  relu?: ReluMoment;
  /** Std of each input component; default 1 (normalised inputs). */
  inputStd?: number;
}

/** The weights of one group of identical convs, in both variance conventions. */
export interface ConvVariance {
  /** Weight name pattern as the model names them, e.g. `e0/block*\/conv*` or `down0/strided`. */
  name: string;
  nodeId: string;
  /** Convs in the group (2 per resnet block). */
  count: number;
  transposed: boolean;
  kernel: number;
  inChannels: number;
  outChannels: number;
  init: Initializer;
  /** Keras's fans for this kernel (swapped for a transposed conv, as Keras reads them). */
  fanIn: number;
  fanOut: number;
  /** Weight variance: Keras's (used by the model) and the note's. */
  variance: { keras: number; note: number };
  /** The note's factor on the second moment, variance * k*k*C_in, in both conventions. */
  gain: { keras: number; note: number };
}

/** An analytical analysis: summands and stages, plus the conv table. */
export interface InitAnalysis extends SummandAnalysis {
  convention: VarianceConvention;
  fan: FanRule;
  relu: ReluMoment;
  convs: ConvVariance[];
}

/** The analysis of a valid design, or why it cannot be analysed. */
export type InitAnalysisResult = { ok: true; analysis: InitAnalysis } | { ok: false; errors: ArchError[] };

interface Term {
  std: number;
  lo: number;
  hi: number;
  /** RMS over channels of the per-channel constant offset (`centred` only; else 0). */
  off: number;
}

const ZERO: Term = { std: 0, lo: 0, hi: 0, off: 0 };

/**
 * The raw input, not yet a summand, or a sum of summands by index with the note's bounds on the
 * sum's std. The bounds are carried, not recomputed from the summands: right after a BN the sum's
 * std is exactly 1, however its summands correlate, which is what gives the note's 1.22^n.
 */
type State = { kind: 'data'; std: number } | { kind: 'sum'; terms: Map<number, Term>; sumLo: number; sumHi: number };

type Sum = Extract<State, { kind: 'sum' }>;

/** A sum of summands that have not met a BN, whose bounds follow from theirs. */
function sumOf(terms: Map<number, Term>): Sum {
  const [sumLo] = sumBounds([...terms.values()].map((t) => t.lo));
  const [, sumHi] = sumBounds([...terms.values()].map((t) => t.hi));
  return { kind: 'sum', terms, sumLo, sumHi };
}

interface Ctx {
  opts: Required<InitAnalysisOptions>;
  summands: SummandEntry[];
  origins: Map<number, { nodeId: string; level: string; block?: number; std: number }>;
  converted: WeakMap<State, Sum>;
  convs: ConvVariance[];
  levelOf: Map<string, string>;
}

function scale(state: State, factor: number): State {
  if (state.kind === 'data') return { kind: 'data', std: state.std * factor };
  const terms = new Map<number, Term>();
  for (const [i, t] of state.terms) terms.set(i, { std: t.std * factor, lo: t.lo * factor, hi: t.hi * factor, off: t.off * factor });
  return { kind: 'sum', terms, sumLo: state.sumLo * factor, sumHi: state.sumHi * factor };
}

/**
 * A stride-s transposed conv: the variance scales by its gain; of an offset m, the mean over the s*s
 * sub-kernel phases stays an offset (w_var*C*k^2/s^4 * m^2) and the spread between the phases becomes
 * variance (w_var*C*k^2/s^2 * (1 - 1/s^2) * m^2).
 */
function transposedMix(state: State, factor: number, weightVariance: number, inChannels: number, k: number, s: number): State {
  if (state.kind === 'data') return scale(state, factor);
  const offGain = (weightVariance * inChannels * k * k) / (s * s);
  const spread = offGain * (1 - 1 / (s * s));
  const terms = new Map<number, Term>();
  for (const [i, t] of state.terms) {
    const extra = spread * t.off * t.off;
    const mix = (v: number) => Math.sqrt(factor * factor * v * v + extra);
    terms.set(i, { std: mix(t.std), lo: mix(t.lo), hi: mix(t.hi), off: Math.sqrt(offGain / (s * s)) * t.off });
  }
  // The offsets' spread is new variance of the sum too; bounded like any other part of it.
  const offs = sumBounds([...state.terms.values()].map((t) => t.off));
  return {
    kind: 'sum',
    terms,
    sumLo: Math.sqrt(factor * factor * state.sumLo * state.sumLo + spread * offs[0] * offs[0]),
    sumHi: Math.sqrt(factor * factor * state.sumHi * state.sumHi + spread * offs[1] * offs[1]),
  };
}

/** BN at initialisation (gamma 1, beta 0): every summand divided by the std of the sum. */
function batchNorm(state: State): State {
  if (state.kind === 'data') return { kind: 'data', std: 1 };
  const terms = [...state.terms.values()];
  const point = Math.sqrt(terms.reduce((a, t) => a + t.std * t.std, 0));
  const { sumLo, sumHi } = state;
  const out = new Map<number, Term>();
  for (const [i, t] of state.terms) {
    out.set(i, { std: point > 0 ? t.std / point : 0, lo: sumHi > 0 ? t.lo / sumHi : 0, hi: sumLo > 0 ? t.hi / sumLo : 0, off: 0 });
  }
  return { kind: 'sum', terms: out, sumLo: 1, sumHi: 1 };
}

function initOf(arch: Architecture, node: { init?: Initializer }): Initializer {
  return node.init ?? arch.init;
}

/** Std multiplier of one conv, and its entry in the conv table (grouped by `name`). */
function convFactor(
  ctx: Ctx,
  c: { name: string; nodeId: string; init: Initializer; kernel: number; stride: number; transposed: boolean; inShape: Shape; outShape: Shape },
): number {
  const { kernel: k, inShape, outShape } = c;
  const variance = convWeightVariance(c.init, k, inShape.c, outShape.c, c.transposed, ctx.opts.convention);
  let n = k * k * inShape.c;
  if (ctx.opts.fan === 'taps') {
    const taps = c.transposed
      ? meanTransposedTaps(outShape.h, k, c.stride) * meanTransposedTaps(outShape.w, k, c.stride)
      : meanConvTaps(inShape.h, k, c.stride) * meanConvTaps(inShape.w, k, c.stride);
    n = taps * inShape.c;
  }
  const existing = ctx.convs.find((e) => e.name === c.name);
  if (existing) existing.count++;
  else {
    const { fanIn, fanOut } = convFans(k, k, inShape.c, outShape.c, c.transposed);
    const keras = kerasVariance(c.init, fanIn, fanOut).variance;
    const note = convWeightVariance(c.init, k, inShape.c, outShape.c, c.transposed, 'note');
    const field = k * k * inShape.c;
    ctx.convs.push({
      name: c.name,
      nodeId: c.nodeId,
      count: 1,
      transposed: c.transposed,
      kernel: k,
      inChannels: inShape.c,
      outChannels: outShape.c,
      init: c.init,
      fanIn,
      fanOut,
      variance: { keras, note },
      gain: { keras: keras * field, note: note * field },
    });
  }
  return Math.sqrt(variance * n);
}

function newSummand(ctx: Ctx, std: number, nodeId: string, level: string, block?: number): number {
  const index = ctx.origins.size;
  ctx.origins.set(index, block === undefined ? { nodeId, level, std } : { nodeId, level, block, std });
  return index;
}

/** The raw input turned into a summand where something adds to it (a design with no initial conv). */
function asSum(ctx: Ctx, state: State, nodeId: string): Sum {
  if (state.kind === 'sum') return state;
  let conv = ctx.converted.get(state);
  if (!conv) {
    const index = newSummand(ctx, state.std, nodeId, 'input');
    conv = sumOf(new Map([[index, { std: state.std, lo: state.std, hi: state.std, off: 0 }]]));
    ctx.converted.set(state, conv);
  }
  return conv as Sum;
}

/** Two sums added: summands index by index, and the sums' bounds. */
function add(a: Sum, b: Sum): Sum {
  const out = new Map<number, Term>();
  for (const i of [...new Set([...a.terms.keys(), ...b.terms.keys()])].sort((x, y) => x - y)) {
    const x = a.terms.get(i) ?? ZERO;
    const y = b.terms.get(i) ?? ZERO;
    out.set(i, { std: Math.hypot(x.std, y.std), lo: Math.hypot(x.lo, y.lo), hi: x.hi + y.hi, off: Math.hypot(x.off, y.off) });
  }
  return { kind: 'sum', terms: out, sumLo: Math.hypot(a.sumLo, b.sumLo), sumHi: a.sumHi + b.sumHi };
}

function step(
  ctx: Ctx,
  arch: Architecture,
  node: Exclude<ArchNode, { kind: 'input' }>,
  x: State,
  skip: State | undefined,
  inShape: Shape,
  outShape: Shape,
  skipShape: Shape | undefined,
): State {
  const id = node.id;
  switch (node.kind) {
    case 'conv': {
      const f = convFactor(ctx, { name: `${id}/conv`, nodeId: id, init: initOf(arch, node), kernel: node.kernel, stride: node.stride, transposed: false, inShape, outShape });
      if (x.kind === 'data') {
        const std = x.std * f;
        const index = newSummand(ctx, std, id, 'stem');
        return sumOf(new Map([[index, { std, lo: std, hi: std, off: 0 }]]));
      }
      return scale(x, f);
    }
    case 'resnet': {
      let sum = asSum(ctx, x, id);
      const level = ctx.levelOf.get(id) ?? id;
      for (let b = 0; b < node.blocks; b++) {
        const conv = { name: `${id}/block*/conv*`, nodeId: id, init: initOf(arch, node), kernel: node.kernel, stride: 1, transposed: false, inShape: outShape, outShape };
        convFactor(ctx, conv); // conv1: its gain is undone by bn2, but it belongs in the conv table.
        // After bn2 and relu the second moment is 1/2, whatever the block's input.
        const f = convFactor(ctx, conv);
        const std = f * Math.sqrt(RELU_MOMENTS[ctx.opts.relu]);
        const off = ctx.opts.relu === 'centred' ? f * Math.sqrt(RELU_MOMENTS['second-moment'] - RELU_MOMENTS.centred) : 0;
        const index = newSummand(ctx, std, id, level, b);
        const terms = new Map(sum.terms);
        terms.set(index, { std, lo: std, hi: std, off });
        sum = { kind: 'sum', terms, sumLo: Math.hypot(sum.sumLo, std), sumHi: sum.sumHi + std };
        if (node.bnAfterBlock) sum = batchNorm(sum) as Sum;
      }
      return sum;
    }
    case 'down': {
      let y = x;
      const init = initOf(arch, node);
      for (let i = 0; i < node.convs; i++) {
        y = scale(y, convFactor(ctx, { name: `${id}/conv${i}`, nodeId: id, init, kernel: node.kernel, stride: 1, transposed: false, inShape, outShape: inShape }));
      }
      y = scale(y, convFactor(ctx, { name: `${id}/strided`, nodeId: id, init, kernel: node.kernel, stride: 2, transposed: false, inShape, outShape }));
      return node.bn === 'none' ? y : batchNorm(y);
    }
    case 'up': {
      const init = initOf(arch, node);
      const f = convFactor(ctx, { name: `${id}/transposed`, nodeId: id, init, kernel: node.kernel, stride: 2, transposed: true, inShape, outShape });
      const wv = convWeightVariance(init, node.kernel, inShape.c, outShape.c, true, ctx.opts.convention);
      let y = transposedMix(x, f, wv, inShape.c, node.kernel, 2);
      if (node.bn === 'strided') y = batchNorm(y);
      for (let i = 0; i < node.convs; i++) {
        y = scale(y, convFactor(ctx, { name: `${id}/conv${i}`, nodeId: id, init, kernel: node.convKernel ?? 3, stride: 1, transposed: false, inShape: outShape, outShape }));
      }
      return node.bn === 'after' ? batchNorm(y) : y;
    }
    case 'bn':
      return batchNorm(x);
    case 'merge': {
      if (!skip || !skipShape) return x;
      const main = asSum(ctx, x, id);
      const other = asSum(ctx, skip, id);
      if (node.mode === 'add') return add(main, other);
      // Concat then a 1x1 projection: the projection sees the channel-weighted mean second moment.
      const joined: Shape = { ...outShape, c: inShape.c + skipShape.c };
      const f = convFactor(ctx, { name: `${id}/project`, nodeId: id, init: initOf(arch, node), kernel: 1, stride: 1, transposed: false, inShape: joined, outShape });
      const wm = inShape.c / joined.c;
      const ws = skipShape.c / joined.c;
      const out = new Map<number, Term>();
      const mix = (a: number, b: number) => f * Math.sqrt(wm * a * a + ws * b * b);
      for (const i of [...new Set([...main.terms.keys(), ...other.terms.keys()])].sort((a, b) => a - b)) {
        const m = main.terms.get(i) ?? ZERO;
        const s = other.terms.get(i) ?? ZERO;
        out.set(i, { std: mix(m.std, s.std), lo: mix(m.lo, s.lo), hi: mix(m.hi, s.hi), off: mix(m.off, s.off) });
      }
      return { kind: 'sum', terms: out, sumLo: mix(main.sumLo, other.sumLo), sumHi: mix(main.sumHi, other.sumHi) };
    }
    case 'head':
      convFactor(ctx, { name: `${id}/conv`, nodeId: id, init: initOf(arch, node), kernel: 1, stride: 1, transposed: false, inShape, outShape });
      return x;
    case 'saltHead':
      // A second output off the mask path, which is what the analysis follows; analyzeInit skips it.
      return x;
  }
}

function stage(nodeId: string, kind: StageEntry['kind'], shape: Shape, sum: Sum): StageEntry {
  const summands = [...sum.terms.entries()].map(([index, t]) => ({ index, std: t.std, range: [t.lo, t.hi] as [number, number] }));
  const [point] = sumBounds(summands.map((s) => s.std));
  return { nodeId, kind, shape: { ...shape }, summands, sumStd: point, sumBounds: [sum.sumLo, sum.sumHi] };
}

/** The names of the U-Net levels (e0, bottom, d1...) by resnet stack id. */
export function levelNames(arch: Architecture): Map<string, string> {
  const r = summarize(arch);
  return new Map(r.ok ? r.summary.levels.map((l) => [l.nodeId, l.name]) : []);
}

/**
 * The analytical summand stds of a valid design, as initialised (biases 0, BN gamma 1 and beta 0,
 * BN on batch statistics as in the first training step).
 */
export function analyzeInit(arch: Architecture, options: InitAnalysisOptions = {}): InitAnalysisResult {
  const s = summarize(arch);
  if (!s.ok) return { ok: false, errors: s.errors };
  const opts: Required<InitAnalysisOptions> = {
    convention: options.convention ?? 'keras',
    fan: options.fan ?? 'note',
    relu: options.relu ?? 'second-moment',
    inputStd: options.inputStd ?? 1,
  };
  const ctx: Ctx = {
    opts,
    summands: [],
    origins: new Map(),
    converted: new WeakMap(),
    convs: [],
    levelOf: new Map(s.summary.levels.map((l) => [l.nodeId, l.name])),
  };
  const { shapes } = inferShapes(arch);
  const nodes = nodeMap(arch);
  const sole = soleInputs(arch);
  const states = new Map<string, State>();
  const stages: StageEntry[] = [];
  let headInput: Sum | null = null;
  for (const id of topologicalOrder(arch).order) {
    const node = nodes.get(id);
    const out = shapes.get(id);
    if (!node || !out) continue;
    if (node.kind === 'input') {
      states.set(id, { kind: 'data', std: opts.inputStd });
      continue;
    }
    // The salt head ends in a pooled logit, off the mask path whose summands the analysis follows.
    if (node.kind === 'saltHead') continue;
    const src = sole(id);
    const x = src === undefined ? undefined : states.get(src);
    const inShape = src === undefined ? undefined : shapes.get(src);
    if (!x || !inShape) return { ok: false, errors: [archError('missing-input', `${id}: has no analysable input`, { nodeId: id })] };
    const skipSrc = node.kind === 'merge' ? sole(id, 'skip') : undefined;
    const skip = skipSrc === undefined ? undefined : states.get(skipSrc);
    const skipShape = skipSrc === undefined ? undefined : shapes.get(skipSrc);
    const y = step(ctx, arch, node, x, skip, inShape, out, skipShape);
    states.set(id, y);
    if (node.kind === 'head') {
      headInput = asSum(ctx, x, id);
      stages.push(stage(id, 'head-input', inShape, headInput));
    } else if (y.kind === 'sum') {
      stages.push(stage(id, node.kind, out, y));
    }
  }
  const final = headInput?.terms ?? new Map<number, Term>();
  const summands: SummandEntry[] = [...ctx.origins.entries()].map(([index, o]) => {
    const t = final.get(index) ?? ZERO;
    const e: SummandEntry = { index, level: o.level, nodeId: o.nodeId, std: t.std, stdAtOrigin: o.std, stdRange: [t.lo, t.hi] };
    if (o.block !== undefined) e.block = o.block;
    return e;
  });
  return { ok: true, analysis: { convention: opts.convention, fan: opts.fan, relu: opts.relu, summands, stages, convs: ctx.convs } };
}
