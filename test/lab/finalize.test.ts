/**
 * Choosing a run's post-processing from the lab (the finalizeRun channel): a real tiny run the user
 * stopped in the lab after its first epoch gets it in a trainer process, stored and listed with the
 * run beside its test score, and can choose again. Refused, with a message for the user, for an
 * unknown run, a run that trains or waits to, one with nothing to choose from, and while one is
 * under way (which also holds off resuming and deleting the run); a failure in the trainer process
 * comes back in its own words.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startRunSchema } from '../../shared/api/schemas';
import type { RunsChanged } from '../../shared/api/types';
import type { RunInit, RunSummary } from '../../shared/runs/types';
import { createHandlers } from '../../src-main/lab/handlers';
import type { StartRunRequest } from '../../src-main/lab/service';
import { dispatchCall } from '../../src-main/lab/transport/dispatch';
import { withStore } from '../helpers/store';
import { openLab, scratchDir, waitFor } from './helpers';

// 24 demo samples: 2 held out for test, a fifth of the rest for validation; no TTA, one checkpoint.
const request: StartRunRequest = startRunSchema.parse({
  design: { kind: 'preset', name: 'tiny' },
  datasetId: 'demo',
  demoCount: 24,
  testIds: ['demo-0003', 'demo-0011'],
  config: { epochs: 50, batch: 8, inference: { tta: false, snapshots: 1 } },
});

const home = scratchDir('finalize');
const runsDir = path.join(home, 'runs');
const lab = openLab(home, { shutdownGraceMs: 5000 });
const handlers = createHandlers(lab);
afterAll(() => lab.close());

/** The lab's answer to a call as every transport sends it: the value, or the error body. */
const finalize = (id: string) => dispatchCall(handlers, 'finalizeRun', { id });
const refused = (code: string, message: string) => ({ ok: false, error: { code, message } });

/** Resolves at run `id`'s first checkpoint (the end of its first epoch). */
function firstCheckpoint(id: string): Promise<void> {
  return new Promise((resolve) => {
    const undo = lab.onRunEvent({ runId: id }, (m) => {
      if (m.type === 'event' && m.event.type === 'checkpoint') {
        undo();
        resolve();
      }
    });
  });
}

/** A run made straight in the store from run `from` (what another program could have left), stopped, with `from`'s best checkpoint. */
function copyOf(from: string, change: (init: RunInit) => RunInit): string {
  return withStore(runsDir, (s) => {
    const r = s.get(from);
    const id = s.createRun(change({ name: 'copy', arch: r.arch, config: r.config, dataset: r.dataset, split: r.split, versions: r.versions, status: 'stopped' })).id;
    s.update(id, { epochsDone: r.epochsDone, best: r.best });
    const best = s.loadCheckpoint(from, 'best');
    if (!best) throw new Error(`run ${from} has no best checkpoint to copy`);
    s.saveCheckpoint(id, 'best', best);
    return id;
  });
}

/** The run the user stops after its first epoch. */
let stopped = '';
/** Its first choice. */
let first: RunSummary;

