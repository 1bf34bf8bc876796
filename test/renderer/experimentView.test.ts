/**
 * What the Experiments tab says (src-renderer/workflows/experimentView.ts), on the view the lab
 * builds from a real temp store (test/helpers/experimentStore.ts): the choice of experiment and
 * version, progress and the partial state in words, where the plan came from, and the comparison
 * rows with their tones.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentView } from '../../shared/experiments/view';
import { experimentViewOf, listExperiments } from '../../src-main/lab/experiments';
import { chooseExperiment, comparisonRows, detectorCount, metricCell, progressOf, shownMetrics, sourceNote, versionLabel } from '../../src-renderer/workflows/experimentView';
import { INIT_EXPERIMENT, writeInitExperiment } from '../helpers/experimentStore';
import { withStore } from '../helpers/store';
import { tempDir } from '../helpers/tempDir';

const tmp = tempDir('experiment-view');
const runsDir = path.join(tmp, 'runs');
let view: ExperimentView;

beforeAll(async () => {
  await writeInitExperiment(runsDir, path.join(tmp, 'files'));
  view = withStore(runsDir, (s) => experimentViewOf(s, INIT_EXPERIMENT));
});

describe('the Experiments tab\'s words', () => {
  it('chooses the experiment asked for when it is listed, else the first one\'s newest version', () => {
    const list = [
      { name: 'a', versions: [{ version: 3, groups: [], planned: 6, stored: 6, complete: 5, claim: null, description: null }, { version: 1, groups: [], planned: null, stored: 2, complete: 2, claim: null, description: null }] },
      { name: 'b', versions: [{ version: 1, groups: [], planned: 4, stored: 1, complete: 0, claim: null, description: null }] },
    ];
    expect(chooseExperiment(list, null)).toEqual({ name: 'a', version: 3 });
    expect(chooseExperiment(list, { name: 'a', version: 1 })).toEqual({ name: 'a', version: 1 });
    expect(chooseExperiment(list, { name: 'a', version: 2 })).toEqual({ name: 'a', version: 3 });
    expect(chooseExperiment(list, { name: 'b', version: null })).toEqual({ name: 'b', version: 1 });
    expect(chooseExperiment(list, { name: 'gone', version: 1 })).toEqual({ name: 'a', version: 3 });
    expect(chooseExperiment([], { name: 'a', version: 1 })).toBeNull();
    expect(list[0]?.versions.map(versionLabel)).toEqual(['v3 · 5 of 6 runs complete', 'v1 · 2 of 2 stored runs complete']);
    expect(withStore(runsDir, (s) => listExperiments(s)[0]?.versions.map(versionLabel))).toEqual(['v1 · 10 of 12 runs complete']);
  });

  it('says how far the runs have come, and what the numbers then count', () => {
    expect(progressOf(view)).toEqual({
      complete: 10,
      unfinished: 1,
      missing: 1,
      text: '10 of 12 planned runs are complete; 1 is queued, training or unfinished, 1 not made yet.',
      partial:
        'Runs are still to come. The numbers below count only the complete runs, and a group with fewer than 3 complete runs (he_uniform) gives no verdict yet; run the experiment again to train the rest, then Refresh.',
    });
    // Every run complete: nothing partial to say.
    const done: ExperimentView = { ...view, missing: [], groups: view.groups.map((g) => ({ ...g, runs: g.runs.filter((r) => r.complete) })) };
    expect(progressOf(done)).toMatchObject({ text: '10 of 10 planned runs are complete.', partial: null });
    // From the tags alone the planned total is not known.
    const tags: ExperimentView = { ...done, source: { kind: 'tags', problem: null } };
    expect(progressOf(tags).text).toBe('10 of 10 stored runs are complete.');
    expect(sourceNote(tags)).toBe(
      "No copy of the experiment file is stored with these runs (they were queued before Strata kept one, or made by hand): the claim and the planned runs are not known; the groups are the runs' tags.",
    );
    expect(sourceNote({ ...done, source: { kind: 'tags', problem: 'the copy of the experiment file at /x/v1.json cannot be used: not valid JSON' } })).toMatch(/^the copy of the experiment file at \/x\/v1\.json cannot be used: not valid JSON: the claim/);
    expect(sourceNote(view)).toMatch(/^From the copy of the experiment file stored with its runs \(.+v1\.json\); the file was .+init-four\.json\.$/);
  });

  it('gives the comparison rows as the report prints them, each verdict with its tone', () => {
    expect(comparisonRows(view, 'bestScore').map((r) => [r.group, r.better, r.n, r.difference, r.verdict, r.tone])).toEqual([
      ['he_normal', 'higher', '3, 3', '-0.0900', 'glorot_normal better than he_normal', 'worse'],
      ['glorot_uniform', 'higher', '3, 3', '+0.0033', 'no difference at this scale', 'same'],
      ['he_uniform', 'higher', '1, 3', '-0.0700', 'too few seeds to tell', 'unknown'],
    ]);
    expect(comparisonRows(view, 'bestScore')[0]?.df).toBe('3.5');
    expect(comparisonRows(view, 'bestScore')[2]?.welch).toBe('—');
    expect(comparisonRows(view, null)).toHaveLength(3 * shownMetrics(view).length);
    expect(shownMetrics(view)).toEqual(['bestScore', 'valScore', 'valIoU', 'valLoss', 'trainLoss', 'secondsPerEpoch']);
    const [gn, he, , hu] = view.groups;
    if (!gn || !he || !hu) throw new Error('four groups expected');
    expect(metricCell(gn, 'bestScore').meanStd).toBe('0.6200 ± 0.0200');
    expect(metricCell(hu, 'bestScore')).toEqual({ meanStd: '0.5500 (1 run)', interval: '—' });
    expect(metricCell(gn, 'testScore')).toEqual({ meanStd: '—', interval: '—' });
    expect([detectorCount(he, 'plateau'), detectorCount(hu, 'plateau')]).toEqual(['1 of 3 runs', '0 of 1 run']);
  });
});
