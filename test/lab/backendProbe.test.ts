/** The lab names the backend before any run: its trainer process probes the selection at open. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LabService } from '../../src-main/lab/service';
import { probeBackendInTrainer } from '../../src-main/lab/trainerHost';

const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-probe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('backend probe', () => {
  it('reports the backend a run would get and why faster ones were skipped', async () => {
    const r = await probeBackendInTrainer({ timeoutMs: 60_000 });
    expect(r.type).toBe('probe-result');
    if (r.type !== 'probe-result') return;
    expect(['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu']).toContain(r.backend.name);
    // Here the native packages are absent, and each skip says why.
    for (const s of r.skipped) expect(s.reason.length).toBeGreaterThan(0);
  });

  it('is in the lab backend info shortly after the lab opens, and the UI is told', async () => {
    const lab = LabService.open({ dataDir: dir, runsDir: path.join(dir, 'runs') });
    try {
      expect(lab.getBackendInfo().available).toBeNull();
      await new Promise<void>((resolve) => {
        const off = lab.onRunsChanged({}, () => {
          off();
          resolve();
        });
      });
      const info = lab.getBackendInfo();
      expect(info.available?.backend.name).toBeTruthy();
      expect(info.probeProblem).toBeNull();
    } finally {
      await lab.close();
    }
  });
});