describe('choosing the post-processing from the lab', () => {
  it('refuses a run that trains, one that waits to, and one with no epoch done', async () => {
    const a = await lab.startRun({ ...request, name: 'stopped by the user' });
    const b = await lab.startRun({ ...request, name: 'never trained' });
    stopped = a.id;
    const trained = firstCheckpoint(a.id);
    expect(await finalize(a.id)).toMatchObject({ ok: false, error: { code: 'conflict', message: expect.stringMatching(new RegExp(`^run ${a.id} is (starting to train|running); its post-processing can be chosen once it has stopped$`)) } });
    expect(await finalize(b.id)).toEqual(refused('conflict', `run ${b.id} is queued to train; its post-processing is chosen when that training ends`));
    await trained;
    expect(await finalize(a.id)).toEqual(refused('conflict', `run ${a.id} is running; its post-processing can be chosen once it has stopped`));

    lab.stopRun({ id: b.id });
    expect(await finalize(b.id)).toEqual(refused('conflict', `run ${b.id} has no best checkpoint yet (0 epochs done): there is nothing to finalize`));
    lab.stopRun({ id: a.id });
    await waitFor('the stopped run to leave its trainer', () => (lab.getQueue().active === null ? true : undefined));
    // A run the user stopped is not finalized by its training.
    expect(lab.getRun({ id: a.id })).toMatchObject({ status: 'stopped', postprocess: null, test: null });
    expect(lab.getRun({ id: a.id }).epochsDone).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('chooses it for the stopped run in a trainer process, stores it with its test score, and lists them', async () => {
    const changes: RunsChanged[] = [];
    const undo = lab.onRunsChanged({}, (e) => changes.push(e));
    const under = lab.finalizeRun({ id: stopped });
    // One at a time per run, and the run stays put meanwhile.
    const busy = (doing: string) => refused('conflict', `run ${stopped}'s post-processing is being chosen; wait for that to finish before ${doing}`);
    expect(await finalize(stopped)).toEqual(busy('choosing it again'));
    expect(await dispatchCall(handlers, 'resumeRun', { id: stopped })).toEqual(busy('resuming it'));
    expect(await dispatchCall(handlers, 'deleteRun', { id: stopped })).toEqual(busy('deleting it'));
    first = await under;
    undo();

    const run = lab.getRun({ id: stopped });
    expect(run.split.val).toHaveLength(5);
    expect(first.postprocess).toMatchObject({ members: 'best', tta: false, snapshots: 1, checkpointEpochs: [run.best?.epoch], valImages: run.split.val.length, tuned: { threshold: true, minArea: true } });
    expect(first.test).toMatchObject({ images: 2 });
    // Stored with the run: its record and the run list carry the same choice and score; the status is left as it was.
    expect(run).toMatchObject({ status: 'stopped', postprocess: first.postprocess, test: first.test });
    expect(lab.listRuns({}).runs.find((r) => r.id === stopped)).toMatchObject({ postprocess: first.postprocess, test: first.test });
    expect(lab.getRunEvents({ id: stopped }).map((e) => e.type)).toEqual(expect.arrayContaining(['postprocess', 'test-score']));
    // The views re-read the run.
    expect(changes).toContainEqual({ change: 'status', runId: stopped });
  }, 120_000);

  it('chooses again: the same rule from the same checkpoint, chosen anew', async () => {
    const again = await finalize(stopped);
    if (!again.ok) throw new Error(again.error.message);
    const { postprocess, test } = again.value as RunSummary;
    if (!postprocess || !first.postprocess || !test || !first.test) throw new Error('a choice and a test score were expected');
    expect(postprocess.at).toBeGreaterThanOrEqual(first.postprocess.at);
    expect({ ...postprocess, at: 0 }).toEqual({ ...first.postprocess, at: 0 });
    expect({ ...test, at: 0 }).toEqual({ ...first.test, at: 0 });
    expect(lab.getRun({ id: stopped }).postprocess).toEqual(postprocess);
  }, 120_000);

  it('says why an unknown run, a run without validation images and a run whose data changed cannot be finalized', async () => {
    const unknown = '20250607-153012-123-k3j9x2';
    expect(await finalize(unknown)).toEqual(refused('not-found', `No run ${unknown} in the run store`));

    const noVal = copyOf(stopped, (init) => ({ ...init, split: { train: init.split.train, val: [] } }));
    expect(await finalize(noVal)).toEqual(refused('conflict', `run ${noVal} has no validation images to choose its post-processing on`));

    // Refused by finalizeRun in the trainer process: its message reaches the user whole, with the run it is about.
    const changed = copyOf(stopped, (init) => ({ ...init, dataset: { ...init.dataset, fingerprint: 'f'.repeat(64) } }));
    const r = await finalize(changed);
    expect(r).toMatchObject({ ok: false, error: { code: 'conflict' } });
    if (r.ok) return;
    expect(r.error.message).toMatch(new RegExp(`^choosing the post-processing of run ${changed} failed: the data at the demo dataset has changed since run ${changed} was trained \\(fingerprint [0-9a-f]{12} vs f{12}\\)$`));
    expect(lab.getRun({ id: changed }).postprocess).toBeNull();
  }, 120_000);
});
