/**
 * How many kernel taps land inside the image, on average, for TensorFlow's 'same' padding. The
 * note's rule takes every conv to sum k*k*C_in terms; at the borders fewer taps see the image, and a
 * stride-2 transposed conv sums only k*k/4 of them per output pixel on average (its sub-kernels).
 * The analysis uses these counts when asked for the exact fan instead of the note's.
 */

function checkSize(label: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${label} must be a positive whole number, got ${v}`);
}

/** TensorFlow's 'same' padding before the first pixel, for a conv from `inSize` at `stride`. */
export function samePadBefore(inSize: number, kernel: number, stride: number): number {
  const out = Math.ceil(inSize / stride);
  return Math.floor(Math.max((out - 1) * stride + kernel - inSize, 0) / 2);
}

/** Mean number of in-image taps per output position of a 1-D 'same' conv of size `inSize`. */
export function meanConvTaps(inSize: number, kernel: number, stride: number): number {
  checkSize('inSize', inSize);
  checkSize('kernel', kernel);
  checkSize('stride', stride);
  const out = Math.ceil(inSize / stride);
  const pad = samePadBefore(inSize, kernel, stride);
  let taps = 0;
  for (let o = 0; o < out; o++) {
    for (let j = 0; j < kernel; j++) {
      const i = o * stride - pad + j;
      if (i >= 0 && i < inSize) taps++;
    }
  }
  return taps / out;
}

/**
 * Mean number of taps per output position of a 1-D 'same' transposed conv to `outSize`: the adjoint
 * of a 'same' conv from `outSize` at `stride`, as tfjs computes it.
 */
export function meanTransposedTaps(outSize: number, kernel: number, stride: number): number {
  checkSize('outSize', outSize);
  checkSize('kernel', kernel);
  checkSize('stride', stride);
  const inSize = Math.ceil(outSize / stride);
  const pad = samePadBefore(outSize, kernel, stride);
  // Each (input position, tap) pair inside the output feeds exactly one output position.
  let pairs = 0;
  for (let o = 0; o < inSize; o++) {
    for (let j = 0; j < kernel; j++) {
      const p = o * stride - pad + j;
      if (p >= 0 && p < outSize) pairs++;
    }
  }
  return pairs / outSize;
}
