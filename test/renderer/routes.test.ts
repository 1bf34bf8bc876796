import { describe, expect, it } from 'vitest';
import { parseHash, routeHash, viewForShortcut, VIEWS, type Route } from '../../src-renderer/workflows/routes';

describe('hash routes', () => {
  it('reads every view and the open run', () => {
    expect(parseHash('#/data')).toEqual({ view: 'data' });
    expect(parseHash('#/masks')).toEqual({ view: 'masks' });
    expect(parseHash('#/runs')).toEqual({ view: 'runs', runId: null });
    expect(parseHash('#/runs/20250607-153012-123-k3j9x2')).toEqual({ view: 'runs', runId: '20250607-153012-123-k3j9x2' });
  });

  it('falls back to Data for empty, unknown or malformed hashes', () => {
    for (const h of ['', '#', '#/', '#/nope', '#/runsx/1']) expect(parseHash(h)).toEqual({ view: 'data' });
    expect(parseHash('#/runs/%E0%A4%A')).toEqual({ view: 'runs', runId: null });
  });

  it('writes hashes that read back to the same route', () => {
    const routes: Route[] = [
      { view: 'data' },
      { view: 'designer' },
      { view: 'runs', runId: null },
      { view: 'runs', runId: 'a b/c' },
      { view: 'training' },
      { view: 'training', design: { kind: 'saved', id: 'd-1 x' } },
      { view: 'training', design: { kind: 'preset', name: 'fig2' } },
    ];
    for (const r of routes) expect(parseHash(routeHash(r))).toEqual(r);
    expect(routeHash({ view: 'runs', runId: 'a b/c' })).toBe('#/runs/a%20b%2Fc');
  });

  it('reads the design the Designer sends to the training setup', () => {
    expect(parseHash('#/training?design=abc')).toEqual({ view: 'training', design: { kind: 'saved', id: 'abc' } });
    expect(parseHash('#/training?preset=fig3')).toEqual({ view: 'training', design: { kind: 'preset', name: 'fig3' } });
    expect(parseHash('#/training?other=1')).toEqual({ view: 'training' });
  });

  it('maps Alt+1..5 to the views in navigation order, and nothing else', () => {
    const k = (key: string, mods: Partial<{ altKey: boolean; ctrlKey: boolean; metaKey: boolean }> = {}) => ({ altKey: true, ctrlKey: false, metaKey: false, key, ...mods });
    expect(VIEWS.map((_, i) => viewForShortcut(k(String(i + 1))))).toEqual(['data', 'designer', 'training', 'masks', 'runs']);
    expect(viewForShortcut(k('6'))).toBeNull();
    expect(viewForShortcut(k('0'))).toBeNull();
    expect(viewForShortcut(k('1', { altKey: false }))).toBeNull();
    expect(viewForShortcut(k('1', { ctrlKey: true }))).toBeNull();
    expect(viewForShortcut(k('1', { metaKey: true }))).toBeNull();
    expect(viewForShortcut(k('a'))).toBeNull();
  });

  it('reads the physical key, so macOS Option+1 ("¡") and the numpad still navigate', () => {
    const mac = (key: string, code: string) => ({ altKey: true, ctrlKey: false, metaKey: false, key, code });
    // Option+1..5 on a US Mac layout types ¡ ™ £ ¢ ∞.
    expect(['¡', '™', '£', '¢', '∞'].map((key, i) => viewForShortcut(mac(key, `Digit${i + 1}`)))).toEqual(['data', 'designer', 'training', 'masks', 'runs']);
    expect(viewForShortcut(mac('1', 'Numpad1'))).toBe('data');
    expect(viewForShortcut(mac('End', 'Numpad1'))).toBe('data');
    expect(viewForShortcut(mac('§', 'Digit6'))).toBeNull();
    // A digit code wins over the typed character (an AZERTY "&" on Digit1 is still 1); a key whose
    // code is no digit, or an event without a code (a synthetic one), is read by its character.
    expect(viewForShortcut(mac('&', 'Digit1'))).toBe('data');
    expect(viewForShortcut(mac('3', 'KeyQ'))).toBe('training');
    expect(viewForShortcut(mac('2', ''))).toBe('designer');
    expect(viewForShortcut(mac('¡', ''))).toBeNull();
  });
});
