/** Reading numbers typed into forms. */

/** `raw` as a whole number in [min, max], or the message that says what is wrong with it. */
export function wholeNumber(raw: string, what: string, min: number, max: number): number | string {
  const t = raw.trim();
  if (!/^\d+$/.test(t)) return `${what} must be a whole number`;
  const n = Number(t);
  if (n < min) return `${what} must be at least ${min}`;
  if (n > max) return `${what} must be at most ${max}`;
  return n;
}
