import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileKernels, GENERATED_FILE } from '../../src-main/build/wasmKernels';
import { splitRows } from '../../src-main/training/wasm/simd-kernels';

describe('SIMD kernels', () => {
  it('the committed kernels.generated.ts is what kernels.wat compiles to', async () => {
    expect(readFileSync(GENERATED_FILE, 'utf8')).toBe(await compileKernels());
  });

  it('splits rows into contiguous, covering ranges of at least the minimum', () => {
    expect(splitRows(10, 2, 1)).toEqual([
      [0, 5],
      [5, 10],
    ]);
    expect(splitRows(7, 3, 2)).toEqual([
      [0, 2],
      [2, 4],
      [4, 7],
    ]);
    // Too few rows for two threads: one range.
    expect(splitRows(5, 2, 4)).toEqual([[0, 5]]);
    expect(splitRows(0, 4, 1)).toEqual([[0, 0]]);
    for (const [rows, parts, min] of [
      [3232, 2, 8],
      [101, 8, 16],
      [1, 2, 1],
    ] as const) {
      const r = splitRows(rows, parts, min);
      expect(r[0]?.[0]).toBe(0);
      expect(r.at(-1)?.[1]).toBe(rows);
      for (let k = 1; k < r.length; k++) expect(r[k]?.[0]).toBe(r[k - 1]?.[1]);
      if (r.length > 1) for (const [a, b] of r) expect(b - a).toBeGreaterThanOrEqual(min);
    }
  });
});
