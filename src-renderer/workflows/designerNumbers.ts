/** Number formats of the designer's summary: counts, multiply-adds and bytes in short SI form. */

/** 1234 -> "1,234"; 12_345_678 -> "12.3 M"; 4.2e9 -> "4.20 G". */
export function shortCount(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (a >= 1e7) return `${(n / 1e6).toFixed(1)} M`;
  return n.toLocaleString('en-US');
}

/** Bytes in binary units: "512 B", "3.4 MiB", "1.25 GiB". */
export function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
