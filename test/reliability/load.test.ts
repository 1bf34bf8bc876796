/**
 * Load on the main side: a fake trainer PROCESS streams 36,000 batch messages (20 a second for 30
 * minutes, sent as fast as IPC takes them) through the lab service to its subscribers. The lab runs in
 * a child process with `--expose-gc`, so the heap is measured after full collections.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths';
import { scratchDir } from '../lab/helpers';

interface LoadResult {
  before: number;
  after: number;
  samples: number[];
  received: number;
  inOrder: boolean;
  changes: number;
}

describe('relaying a long run', () => {
  it('delivers 36,000 trainer messages in order with a flat heap', () => {
    const home = scratchDir('load');
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(REPO_ROOT, 'test/reliability/fixtures/relayLoad.ts'), home], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as LoadResult;
    expect(out.received).toBe(36_000);
    expect(out.inOrder).toBe(true);
    // Created, then the status changes: the relay does not turn batches into run-list changes.
    expect(out.changes).toBeLessThan(10);
    // Bound: 4 MiB over the whole run, i.e. under 120 bytes per message; a relay that kept every
    // message (~300 bytes each as objects) would grow by 10 MiB or more. Measured here: under 1 MiB.
    const MiB = 1024 * 1024;
    expect(out.after - out.before).toBeLessThan(4 * MiB);
    // Flat while streaming: the heap after 6,000 messages and after 36,000 differ by under 2 MiB.
    expect(out.samples).toHaveLength(6);
    expect(Math.max(...out.samples) - Math.min(...out.samples)).toBeLessThan(2 * MiB);
  });
});
