/** Number formats of the designer's summary: counts, multiply-adds in short SI form (bytes: formatBytes in format.ts). */

/** 1234 -> "1,234"; 12_345_678 -> "12.3 M"; 4.2e9 -> "4.20 G". */
export function shortCount(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (a >= 1e7) return `${(n / 1e6).toFixed(1)} M`;
  return n.toLocaleString('en-US');
}
