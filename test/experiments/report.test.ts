/**
 * `strata experiment report` on a temp store of tagged runs written through the store's API: the
 * Markdown's numbers are the statistics of what the runs stored (hand-worked where the values are
 * chosen for it), the figures are SVG drawn by ECharts, and bad targets are refused by name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { welchInterval } from '../../shared/metrics/groupComparison';
import { summarize } from '../../shared/metrics/seedGroups';
import type { EpochMetric, ExperimentTag, RunRecord } from '../../shared/runs/types';
import { CliError } from '../../src-main/cli/args';
import { experimentReportCommand } from '../../src-main/cli/commands/experimentReport';
import type { RunStore } from '../../src-main/runs/store';
import { loadExperiment } from '../../src-main/experiments/load';
import { cliSandbox, json } from '../helpers/cli';
import { appendEpochsToBest, experimentEpoch } from '../helpers/experimentStore';
import { withStore } from '../helpers/store';
import { sampleInit } from '../runs/sample';

const box = cliSandbox('experiment-report');
const NAME = 'init-claim';

/** Best val scores by group, chosen so that the statistics are worked by hand below. */
const BEST = { glorot_normal: [0.6, 0.62, 0.64], he_normal: [0.5, 0.53, 0.56] } as const;
const SEEDS = [1, 2, 3];

/** A run of the experiment as the runner would leave it: tagged, three epochs (the last the best), then `status`. */
function addRun(s: RunStore, tag: ExperimentTag, best: number, status: 'done' | 'stopped' = 'done'): RunRecord {
  const init = sampleInit({ name: `${tag.name} v${tag.version} ${tag.group} seed ${tag.seed}`, experiment: tag });
  const run = s.createRun({ ...init, config: { ...init.config, init: tag.group === 'he_normal' ? 'he_normal' : 'glorot_normal', seed: tag.seed, epochs: 3 } });
  appendEpochsToBest(s, run.id, best);
  s.update(run.id, { status, epochsDone: 3, best: { epoch: 2, score: best, metric: 'valScore' }, durationMs: 6000, endedAt: Date.now() });
  return s.get(run.id);
}

const tag = (group: string, seed: number, version = 2): ExperimentTag => ({ name: NAME, version, group, seed, fingerprint: (group === 'he_normal' ? 'b' : 'a').repeat(64) });

let ids: Record<string, string[]> = {};
let stoppedId = '';
let md = '';
let out: Record<string, unknown> = {};

beforeAll(() => {
  box.withStore((s) => {
    // Version 1, an earlier plan: in the store, never in version 2's report.
    addRun(s, tag('glorot_normal', 1, 1), 0.99);
    ids = { glorot_normal: [], he_normal: [] };
    for (const [i, seed] of SEEDS.entries()) {
      for (const group of ['glorot_normal', 'he_normal'] as const) {
        const r = addRun(s, tag(group, seed), BEST[group][i] as number);
        ids[group]?.push(r.id);
      }
    }
    // Stopped from outside (no time-limit or early-stop event): stored, listed, not counted.
    stoppedId = addRun(s, tag('he_normal', 4), 0.95, 'stopped').id;
    const plateauRun = ids['he_normal']?.[1] as string;
    s.addEvent(plateauRun, { time: Date.now(), step: 10, epoch: 0, type: 'plateau', message: 'started on a plateau: the mean loss moved 0.4% over the first 100 batches', data: {} });
    // BN health of the glorot runs: an earlier epoch (not the last: not read) and the last, two sites each.
    ids['glorot_normal']?.forEach((id, i) => {
      const node = (nodeId: string, kind: string, gap: number, meanShift: number, varLogRatio: number) => ({ nodeId, kind, layers: 1, gap, meanShift, varLogRatio });
      s.addEvent(id, { time: Date.now(), step: 20, epoch: 1, type: 'bn-health', message: 'BN health of epoch 2', data: { nodes: [node('head', 'head', 9, 9, 9)] } });
      s.addEvent(id, { time: Date.now(), step: 30, epoch: 2, type: 'bn-health', message: 'BN health of epoch 3', data: { nodes: [node('down0', 'down', 0.1 * (i + 1), 0.02, 0.1), node('head', 'head', 0.05, 0.03 * (i + 1), 0.2)] } });
    });
    const jumpRun = ids['glorot_normal']?.[2] as string;
    s.addEvent(jumpRun, { time: Date.now(), step: 30, epoch: 2, type: 'wrong-step', message: 'wrong step at epoch 2 (step 14)', data: {} });
  });
  const r = box.strata('experiment', 'report', NAME, '--out', path.join(box.tmp, 'out'), '--json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  out = json(r);
  md = fs.readFileSync(path.join(box.tmp, 'out', `${NAME}.md`), 'utf8');
});

/** The Markdown table row of `group` in the table whose header holds `header`. */
function row(header: string, group: string): string[] {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => l.startsWith('|') && l.includes(header));
  expect(start, `a table with '${header}'`).toBeGreaterThanOrEqual(0);
  const body = lines.slice(start + 2);
  const end = body.findIndex((l) => !l.startsWith('|'));
  const line = body.slice(0, end < 0 ? undefined : end).find((l) => l.startsWith(`| ${group} |`));
  expect(line, `row ${group} under '${header}'`).toBeDefined();
  return cellsOf(line as string);
}

