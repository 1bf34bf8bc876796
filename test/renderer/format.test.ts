import { describe, expect, it } from 'vitest';
import { formatBackend, formatBytes, formatCount, formatDuration, formatMetric, formatPercent } from '../../src-renderer/workflows/format';
import { pageInfo } from '../../src-renderer/workflows/paging';

describe('formatting', () => {
  it('reads durations at the right grain', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(12_400)).toBe('12s');
    expect(formatDuration(185_000)).toBe('3m 05s');
    expect(formatDuration(3_720_000)).toBe('1h 02m');
  });

  it('keeps NaN visible instead of hiding a diverged metric', () => {
    expect(formatMetric(Number.NaN)).toBe('NaN');
    expect(formatMetric(0.123456)).toBe('0.1235');
    expect(formatMetric(null)).toBe('—');
  });

  it('writes bytes in decimal units, one way for the setup form and the designer', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(340_000)).toBe('340 kB');
    expect(formatBytes(12_345_678)).toBe('12.3 MB');
    expect(formatBytes(1.2e9)).toBe('1.20 GB');
    expect(formatBytes(Number.NaN)).toBe('—');
  });

  it('writes percentages, backends and counts', () => {
    expect(formatPercent(0.456)).toBe('46%');
    expect(formatPercent(0.083)).toBe('8.3%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatBackend({ name: 'wasm', detail: '1 thread · SIMD', threads: 1 })).toBe('wasm · 1 thread · SIMD');
    expect(formatBackend({ name: 'cpu', detail: '', threads: 1 })).toBe('cpu');
    expect(formatCount(12345)).toBe('12\u202f345');
  });
});

describe('paging', () => {
  it('computes the page window, clamped into range', () => {
    expect(pageInfo(400, 24, 1)).toEqual({ page: 1, pages: 17, offset: 24, first: 25, last: 48 });
    expect(pageInfo(400, 24, 99)).toEqual({ page: 16, pages: 17, offset: 384, first: 385, last: 400 });
    expect(pageInfo(0, 24, 3)).toEqual({ page: 0, pages: 1, offset: 0, first: 0, last: 0 });
  });
});
