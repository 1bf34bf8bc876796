/**
 * The two batch-axis transposes the filter gradient needs, as plain loops over the wasm heap.
 * tfjs-backend-wasm's generic Transpose kernel takes ~5x longer on these shapes; these loops read
 * whole channel runs and write whole cache lines of the batch axis.
 */

/** [N, P, C] -> [C, P, N]: the batch becomes the innermost (channel) axis and the channels the outermost. */
export function batchInnermost(src: Float32Array, dst: Float32Array, n: number, p: number, c: number): void {
  // p outermost: for one pixel the N·C block is read from N runs and written to C runs of N.
  for (let i = 0; i < p; i++) {
    for (let b = 0; b < n; b++) {
      const s = (b * p + i) * c;
      let d = i * n + b;
      for (let k = 0; k < c; k++, d += p * n) dst[d] = src[s + k] ?? 0;
    }
  }
}

/** [N, P, C] -> [P, N, C]: pixels outermost, each pixel's channel run kept whole. */
export function pixelsOutermost(src: Float32Array, dst: Float32Array, n: number, p: number, c: number): void {
  for (let i = 0; i < p; i++) {
    for (let b = 0; b < n; b++) {
      const s = (b * p + i) * c;
      const d = (i * n + b) * c;
      for (let k = 0; k < c; k++) dst[d + k] = src[s + k] ?? 0;
    }
  }
}
