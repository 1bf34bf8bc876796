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
  });
});
