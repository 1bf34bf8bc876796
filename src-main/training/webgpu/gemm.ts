/**
 * A tiled matrix product C[m, n] = Σ_k A[m, k] · B[k, n] in WGSL, with A and B gathered on the fly
 * (an implicit GEMM: the convolutions never build an im2col matrix). Each workgroup computes a
 * TM x TN tile of C: per step it loads a TM x TK slice of A and a TK x TN slice of B into workgroup
 * memory, and each invocation accumulates an RM x RN block of the tile from there.
 *
 * One dispatch can hold several independent products with the same N (the stride phases of an
 * input gradient, the chunks of a split-K reduction): the caller's `gemmGroup(tile)` says which
 * product a tile belongs to, where its tiles start, its M and its K range. The caller writes, in WGSL:
 *   struct GemmGroup { first : i32, m : i32, kStart : i32, kEnd : i32, ... }
 *   fn gemmGroup(tile : i32) -> GemmGroup
 *   fn rowOf(g : GemmGroup, m : i32) -> vec4<i32>      (what A's loads need of row m; m < g.m)
 *   fn colOf(g : GemmGroup, k : i32) -> vec4<i32>      (what A's loads need of column k)
 *   fn loadA(g : GemmGroup, row : vec4<i32>, col : vec4<i32>) -> f32   (k < g.kEnd)
 *   fn loadB(g : GemmGroup, k : i32, n : i32) -> f32   (k < g.kEnd, n < N)
 *   fn store(g : GemmGroup, m : i32, n : i32, value : f32)
 * and passes the uniforms `gemmTiles` (tiles in the dispatch), `gemmN` and `gemmTilesN` (N and its tiles).
 */
import { WORKGROUP_INDEX, type WebgpuProgram } from './program';

/** Tile sizes: C's tile (tm x tn), A's and B's slices along K (tk), each invocation's block (rm x rn). */
export interface GemmTiles {
  tm: number;
  tn: number;
  tk: number;
  rm: number;
  rn: number;
  threads: number;
}

/** Workgroups a dispatch should reach before its tiles get smaller (a GPU has tens of compute units, each wanting several). */
const TARGET_WORKGROUPS = 256;

/**
 * The tiles for a product with `n` columns and `m` rows: tn is the power of two from 4 to 64 that
 * covers n (the presets' convs have 1-64 output channels, so no invocation computes a padding column
 * it need not), and up to 256 invocations a workgroup; rm shrinks from 4 to 1 while the dispatch
 * would have fewer than TARGET_WORKGROUPS workgroups. Workgroup memory stays under 9 KiB (WebGPU
 * guarantees 16).
 */
export function gemmTiles(m: number, n: number): GemmTiles {
  let tn = 4;
  while (tn < n && tn < 64) tn *= 2;
  const rn = Math.min(4, tn);
  const threadsN = tn / rn;
  const threadsM = Math.min(64, 256 / threadsN);
  let rm = 4;
  while (rm > 1 && Math.ceil(m / (threadsM * rm)) * Math.ceil(n / tn) < TARGET_WORKGROUPS) rm /= 2;
  const tm = threadsM * rm;
  const tk = tm >= 256 ? 8 : 16;
  return { tm, tn, tk, rm, rn, threads: threadsM * threadsN };
}

/** How many tiles a product of m x n takes. */
export function tileCount(t: GemmTiles, m: number, n: number): number {
  return Math.ceil(m / t.tm) * Math.ceil(n / t.tn);
}

/** The shader key's part naming the tiles. */
export function tilesKey(t: GemmTiles): string {
  return `${t.tm}x${t.tn}x${t.tk}_${t.rm}x${t.rn}`;
}