/** The cells of a Markdown table line. */
function cellsOf(line: string): string[] {
  return line.split(' | ').map((c) => c.replace(/^\| |\s*\|$/g, '').trim());
}

describe('strata experiment report', () => {
  it('reports the newest version, says the other exists, and writes NAME.md and its figures', () => {
    expect(out['experiment']).toEqual({ name: NAME, version: 2, file: null });
    expect(md.startsWith(`# Experiment ${NAME}, version 2\n`)).toBe(true);
    expect(md).toContain('The store also has runs of version 1; they are not part of this report.');
    expect(out['groups']).toEqual([
      { key: 'glorot_normal', runs: 3, counted: 3 },
      { key: 'he_normal', runs: 4, counted: 3 },
    ]);
    const figures = out['figures'] as string[];
    expect(figures.map((f) => path.basename(f))).toEqual([`${NAME}-curves-valScore.svg`, `${NAME}-curves-valLoss.svg`, `${NAME}-curves-trainLoss.svg`, `${NAME}-final-bestScore.svg`, `${NAME}-final-secondsPerEpoch.svg`, `${NAME}-summands.svg`]);
    for (const f of figures) {
      const svg = fs.readFileSync(f, 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('glorot_normal');
      expect(svg).toContain('he_normal');
      expect(md).toContain(`](${path.basename(f)})`);
    }
  });

  it('gives each group mean ± std of what its complete runs stored (hand-worked for the best score)', () => {
    // glorot: 0.60, 0.62, 0.64: mean 0.62, std 0.02; he: 0.50, 0.53, 0.56: mean 0.53, std 0.03 (the stopped run's 0.95 left out)
    expect(row('best val score', 'glorot_normal').slice(1, 3)).toEqual(['3', '0.6200 ± 0.0200']);
    expect(row('best val score', 'he_normal').slice(1, 3)).toEqual(['3', '0.5300 ± 0.0300']);
    // The other metrics: the statistics of the stored last epochs, read back from the store.
    box.withStore((s) => {
      for (const group of ['glorot_normal', 'he_normal'] as const) {
        const lasts = (ids[group] ?? []).map((id) => s.epochMetrics(id).at(-1) as EpochMetric);
        const cells = row('best val score', group);
        const header = md.split('\n').find((l) => l.startsWith('| Group | n | best val score')) as string;
        const col = (title: string) => cellsOf(header).indexOf(title);
        for (const [title, values] of [
          ['final val score', lasts.map((e) => e.valScore)],
          ['final val IoU', lasts.map((e) => e.valIoU)],
          ['final val loss', lasts.map((e) => e.valLoss)],
          ['final train loss', lasts.map((e) => e.trainLoss)],
        ] as const) {
          const st = summarize(values);
          expect(cells[col(title)]).toBe(`${st.mean.toFixed(4)} ± ${st.std.toFixed(4)}`);
        }
      }
    });
    expect(md).not.toContain('test score');
  });

  it('compares he_normal with the first level, glorot_normal: difference, Welch and bootstrap intervals, verdict', () => {
    const r = row('Welch 95%', 'best val score');
    // Difference 0.53 - 0.62 = -0.09; se^2 = (0.0004 + 0.0009) / 3; df = 0.0013^2 / ((0.0004^2 + 0.0009^2) / 2) = 3.4845
    const w = welchInterval([...BEST.he_normal], [...BEST.glorot_normal]);
    expect(w.df).toBeCloseTo(3.4845, 4);
    expect(r).toEqual([
      'best val score',
      'higher',
      'he_normal',
      '3, 3',
      '-0.0900',
      `[${w.low.toFixed(4)}, ${w.high.toFixed(4)}]`,
      '3.5',
      expect.stringMatching(/^\[-0\.\d{4}, -0\.\d{4}\]$/),
      '**glorot_normal better than he_normal**',
    ]);
    expect(w.high).toBeLessThan(0);
    // Losses are better lower: he's final val loss (0.9 - best) is higher, so glorot is better there too.
    const loss = md.split('\n').find((l) => l.startsWith('| final val loss | lower | he_normal |')) as string;
    expect(loss).toContain('**glorot_normal better than he_normal**');
    const cmp = (out['comparisons'] as { metric: string; difference: number }[]).find((c) => c.metric === 'bestScore');
    expect(cmp?.difference).toBeCloseTo(-0.09, 12);
  });

  it('counts the detectors per group, lists every event, and puts the initialisation analysis beside the score', () => {
    const seedOf = (group: 'glorot_normal' | 'he_normal', i: number) => SEEDS[ids[group]?.indexOf(ids[group]?.[i] as string) ?? -1];
    expect(row('Started on a plateau', 'he_normal').slice(1)).toEqual([`1 of 3 (seed ${seedOf('he_normal', 1)} at epoch 1)`, '0 of 3']);
    expect(row('Started on a plateau', 'glorot_normal').slice(1)).toEqual(['0 of 3', `1 of 3 (seed ${seedOf('glorot_normal', 2)} at epoch 3)`]);
    expect(md).toContain(`- he_normal, seed 2 (run ${ids['he_normal']?.[1]}): started on a plateau: the mean loss moved 0.4% over the first 100 batches`);
    // tinyArch (1 input channel, an 8-filter 3x3 stem, 2 resnet blocks, BN before the head only): 3 summands.
    // he_normal: the stem's gain 2 gives s0^2 = 2, each block gain/2 = 1: shares 1/2, 1/4, 1/4, effective 1 / (1/4 + 1/16 + 1/16) = 8/3.
    expect(row('Effective summands', 'he_normal')).toEqual(['he_normal', '3', '0.5000', 's0: 0.5000', '2.6667', '0.5300 ± 0.0300']);
    // glorot_normal: stem variance 2 / (9 + 72), gain 9 * 2/81 = 2/9; blocks 72 * 2/144 = 1, each 1/2: s^2 = 2/9, 1/2, 1/2 of 11/9:
    // s0 share 2/11, s1 9/22; effective (121/81) / (4/81 + 1/2) = 121 / 44.5 = 2.7191
    expect(row('Effective summands', 'glorot_normal')).toEqual(['glorot_normal', '3', (2 / 11).toFixed(4), `s1: ${(9 / 22).toFixed(4)}`, '2.7191', '0.6200 ± 0.0200']);
  });

  it('gives BN health at the last measured epoch: the largest figure over the sites, mean ± std over the runs', () => {
    // Largest gap per run 0.1, 0.2, 0.3: mean 0.2, std 0.1; mean drift 0.03, 0.06, 0.09: 0.06 ± 0.03; variance drift 0.2 each.
    expect(row('Largest gap', 'glorot_normal').slice(1)).toEqual(['3 of 3', '0.2000 ± 0.1000', '0.0600 ± 0.0300', '0.2000 ± 0.0000']);
    expect(row('Largest gap', 'he_normal').slice(1)).toEqual(['0 of 3', '—', '—', '—']);
  });

  it('lists every stored run, the stopped one as not counted, and states the scale', () => {
    expect(md).toContain(`| he_normal | 4 | ${stoppedId} | stopped | 3 | 0.9500 | no |`);
    expect(md).toContain('- **Runs**: 6 complete of 7 stored; only complete runs are counted.');
    expect(md).toContain('- **Budget** (per run): 3 epochs, batch 4.');
    expect(md).toContain('- **Seeds**: 1, 2, 3, 4');
    expect(md).toContain('- **Split** (per run): 8 train / 2 validation / 0 test images.');
    expect(md).toContain("**Claim.** Not known: the runs do not store the experiment file's claim");
  });

  it('reports an older version when asked, and refuses what it cannot report, by name', async () => {
    // In this process (a CLI start costs seconds here): the command as strata.ts runs it.
    const quiet = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const v1Dir = path.join(box.tmp, 'v1');
      expect(await experimentReportCommand([NAME, '--version', '1', '--out', v1Dir, '--runs-dir', box.runsDir])).toBe(0);
      const v1 = fs.readFileSync(path.join(v1Dir, `${NAME}.md`), 'utf8');
      expect(v1).toContain('# Experiment init-claim, version 1');
      expect(v1).toContain('One group only: nothing to compare.');
      expect(v1).toContain('fewer than 3, so no comparison gives a verdict');
      expect(v1).toContain('| glorot_normal | 1 | 0.9900 (1 run) |');
      const refused = (args: string[]) => experimentReportCommand([...args, '--runs-dir', box.runsDir, '--out', path.join(box.tmp, 'refused')]);
      await expect(refused([NAME, '--version', '7'])).rejects.toThrow(new CliError(`experiment report: experiment ${NAME} has no runs of version 7 in this store (it has version 2, 1)`));
      await expect(refused(['nothing-here'])).rejects.toThrow(new CliError('experiment report: no runs of experiment nothing-here in this store'));
      await expect(refused(['a b'])).rejects.toThrow(new CliError("experiment report: 'a b' is neither an experiment file nor an experiment name"));
      await expect(refused([NAME, '--version', '0'])).rejects.toThrow(new CliError('--version: 0 is below the minimum 1'));
      await expect(refused([])).rejects.toThrow(new CliError('experiment report: an experiment name or file is required'));
      expect(fs.existsSync(path.join(box.tmp, 'refused'))).toBe(false);
    } finally {
      quiet.mockRestore();
    }
  });
});

