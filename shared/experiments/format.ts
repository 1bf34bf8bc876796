/**
 * Numbers as an experiment's report and the lab's experiment view print them, so that both read the
 * same: 4 decimals, `—` for none, mean ± std, intervals in brackets.
 */
import type { Interval } from '../metrics/groupComparison';
import type { Stats } from '../metrics/seedGroups';

/** 4 decimals, `—` for none; a value that rounds to zero is 0.0000 whatever its sign. */
export function num(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const s = v.toFixed(4);
  return s === '-0.0000' ? '0.0000' : s;
}

/** {@link num} with its sign: `+0.0100`, `-0.0900`. */
export function signed(v: number): string {
  const n = num(v);
  return n.startsWith('-') || n === '—' ? n : `+${n}`;
}

/** `mean ± std` of a metric's statistics, `—` without; one value has no spread to give: `0.5500 (1 run)`. */
export function meanStd(s: Stats | null): string {
  if (!s) return '—';
  return s.n === 1 ? `${num(s.mean)} (1 run)` : `${num(s.mean)} ± ${num(s.std)}`;
}

/** `[low, high]`, `—` without. */
export function intervalText(i: Pick<Interval, 'low' | 'high'> | null): string {
  return i ? `[${num(i.low)}, ${num(i.high)}]` : '—';
}
