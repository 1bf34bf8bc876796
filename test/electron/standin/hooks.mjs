/** Module resolution hook: the specifier `electron` resolves to the stand-in next to this file. */
import { URL } from 'node:url';

const STANDIN = new URL('./electron.mjs', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'electron') return { url: STANDIN, format: 'module', shortCircuit: true };
  return nextResolve(specifier, context);
}
