/**
 * The copy of an experiment file kept with its runs (src-main/experiments/copy.ts): `experiment run`
 * writes it when it queues the runs (here with a stop already asked for, so nothing trains), leaves
 * it alone when the file is the same, keeps the earlier copy beside a compatible new one, and refuses
 * a file that plans a group differently; a dry run writes nothing. `strata experiment report NAME`
 * then states the claim and the planned runs from it, with no file given, and says why when the copy
 * cannot be read.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { EpochMetric } from '../../shared/runs/types';
import { experimentReportCommand } from '../../src-main/cli/commands/experimentReport';
import { EXPERIMENT_COPY_FORMAT, experimentCopyPath, keepExperimentCopy, readExperimentCopy } from '../../src-main/experiments/copy';
import { loadExperiment } from '../../src-main/experiments/load';
import { ExperimentConflictError, runExperiment } from '../../src-main/experiments/runner';
import { queueOnly, writeExperimentFile } from '../helpers/experimentFiles';
import { withStore } from '../helpers/store';
import { tempDir } from '../helpers/tempDir';

const tmp = tempDir('experiment-copy');
const runsDir = path.join(tmp, 'runs');
const NAME = 'copy-init';

function writeExperiment(file: string, edit: (f: Record<string, unknown>) => void = () => {}): string {
  const f: Record<string, unknown> = {
    format: 'strata-experiment',
    version: 1,
    name: NAME,
    description: 'test scale: the tiny preset, 16 synthetic demo images, 1 epoch per run',
    claim: 'glorot_normal trains better than he_normal',
    base: { design: 'tiny', config: { batch: 4 } },
    factors: [{ name: 'init', levels: [{ label: 'glorot_normal', config: { init: 'glorot_normal' } }, { label: 'he_normal', config: { init: 'he_normal' } }] }],
    seeds: [1, 2],
    data: { path: 'demo', demoCount: 16 },
    budget: { epochs: 1 },
  };
  edit(f);
  return writeExperimentFile(path.join(tmp, file), f);
}

/** Queues the file's runs and writes its copy, training nothing: the stop is asked for before the first run. */
async function queue(file: string, dryRun = false) {
  return runExperiment(await loadExperiment(file), queueOnly(runsDir, { dryRun }));
}

const copyPath = experimentCopyPath(runsDir, NAME, 1);
const copiesIn = () => fs.readdirSync(path.dirname(copyPath)).filter((f) => !f.startsWith('.')).sort();

async function report(...args: string[]): Promise<{ md: string; json: Record<string, unknown> }> {
  const out = path.join(tmp, 'out');
  let printed = '';
  const quiet = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    printed += String(chunk);
    return true;
  });
  try {
    expect(await experimentReportCommand([NAME, '--runs-dir', runsDir, '--out', out, '--json', ...args])).toBe(0);
  } finally {
    quiet.mockRestore();
  }
  return { md: fs.readFileSync(path.join(out, `${NAME}.md`), 'utf8'), json: JSON.parse(printed) as Record<string, unknown> };
}

