/**
 * The experiment files of docs/experiments/ (the note's claims), loaded and planned as `strata
 * experiment run` plans them (the data itself is checked by each file's dry run, see scale.md):
 * every one holds out the project's test ids, none describes the augmentation as anything but the
 * h-flip alone or states the training counts of a split without the test ids (nor a split, a subset,
 * a step count or a number of runs other than what it plans), every run has at least 800 optimizer
 * steps (at 350 to 525, init.json's version 1 never left the all-empty start), and claim 4's
 * "3x3/2 transposed conv followed by two 3x3 convs" has its two convs in the upsamplers alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIdList } from '../../shared/runs/request';
import { buildSummary } from '../../src-main/cli/commands/experimentSummary';
import { loadExperiment } from '../../src-main/experiments/load';
import { REPO_ROOT, TGS_DIR } from '../helpers/paths';

/** Fewer steps than this leave a run on the all-empty start (docs/experiments/scale.md, common section). */
const MIN_STEPS = 800;

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

  it('describe the split with its test images, as planned and adding up to the subset, and the augmentation as the h-flip alone', async () => {
    // The TGS ids by id, as a folder subset takes its first N.
    const ids = fs.readdirSync(path.join(TGS_DIR, 'images')).map((f) => f.replace(/\.png$/, '')).sort();
    const held = new Set(testIds);
    for (const f of files) {
      const { plan } = await loadExperiment(path.join(dir, f));
      const { description, data } = plan.experiment;
      const subset = data.subset as number;
      expect(subset, f).toBeGreaterThan(0);
      expect(/the first (\d+) TGS images/.exec(description)?.[1], f).toBe(String(subset));
      const m = /(\d+) training, (\d+) validation and (\d+) test/.exec(description);
      expect(m, f).not.toBeNull();
      const [train, val, test] = (m as RegExpExecArray).slice(1, 4).map(Number) as [number, number, number];
      expect([train + val + test, test], f).toEqual([subset, ids.slice(0, subset).filter((id) => held.has(id)).length]);
      // The split draws round(N x valFraction) of the N images for validation (src-main/data/split.ts).
      for (const run of plan.runs) expect([run.request.subset, val], `${f} ${run.group} seed ${run.seed}`).toEqual([subset, Math.round(subset * run.request.config.valFraction)]);
      expect(description, f).not.toMatch(/shift|zoom|brightness|contrast/);
    }
  });

  it(`plan at least ${MIN_STEPS} optimizer steps a run, the steps and the runs their descriptions state`, async () => {
    for (const f of files) {
      const { plan } = await loadExperiment(path.join(dir, f));
      const { description } = plan.experiment;
      const train = Number(/(\d+) training, \d+ validation/.exec(description)?.[1]);
      const runs = /(\d+) groups x (\d+) seeds = (\d+) runs/.exec(description);
      expect(runs?.slice(1, 4).map(Number), f).toEqual([plan.groups.length, plan.experiment.seeds.length, plan.runs.length]);
      for (const run of plan.runs) {
        const { batch, epochs } = run.request.config;
        const steps = (epochs as number) * Math.ceil(train / batch);
        const where = `${f} ${run.group} seed ${run.seed}: ${epochs} epochs of ${train} images in batches of ${batch}`;
        expect(steps, where).toBeGreaterThanOrEqual(MIN_STEPS);
        // Exactly ("966 steps of 16"), else rounded ("about 830 steps a run", init.json's).
        const exact = new RegExp(`(\\d+) steps of ${batch}\\b`).exec(description);
        const about = /about (\d+) steps a run/.exec(description);
        expect(exact ?? about, `${where}: no step count stated`).not.toBeNull();
        if (exact) expect(Number(exact[1]), where).toBe(steps);
        else expect(Math.abs(Number(about?.[1]) / steps - 1), where).toBeLessThan(0.01);
      }
    }
  });

  it('have a summary page that is what `strata experiment summary docs/experiments` makes of the committed digests', () => {
    const out = path.join(dir, 'summary.md');
    const { markdown, entries } = buildSummary({ dir, reportsDir: path.join(dir, 'reports'), out, command: 'strata experiment summary docs/experiments' });
    expect(entries.map((e) => e.file)).toEqual(files);
    expect(fs.readFileSync(out, 'utf8'), 'docs/experiments/summary.md is stale: run npm run strata -- experiment summary docs/experiments').toBe(markdown);
    // Every digest there has its report beside it.
    for (const e of entries) if (e.digest) expect(fs.existsSync(path.join(dir, 'reports', e.digest.report)), e.file).toBe(true);
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
