/** How numbers, times and backends read in the UI. */
import { isOpenEnded } from '../../shared/runs/request';
import type { RunBackend } from '../../shared/runs/types';

/** "1h 02m", "3m 05s", "12s", or "—" for nothing. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Local date and time, "2025-06-07 15:30", or "—". */
export function formatTime(t: number | null): string {
  if (t === null || !Number.isFinite(t)) return '—';
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** A metric to `digits` decimals; NaN (a diverged or missing value) reads "NaN", null "—". */
export function formatMetric(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined) return '—';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  return v.toFixed(digits);
}

/** A fraction as a percentage, "45%" (one decimal below 10%). */
export function formatPercent(f: number): string {
  if (!Number.isFinite(f)) return '—';
  const pct = f * 100;
  return `${pct < 10 && pct > 0 ? pct.toFixed(1) : Math.round(pct)}%`;
}

/** "wasm · 1 thread · SIMD": the backend's name and the detail the trainer reported. */
export function formatBackend(b: RunBackend): string {
  return b.detail ? `${b.name} · ${b.detail}` : b.name;
}

/** Seconds left as "ETA 3m 05s", or "" when unknown. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '';
  return `ETA ${formatDuration(seconds * 1000)}`;
}

/** A count with thousands separated, "12 345". */
export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
}

/**
 * Bytes in decimal units, everywhere in the UI: "512 B", "340 kB", "12.3 MB", "1.20 GB" (the
 * setup form and the designer show the same memory the same way).
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '—';
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${Math.round(bytes / 1e3)} kB`;
  return `${Math.round(bytes)} B`;
}

/** "3/10" epochs done of a run's total; "3/–" for a run that trains until its time budget ends it. */
export function formatEpochs(done: number, total: number): string {
  return `${done}/${isOpenEnded(total) ? '–' : total}`;
}