describe('the experiment file kept with its runs', () => {
  it('is written when the runs are queued, as the checked file, and plans the same groups again', async () => {
    const file = writeExperiment('copy-init.json');
    // A dry run creates nothing, the copy included.
    const dry = await queue(file, true);
    expect(dry.copy).toEqual({ path: copyPath, action: 'written' });
    expect(fs.existsSync(copyPath)).toBe(false);

    const before = Date.now();
    const r = await queue(file);
    expect(r.copy).toEqual({ path: copyPath, action: 'written' });
    expect(r.runs.map((x) => [x.group, x.seed, x.status])).toEqual([
      ['glorot_normal', 1, 'queued'],
      ['he_normal', 1, 'queued'],
      ['glorot_normal', 2, 'queued'],
      ['he_normal', 2, 'queued'],
    ]);
    expect(copyPath).toBe(path.join(runsDir, 'experiments', NAME, 'v1.json'));
    const doc = JSON.parse(fs.readFileSync(copyPath, 'utf8')) as Record<string, unknown>;
    const loaded = await loadExperiment(file);
    expect(doc['format']).toBe(EXPERIMENT_COPY_FORMAT);
    expect(doc['file']).toBe(file);
    expect(doc['storedAt']).toBeGreaterThanOrEqual(before);
    expect(doc['valIds']).toBeUndefined();
    expect(doc['experiment']).toEqual(JSON.parse(fs.readFileSync(file, 'utf8')));
    const read = readExperimentCopy(runsDir, NAME, 1);
    if (read.state !== 'ok') throw new Error(`the copy did not read back: ${JSON.stringify(read)}`);
    expect(read.copy.plan.groups.map((g) => [g.key, g.fingerprint])).toEqual(loaded.plan.groups.map((g) => [g.key, g.fingerprint]));
    expect(read.copy.plan.runs.map((p) => p.request.experiment)).toEqual(loaded.plan.runs.map((p) => p.request.experiment));
    expect(readExperimentCopy(runsDir, NAME, 2)).toEqual({ state: 'none', path: experimentCopyPath(runsDir, NAME, 2) });
  });

  it('keeps the validation ids a file names, which its fingerprints depend on', async () => {
    fs.writeFileSync(path.join(tmp, 'val-ids.txt'), 'demo-0001\ndemo-0004\n');
    const loaded = await loadExperiment(writeExperiment('val-ids.json', (f) => (f['data'] = { path: 'demo', demoCount: 16, valIds: 'val-ids.txt' })));
    const root = path.join(tmp, 'val-ids-store');
    expect(keepExperimentCopy(root, loaded).action).toBe('written');
    const doc = JSON.parse(fs.readFileSync(experimentCopyPath(root, NAME, 1), 'utf8')) as Record<string, unknown>;
    expect(doc['valIds']).toEqual(['demo-0001', 'demo-0004']);
    const read = readExperimentCopy(root, NAME, 1);
    if (read.state !== 'ok') throw new Error(`the copy did not read back: ${JSON.stringify(read)}`);
    expect(read.copy.plan.groups.map((g) => g.fingerprint)).toEqual(loaded.plan.groups.map((g) => g.fingerprint));
    const without = await loadExperiment(writeExperiment('no-val-ids.json'));
    expect(without.plan.groups[0]?.fingerprint).not.toBe(loaded.plan.groups[0]?.fingerprint);
  });

  it('is left alone for the same file, replaced by a compatible one with the earlier copy kept, and never by another plan', async () => {
    const bytes = fs.readFileSync(copyPath);
    const same = await queue(writeExperiment('copy-init.json'));
    expect(same.copy).toEqual({ path: copyPath, action: 'unchanged' });
    expect(fs.readFileSync(copyPath)).toEqual(bytes);

    // A third seed and a reworded claim: the same plan for every group, so the same version.
    const more = writeExperiment('more-seeds.json', (f) => {
      f['seeds'] = [1, 2, 3];
      f['claim'] = 'glorot_normal trains strict ResNet U-Nets better than he_normal';
    });
    const replaced = await queue(more);
    expect(replaced.copy.action).toBe('replaced');
    const previous = path.join(path.dirname(copyPath), `v1.${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}.json`);
    expect(replaced.copy).toEqual({ path: copyPath, action: 'replaced', previous });
    expect(fs.readFileSync(previous)).toEqual(bytes);
    const now = JSON.parse(fs.readFileSync(copyPath, 'utf8')) as { experiment: Record<string, unknown>; file: string };
    expect(now.file).toBe(more);
    expect(now.experiment['seeds']).toEqual([1, 2, 3]);
    expect(replaced.runs.filter((x) => x.seed === 3).map((x) => [x.group, x.action])).toEqual([
      ['glorot_normal', 'new'],
      ['he_normal', 'new'],
    ]);

    // Another design for he_normal under version 1. With runs of it in the store the runner refuses
    // it by those; with them gone, the copy still says how version 1 plans he_normal.
    const changed = writeExperiment('changed.json', (f) => {
      f['seeds'] = [1, 2, 3];
      f['factors'] = [{ name: 'init', levels: [{ label: 'glorot_normal', config: { init: 'glorot_normal' } }, { label: 'he_normal', config: { init: 'he_normal' }, design: { channels: 8 } }] }];
    });
    const heRuns = withStore(runsDir, (s) => s.experimentRuns(NAME).filter((x) => x.experiment?.group === 'he_normal').map((x) => x.id));
    withStore(runsDir, (s) => heRuns.forEach((id) => s.delete(id)));
    const copyBytes = fs.readFileSync(copyPath);
    const err = await queue(changed).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExperimentConflictError);
    expect((err as Error).message).toBe(
      `experiment ${NAME} version 1: the design or settings of group he_normal changed since the copy of the file stored with its runs (${copyPath}). ` +
        'Runs of one version must come from one plan: bump "version" (to 2) to run the changed experiment as a new one, or undo the change',
    );
    // Refused before anything was made, the dry run as well.
    await expect(queue(changed, true)).rejects.toBeInstanceOf(ExperimentConflictError);
    expect(fs.readFileSync(copyPath)).toEqual(copyBytes);
    expect(withStore(runsDir, (s) => s.experimentRuns(NAME).length)).toBe(3);
    expect(copiesIn()).toEqual([path.basename(previous), 'v1.json'].sort());
  });

  it('gives `experiment report NAME` the claim, the description and the planned runs not made yet', async () => {
    // glorot_normal's three runs complete with best scores 0.5, 0.6, 0.7; he_normal's are gone (deleted above).
    withStore(runsDir, (s) => {
      for (const r of s.experimentRuns(NAME)) {
        const best = 0.4 + 0.1 * (r.experiment?.seed ?? 0);
        const m: EpochMetric = { epoch: 0, step: 4, trainLoss: 0.5, trainIoU: best, valLoss: 0.4, valIoU: best, valPixelIoU: best, valScore: best, bestThreshold: 0.5, lr: 0.001, imagesPerSec: 10, epochSeconds: 1, time: Date.now() };
        s.appendEpochMetric(r.id, m);
        s.update(r.id, { status: 'done', epochsDone: 1, best: { epoch: 0, score: best, metric: 'valScore' }, durationMs: 1000, endedAt: Date.now() });
      }
    });
    const { md, json } = await report();
    expect(json['source']).toEqual({ kind: 'copy', path: copyPath, file: path.join(tmp, 'more-seeds.json'), storedAt: expect.any(Number) as number });
    expect(md).toContain('**Claim.** glorot_normal trains strict ResNet U-Nets better than he_normal');
    expect(md).toContain('test scale: the tiny preset, 16 synthetic demo images, 1 epoch per run');
    expect(md).toContain(`*From the copy of the experiment file stored with its runs (${copyPath}; the file was ${path.join(tmp, 'more-seeds.json')}).*`);
    expect(md).toContain('- **Seeds**: 1, 2, 3 (3 seeds per group).');
    expect(md).toContain('- **Runs**: 3 complete of 3 stored, 3 planned not made yet; only complete runs are counted.');
    for (const seed of [1, 2, 3]) expect(md).toContain(`| he_normal | ${seed} | — | not made yet | 0 | — | no |`);
    expect(md).toContain('| glorot_normal | 3 | 0.6000 ± 0.1000 |');

    // A copy that cannot be read: the report falls back on the tags, and says why it has no claim.
    fs.writeFileSync(copyPath, '{"format": "strata-experiment-copy"');
    const bad = await report();
    expect(bad.json['source']).toMatchObject({ kind: 'tags' });
    const claim = bad.md.split('\n').find((l) => l.startsWith('**Claim.**')) ?? '';
    expect(claim).toMatch(new RegExp(`^\\*\\*Claim\\.\\*\\* Not known: the runs do not store the experiment file's claim; the copy of the experiment file at ${copyPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} cannot be used: not valid JSON \\(.+\\)\\. Give the file to \`strata experiment report\` to include it\\.$`));
    expect(bad.md).toContain('- **Runs**: 3 complete of 3 stored; only complete runs are counted.');
  });
});
