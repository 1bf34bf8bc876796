import { describe, expect, it } from 'vitest';
import { countProblems, filterProblems, problemWhere } from '../../src-renderer/workflows/problems';
import { problem } from './fixtures';

describe('import problems', () => {
  const list = [problem('warning', 'images/b.png'), problem('error', 'train.csv', 12), problem('error', 'images/a.png'), problem('error', 'train.csv', 3)];

  it('counts by severity', () => {
    expect(countProblems(list)).toEqual({ error: 3, warning: 1 });
    expect(countProblems([])).toEqual({ error: 0, warning: 0 });
  });

  it('filters, and orders errors first, then by file and line', () => {
    expect(filterProblems(list, 'all').map(problemWhere)).toEqual(['images/a.png', 'train.csv:3', 'train.csv:12', 'images/b.png']);
    expect(filterProblems(list, 'warning').map(problemWhere)).toEqual(['images/b.png']);
    expect(filterProblems(list, 'error')).toHaveLength(3);
  });
});
