/**
 * A small deterministic PRNG for weight initialisation: xoshiro128** seeded by splitmix32.
 * It depends on neither tfjs nor Math.random, so a design's weights are the same on every
 * backend and every machine for the same seed.
 */

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;
const GOLDEN_GAMMA = 0x9e3779b9;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** murmur3's finaliser: a bijection on 32 bits with full avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Folds any safe integer (including negatives and values past 2^32) into 32 bits without losing the high bits. */
function seedWord(seed: number): number {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`Rng seed must be a safe integer, got ${seed}`);
  }
  const lo = seed % TWO_POW_32 >>> 0;
  const hi = Math.floor(seed / TWO_POW_32) >>> 0;
  return (lo ^ fmix32(hi + GOLDEN_GAMMA)) >>> 0;
}

/**
 * xoshiro128** (Blackman & Vigna): 128 bits of state, period 2^128 - 1, passes BigCrush.
 * `normal()` uses the Box–Muller transform without caching the second value, so the
 * state is exactly the four words and `fromState(state())` continues the same stream.
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /** Seeds the four state words from splitmix32 over `seed` (any safe integer). */
  constructor(seed: number) {
    let x = seedWord(seed);
    const next = (): number => {
      x = (x + GOLDEN_GAMMA) >>> 0;
      let t = x ^ (x >>> 16);
      t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      return (t ^ (t >>> 15)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    // The all-zero state is the generator's one fixed point.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next raw 32-bit output, as an unsigned integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform on [0, 1) with 53 random bits, so every double in the grid is reachable. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / TWO_POW_53;
  }

  /** A standard normal draw (mean 0, variance 1). */
  normal(): number {
    // 1 - u is in (0, 1], so the log never sees 0.
    const r = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    return r * Math.cos(2 * Math.PI * this.uniform());
  }

  /** The four 32-bit state words; `Rng.fromState` resumes the stream from them. */
  state(): number[] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  /** Resumes a stream saved with `state()`. Rejects anything but four 32-bit words, not all zero. */
  static fromState(s: number[]): Rng {
    if (s.length !== 4 || !s.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_POW_32)) {
      throw new RangeError(`Rng state must be four unsigned 32-bit integers, got [${s.join(', ')}]`);
    }
    if (s.every((w) => w === 0)) throw new RangeError('Rng state must not be all zero');
    const rng = new Rng(0);
    [rng.s0, rng.s1, rng.s2, rng.s3] = s.map((w) => w | 0) as [number, number, number, number];
    return rng;
  }
}

/**
 * A seed for one named stream: a hash of the run's seed and a name (e.g. a weight's name),
 * so each weight tensor draws from its own stream and adding a node leaves the others' weights as they were.
 * FNV-1a over the UTF-16 code units, mixed with the seed and finalised with murmur3's fmix32.
 */
export function deriveSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ seedWord(seed);
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Folding in the length keeps "a" + seed distinct from a longer name that happens to collide mid-way.
  return fmix32(h ^ name.length);
}
