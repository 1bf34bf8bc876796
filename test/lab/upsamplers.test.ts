/** The designer's checkerboard test at initialisation, through the lab (a real trainer process). */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getPreset } from '../../shared/arch';
import { LabService } from '../../src-main/lab/service';

const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-ups-'));
const lab = LabService.open({ dataDir: dir, runsDir: path.join(dir, 'runs') });
const preset = (name: string) => {
  const arch = getPreset(name);
  if (!arch) throw new Error(`no preset ${name}`);
  return { ...arch };
};
afterAll(async () => {
  await lab.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('upsampler responses', () => {
  it('feeds every upsampler a constant, an impulse and noise and scores each output', async () => {
    const r = await lab.upsamplerResponses({ arch: preset('small'), seed: 1 });
    expect(r.map((x) => `${x.nodeId}:${x.input}`)).toEqual(['up2', 'up1', 'up0'].flatMap((n) => ['constant', 'impulse', 'noise'].map((i) => `${n}:${i}`)));
    const sizes: Record<string, number> = { up2: 26, up1: 51, up0: 101 };
    for (const x of r) {
      expect(x.height).toBe(sizes[x.nodeId]);
      expect(x.map).toHaveLength(x.height * x.width);
      expect(x.score).toBeGreaterThanOrEqual(0);
      expect(x.score).toBeLessThanOrEqual(1);
    }
    // A 3x3 stride-2 transposed conv turns a constant into a period-2 pattern: the note's checkerboard.
    for (const x of r.filter((y) => y.input === 'constant')) expect(x.score).toBeGreaterThan(0.5);
  });

  it('refuses an invalid design with its problems', async () => {
    const bad = { ...preset('tiny'), edges: [] };
    await expect(lab.upsamplerResponses({ arch: bad, seed: 1 })).rejects.toThrow(/design is invalid/);
  });
});
