/**
 * The experiment files of docs/experiments/ (the note's claims), loaded and planned as `strata
 * experiment run` plans them (the data itself is checked by each file's dry run, see scale.md):
 * every one holds out the project's test ids, none describes the augmentation as anything but the
 * h-flip alone or states the training counts of a split without the test ids, and claim 4's
 * "3x3/2 transposed conv followed by two 3x3 convs" has its two convs in the upsamplers alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIdList } from '../../shared/runs/request';
import { loadExperiment } from '../../src-main/experiments/load';
import { REPO_ROOT, TGS_DIR } from '../helpers/paths';

const dir = path.join(REPO_ROOT, 'docs/experiments');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const testIds = parseIdList(fs.readFileSync(path.join(REPO_ROOT, 'docs/tgs-test-ids.txt'), 'utf8'));

describe('the experiment files of docs/experiments', () => {
  it('are eight, each planned with the project\'s 400 held-out test ids', async () => {
    expect(files).toHaveLength(8);
    expect(testIds).toHaveLength(400);
    for (const f of files) {
      const loaded = await loadExperiment(path.join(dir, f));
      expect(loaded.plan.experiment.data.testIds, f).toBe('../tgs-test-ids.txt');
      for (const run of loaded.plan.runs) expect(run.request.testIds, `${f} ${run.group}`).toEqual(testIds);
    }
  });

  it('describe the split with its test images, adding up to the subset, and the augmentation as the h-flip alone', () => {
    // The TGS ids by id, as a folder subset takes its first N.
    const ids = fs.readdirSync(path.join(TGS_DIR, 'images')).map((f) => f.replace(/\.png$/, '')).sort();
    for (const f of files) {
      const raw = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { description: string; data: { subset: number } };
      const m = /(\d+) training, (\d+) validation and (\d+) test/.exec(raw.description);
      expect(m, f).not.toBeNull();
      const [train, val, test] = (m as RegExpExecArray).slice(1, 4).map(Number) as [number, number, number];
      const held = new Set(testIds);
      expect([train + val + test, test], f).toEqual([raw.data.subset, ids.slice(0, raw.data.subset).filter((id) => held.has(id)).length]);
      expect(raw.description, f).not.toMatch(/shift|zoom|brightness|contrast/);
    }
  });

  it("give claim 4's t3x3-2conv level its two 3x3 convs in the upsamplers alone", async () => {
    const { plan } = await loadExperiment(path.join(dir, 'checkerboard-kernels.json'));
    const convs = plan.groups.map((g) => [g.key, g.arch.nodes.flatMap((n) => (n.kind === 'down' || n.kind === 'up' ? [`${n.id}:${n.convs}`] : []))]);
    expect(convs).toEqual([
      ['t5x5', ['down0:0', 'down1:0', 'down2:0', 'up2:0', 'up1:0', 'up0:0']],
      ['t3x3', ['down0:0', 'down1:0', 'down2:0', 'up2:0', 'up1:0', 'up0:0']],
      ['t3x3-2conv', ['down0:0', 'down1:0', 'down2:0', 'up2:2', 'up1:2', 'up0:2']],
    ]);
  });
});