/** The GEMM's main(), around the caller's functions (`callerCode`). `bKFastest`: B's loads walk k first (where B is contiguous in k). */
export function gemmShader(t: GemmTiles, callerCode: string, bKFastest: boolean): string {
  const { tm, tn, tk, rm, rn, threads } = t;
  const threadsN = tn / rn;
  const rowsPerPass = threads / tk;
  const loadsA = (tm * tk) / threads;
  const loadsB = Math.ceil((tk * tn) / threads);
  // B's element e of the slice: k-major (kk = e / tn) or n-major (n = e / tk); stored k-major either way.
  const bCoords = bKFastest ? 'let bn = e / TK; let bk = e - bn * TK;' : 'let bk = e / TN; let bn = e - bk * TN;';
  return `
  const TM = ${tm};
  const TN = ${tn};
  const TK = ${tk};
  const RM = ${rm};
  const RN = ${rn};
  const THREADS = ${threads};
  const THREADS_N = ${threadsN};
  const ROWS_PER_PASS = ${rowsPerPass};
  const LOADS_A = ${loadsA};
  const LOADS_B = ${loadsB};

  var<workgroup> tileA : array<f32, ${tk * tm}>;
  var<workgroup> tileB : array<f32, ${tk * tn}>;
  var<workgroup> gemmTileIndex : i32;

  ${callerCode}

  fn main(index : i32) {
    let local = i32(localIndex);
    if (local == 0) {
      gemmTileIndex = ${WORKGROUP_INDEX};
    }
    let tile = workgroupUniformLoad(&gemmTileIndex);
    if (tile >= uniforms.gemmTiles) {
      return;
    }
    let g = gemmGroup(tile);
    let t = tile - g.first;
    let tileM = t / uniforms.gemmTilesN;
    let m0 = tileM * TM;
    let n0 = (t - tileM * uniforms.gemmTilesN) * TN;

    // This invocation loads column kk of every A slice, for the same LOADS_A rows each time.
    let kk = local % TK;
    let firstRow = local / TK;
    var rows : array<vec4<i32>, LOADS_A>;
    var rowOk : array<bool, LOADS_A>;
    for (var i = 0; i < LOADS_A; i = i + 1) {
      let m = m0 + firstRow + i * ROWS_PER_PASS;
      rowOk[i] = m < g.m;
      if (rowOk[i]) {
        rows[i] = rowOf(g, m);
      }
    }

    let tmi = local / THREADS_N;
    let tni = local - tmi * THREADS_N;
    var acc : array<f32, ${rm * rn}>;
    for (var k0 = g.kStart; k0 < g.kEnd; k0 = k0 + TK) {
      let k = k0 + kk;
      let col = colOf(g, k);
      for (var i = 0; i < LOADS_A; i = i + 1) {
        var v = 0.0;
        if (rowOk[i] && k < g.kEnd) {
          v = loadA(g, rows[i], col);
        }
        tileA[kk * TM + firstRow + i * ROWS_PER_PASS] = v;
      }
      for (var i = 0; i < LOADS_B; i = i + 1) {
        let e = local + i * THREADS;
        if (e < TK * TN) {
          ${bCoords}
          var v = 0.0;
          if (k0 + bk < g.kEnd && n0 + bn < uniforms.gemmN) {
            v = loadB(g, k0 + bk, n0 + bn);
          }
          tileB[bk * TN + bn] = v;
        }
      }
      workgroupBarrier();
      for (var j = 0; j < TK; j = j + 1) {
        var a : array<f32, RM>;
        for (var r = 0; r < RM; r = r + 1) {
          a[r] = tileA[j * TM + tmi * RM + r];
        }
        for (var c = 0; c < RN; c = c + 1) {
          let b = tileB[j * TN + tni * RN + c];
          for (var r = 0; r < RM; r = r + 1) {
            acc[r * RN + c] = fma(a[r], b, acc[r * RN + c]);
          }
        }
      }
      workgroupBarrier();
    }
    for (var r = 0; r < RM; r = r + 1) {
      let m = m0 + tmi * RM + r;
      for (var c = 0; c < RN; c = c + 1) {
        let n = n0 + tni * RN + c;
        if (m < g.m && n < uniforms.gemmN) {
          store(g, m, n, acc[r * RN + c]);
        }
      }
    }
  }`;
}

/** A GEMM program over `tiles` tiles, one workgroup each. */
export function gemmProgram(outputShape: number[], shaderKey: string, variableNames: string[], uniforms: string, t: GemmTiles, tiles: number, userCode: string): WebgpuProgram {
  return {
    outputShape,
    shaderKey: `${shaderKey}_${tilesKey(t)}`,
    variableNames,
    uniforms: `${uniforms} gemmTiles : i32, gemmN : i32, gemmTilesN : i32,`,
    workgroupSize: [t.threads, 1, 1],
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [tiles, 1, 1],
    getUserCode: () => userCode,
  };
}
