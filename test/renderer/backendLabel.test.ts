import { describe, expect, it } from 'vitest';
import type { BackendInfo } from '../../shared/api/types';
import { backendDetails, backendLabel } from '../../src-renderer/workflows/backendLabel';

const wasm = { name: 'wasm', detail: '2 threads · SIMD', threads: 2 };
const cpu = { name: 'cpu', detail: 'plain JavaScript', threads: 1 };
const info = (over: Partial<BackendInfo>): BackendInfo => ({ last: null, note: 'chosen per run', available: null, probeProblem: null, ...over });

describe('the backend the app names', () => {
  it('prefers the live run, then the probe, then the last run', () => {
    const both = info({ available: { backend: wasm, skipped: [] }, last: { runId: 'r1', startedAt: 1, backend: cpu } });
    expect(backendLabel(both, 'tfjs-node-gpu · CUDA')).toBe('tfjs-node-gpu · CUDA');
    expect(backendLabel(both, null)).toContain('wasm');
    expect(backendLabel(info({ last: { runId: 'r1', startedAt: 1, backend: cpu } }), null)).toContain('cpu');
  });

  it('says it is still checking, or that the check failed', () => {
    expect(backendLabel(null, null)).toBe('backend: checking...');
    expect(backendLabel(info({ probeProblem: 'no wasm' }), null)).toBe('backend: unknown (see details)');
  });

  it('explains skipped backends and failures in the details', () => {
    const d = backendDetails(info({ available: { backend: wasm, skipped: [{ name: 'tfjs-node', reason: 'not installed' }] } }));
    expect(d).toContain('tfjs-node skipped: not installed.');
    expect(backendDetails(info({ probeProblem: 'timeout' }))).toContain('The backend check failed: timeout.');
  });
});