describe('strata experiment report FILE', () => {
  /** A two-level experiment on the demo set; its runs are made from its plan, as the runner makes them. */
  const FILE_EXPERIMENT = {
    format: 'strata-experiment',
    version: 1,
    name: 'bn-claim',
    description: 'BN after every block against BN at the samplers, tiny design, 2 epochs on 32 demo images.',
    claim: 'BN after every resnet block makes training start on a plateau that it never leaves.',
    base: { design: 'tiny', config: { batch: 4 } },
    factors: [{ name: 'bn', levels: [{ label: 'samplers', config: { bnPlacement: 'samplers' } }, { label: 'blocks', config: { bnPlacement: 'blocks' } }] }],
    seeds: [1, 2, 3],
    data: { path: 'demo', demoCount: 32 },
    budget: { epochs: 2 },
  };

  it('opens with the file\'s claim and description, covers its plan, and lists the planned runs not made yet', async () => {
    const dir = path.join(box.tmp, 'file');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'bn-claim.json');
    fs.writeFileSync(file, JSON.stringify(FILE_EXPERIMENT));
    const loaded = await loadExperiment(file);
    const runsDir = path.join(box.tmp, 'file-runs');
    const scores: Record<string, number[]> = { samplers: [], blocks: [] };
    withStore(runsDir, (s) => {
      // Every planned run but the last (group blocks, seed 3) is made and completed.
      for (const p of loaded.plan.runs.slice(0, -1)) {
        const init = sampleInit();
        const dataset = { name: 'demo', source: { kind: 'demo' as const, seed: 1, count: 32 }, fingerprint: 'cd'.repeat(32), synthetic: true, count: 32 };
        const run = s.createRun({ ...init, name: p.request.name ?? 'run', arch: p.arch, config: p.request.config, dataset, experiment: p.request.experiment });
        const best = 0.4 + 0.1 * p.seed + (p.group === 'blocks' ? -0.2 : 0);
        scores[p.group]?.push(best);
        [best - 0.05, best].forEach((v, e) => s.appendEpochMetric(run.id, experimentEpoch(e, v, 0.5 - v / 2)));
        s.update(run.id, { status: 'done', epochsDone: 2, best: { epoch: 1, score: best, metric: 'valScore' }, durationMs: 1000 });
      }
    });
    const quiet = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await experimentReportCommand([file, '--runs-dir', runsDir, '--out', path.join(dir, 'out')])).toBe(0);
    } finally {
      quiet.mockRestore();
    }
    const text = fs.readFileSync(path.join(dir, 'out', 'bn-claim.md'), 'utf8');
    expect(text).toContain(`**Claim.** ${FILE_EXPERIMENT.claim}`);
    expect(text).toContain(FILE_EXPERIMENT.description);
    expect(text).toContain('- **Runs**: 5 complete of 5 stored, 1 planned not made yet; only complete runs are counted.');
    expect(text).toContain('- **Seeds**: 1, 2, 3 (3 seeds per group).');
    expect(text).toContain('- **Data**: demo: 32 images (synthetic), fingerprint cdcdcdcdcdcd; the demo set (32 samples).');
    expect(text).toContain('- **Budget** (per run): 2 epochs, batch 4.');
    expect(text).toContain('| blocks | 3 | — | not made yet | 0 | — | no |');
    // samplers 0.5, 0.6, 0.7: mean 0.6, std 0.1; blocks 0.3, 0.4: mean 0.35, std 0.0707 (sqrt(0.005))
    expect(scores).toEqual({ samplers: [0.5, 0.6, 0.7].map((v) => expect.closeTo(v, 12)), blocks: [0.3, 0.4].map((v) => expect.closeTo(v, 12)) });
    expect(text).toContain('| samplers | 3 | 0.6000 ± 0.1000 |');
    expect(text).toContain(`| blocks | 2 | 0.3500 ± ${Math.sqrt(0.005).toFixed(4)} |`);
    // Two seeds in blocks: no verdict, whatever the gap.
    expect(text).toContain('| best val score | higher | blocks | 2, 3 | -0.2500 |');
    expect(text.split('\n').find((l) => l.startsWith('| best val score | higher | blocks |'))).toMatch(/\*\*too few seeds to tell\*\* \|$/);
  });

  it('writes a digest beside the report, and the summary page of a folder of experiments is made from the digests alone', () => {
    const dir = path.join(box.tmp, 'file');
    const digest = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'bn-claim.digest.json'), 'utf8')) as Record<string, unknown>;
    expect(digest).toMatchObject({ format: 'strata-experiment-digest', version: 1, name: 'bn-claim', experimentVersion: FILE_EXPERIMENT.version, claim: FILE_EXPERIMENT.claim, report: 'bn-claim.md', seeds: [1, 2, 3], missing: 1 });
    // A second experiment, not run; a third whose digest is of another version.
    fs.writeFileSync(path.join(dir, 'other.json'), JSON.stringify({ ...FILE_EXPERIMENT, name: 'other', claim: 'another claim' }));
    fs.writeFileSync(path.join(dir, 'old.json'), JSON.stringify({ ...FILE_EXPERIMENT, name: 'old', version: FILE_EXPERIMENT.version + 1 }));
    fs.writeFileSync(path.join(dir, 'out', 'old.digest.json'), JSON.stringify({ ...digest, name: 'old' }));
    fs.writeFileSync(path.join(dir, 'notes.json'), '{"not": "an experiment"}');
    const r = box.strata('experiment', 'summary', dir, '--reports', path.join(dir, 'out'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`experiment summary: 1 of 3 experiments reported; wrote ${path.join(dir, 'summary.md')}\n`);
    const page = fs.readFileSync(path.join(dir, 'summary.md'), 'utf8');
    expect(page).toContain(`| [bn-claim](bn-claim.json) v${FILE_EXPERIMENT.version} | ${FILE_EXPERIMENT.claim} | reported: [bn-claim.md](out/bn-claim.md) |`);
    expect(page).toContain(`| [other](other.json) v${FILE_EXPERIMENT.version} | another claim | not run yet (6 runs planned) |`);
    expect(page).toContain(`reported at version ${FILE_EXPERIMENT.version}, file is version ${FILE_EXPERIMENT.version + 1}: not yet run again`);
    // The digest's statistics: samplers 0.5, 0.6, 0.7; blocks 0.3, 0.4 (the previous test's runs).
    expect(page).toContain('| samplers | - | 0.600 ± 0.100 (n=3) | 3 (0) |');
    expect(page).toContain(`| blocks | - | 0.350 ± ${Math.sqrt(0.005).toFixed(3)} (n=2) | 2 (0) |`);
    expect(page).toContain('- best val score: blocks - samplers = -0.250, 95% interval');
    expect(page).toMatch(/best val score: blocks - samplers = -0\.250, 95% interval -?\d\.\d{3} to -?\d\.\d{3}: \*\*too few seeds to tell\*\*/);

    // A digest that is not one is refused by name; a folder without experiments too.
    fs.writeFileSync(path.join(dir, 'out', 'other.digest.json'), '{"format": "something else"}');
    const bad = box.strata('experiment', 'summary', dir, '--reports', path.join(dir, 'out'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${path.join(dir, 'out', 'other.digest.json')} is not a report digest: its format is not 'strata-experiment-digest'`);
    const empty = path.join(box.tmp, 'no-experiments');
    fs.mkdirSync(empty);
    const none = box.strata('experiment', 'summary', empty);
    expect(none.stderr).toContain(`no experiment files (format 'strata-experiment') in ${empty}`);
  });
});
