import { describe, expect, it } from 'vitest';
import { DEFAULT_RUN_SORT, postprocessOffer, runActions, sortRuns, toggleSort } from '../../src-renderer/workflows/runTable';
import { runPostprocess, summary } from './fixtures';

describe('runs table', () => {
  const a = summary({ id: 'a', name: 'Beta', createdAt: 3, best: { epoch: 1, score: 0.5, metric: 'valScore' }, status: 'done' });
  const b = summary({ id: 'b', name: 'alpha', createdAt: 2, best: null, status: 'running' });
  const c = summary({ id: 'c', name: 'gamma', createdAt: 1, best: { epoch: 0, score: 0.7, metric: 'valScore' }, status: 'failed' });
  const ids = (rs: { id: string }[]) => rs.map((r) => r.id);

  it('sorts newest first by default, and names case-insensitively', () => {
    expect(ids(sortRuns([c, a, b], DEFAULT_RUN_SORT))).toEqual(['a', 'b', 'c']);
    expect(ids(sortRuns([a, b, c], { column: 'name', desc: false }))).toEqual(['b', 'a', 'c']);
  });

  it('puts runs without a best score last in both directions', () => {
    expect(ids(sortRuns([a, b, c], { column: 'best', desc: true }))).toEqual(['c', 'a', 'b']);
    expect(ids(sortRuns([a, b, c], { column: 'best', desc: false }))).toEqual(['a', 'c', 'b']);
  });

  it('sorts live runs first by status', () => {
    expect(ids(sortRuns([a, b, c], { column: 'status', desc: false }))).toEqual(['b', 'c', 'a']);
  });

  it('flips the same column and starts a new one descending (text ascending)', () => {
    expect(toggleSort({ column: 'best', desc: true }, 'best')).toEqual({ column: 'best', desc: false });
    expect(toggleSort({ column: 'best', desc: true }, 'duration')).toEqual({ column: 'duration', desc: true });
    expect(toggleSort({ column: 'best', desc: true }, 'name')).toEqual({ column: 'name', desc: false });
  });

  it('offers only the actions the lab allows in each status', () => {
    const ckpt = { epoch: 1, step: 10 };
    expect(runActions({ status: 'running', lastCheckpoint: null })).toEqual({ stop: true, pause: true, resume: false, delete: false });
    expect(runActions({ status: 'paused', lastCheckpoint: null })).toEqual({ stop: true, pause: false, resume: true, delete: false });
    expect(runActions({ status: 'queued', lastCheckpoint: null })).toEqual({ stop: true, pause: false, resume: false, delete: true });
    expect(runActions({ status: 'interrupted', lastCheckpoint: ckpt }).resume).toBe(true);
    expect(runActions({ status: 'interrupted', lastCheckpoint: null }).resume).toBe(false);
    expect(runActions({ status: 'done', lastCheckpoint: ckpt })).toEqual({ stop: false, pause: false, resume: false, delete: true });
  });

  it('offers to choose the post-processing of an ended run with an epoch and validation images, and to choose it again', () => {
    const best = { epoch: 0, score: 0.5, metric: 'valScore' as const };
    const run = { id: 'r', status: 'stopped' as const, epochsDone: 1, best, postprocess: null, split: { train: ['t'], val: ['v'], test: [] } };
    expect(postprocessOffer(run)).toBe('choose');
    expect(postprocessOffer({ ...run, postprocess: runPostprocess() })).toBe('again');
    for (const status of ['done', 'interrupted', 'failed'] as const) expect(postprocessOffer({ ...run, status })).toBe('choose');
    // Not while it trains or waits to (the lab refuses it then), nor with nothing to choose from.
    for (const status of ['running', 'paused', 'queued'] as const) expect(postprocessOffer({ ...run, status, postprocess: runPostprocess() })).toBeNull();
    expect(postprocessOffer({ ...run, epochsDone: 0, best: null })).toBeNull();
    expect(postprocessOffer({ ...run, best: null })).toBeNull();
    expect(postprocessOffer({ ...run, split: { ...run.split, val: [] } })).toBeNull();
  });
});
