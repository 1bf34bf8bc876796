import { describe, expect, it } from 'vitest';
import { cleanPath, IMPORT_IDLE, importReducer, pathProblem } from '../../src-renderer/workflows/importFlow';
import { entry } from './fixtures';

describe('import workflow', () => {
  it('goes idle → importing → done, timing the import', () => {
    const s1 = importReducer(IMPORT_IDLE, { type: 'start', path: '/d', at: 1_000 });
    expect(s1).toEqual({ phase: 'importing', path: '/d', startedAt: 1_000 });
    const e = entry('d');
    const s2 = importReducer(s1, { type: 'succeeded', entry: e, at: 3_500 });
    expect(s2).toEqual({ phase: 'done', path: '/d', entry: e, seconds: 2.5 });
    expect(importReducer(s2, { type: 'dismiss' })).toEqual(IMPORT_IDLE);
  });

  it('keeps the refusal and its path', () => {
    const s = importReducer(importReducer(IMPORT_IDLE, { type: 'start', path: '/x', at: 0 }), { type: 'failed', message: 'there is no folder at /x' });
    expect(s).toEqual({ phase: 'failed', path: '/x', message: 'there is no folder at /x' });
  });

  it('ignores a second start and results that arrive for no running import', () => {
    const running = importReducer(IMPORT_IDLE, { type: 'start', path: '/a', at: 0 });
    expect(importReducer(running, { type: 'start', path: '/b', at: 1 })).toBe(running);
    expect(importReducer(running, { type: 'dismiss' })).toBe(running);
    expect(importReducer(IMPORT_IDLE, { type: 'succeeded', entry: entry('a'), at: 1 })).toBe(IMPORT_IDLE);
    expect(importReducer(IMPORT_IDLE, { type: 'failed', message: 'x' })).toBe(IMPORT_IDLE);
  });

  it('says what is wrong with a path before sending it', () => {
    expect(pathProblem('')).toMatch(/absolute path/);
    expect(pathProblem('data/tgs')).toMatch(/must be absolute/);
    expect(pathProblem('/data/../etc')).toMatch(/\.\. segments/);
    expect(pathProblem('/data/tgs/train')).toBeNull();
    expect(pathProblem('C:\\data\\tgs')).toBeNull();
  });

  it('strips the quotes and blanks a pasted path carries', () => {
    expect(cleanPath('  "/data/my tgs"  ')).toBe('/data/my tgs');
    expect(cleanPath("'/x'")).toBe('/x');
    expect(cleanPath('/x"')).toBe('/x"');
  });
});
