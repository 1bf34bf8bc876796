/**
 * The plateau detector judges the first 100 batches of a run, so only a session that starts the run
 * has it. A real trainer on a TGS-layout folder whose 40 ids are all one image (augmentation off,
 * batch 1, a learning rate of 1e-9): every batch's loss is the same, so the start is a plateau. The
 * first session (3 epochs of 36 batches) reports it once, at step 100; it is stopped, resumed from
 * its checkpoint and trained 108 batches more, which, judged as a start, would be a plateau again:
 * the resumed session reports none.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../../shared/runs/types';
import { defaultRunConfig } from '../../shared/training/config';
import type { TrainerMessage } from '../../shared/training/protocol';
import { loadDataSource } from '../../src-main/data/load';
import { TGS_DIR } from '../helpers/paths';
import { tempDir } from '../helpers/tempDir';
import { createRunOn, trainersKilledAfterEach, withStore } from '../helpers/trainerRuns';

const root = tempDir('plateau-resume');
const startTrainer = trainersKilledAfterEach();

/** A TGS-layout folder of `n` ids that are all the same image and mask (links, nothing copied). */
function sameImageFolder(dir: string, n: number): string {
  const file = fs.readdirSync(path.join(TGS_DIR, 'images')).sort()[0] as string;
  for (const sub of ['images', 'masks']) {
    fs.mkdirSync(path.join(dir, sub), { recursive: true });
    for (let i = 0; i < n; i++) fs.symlinkSync(path.join(TGS_DIR, sub, file), path.join(dir, sub, `same${String(i).padStart(4, '0')}.png`));
  }
  return dir;
}

describe('the plateau detector', () => {
  it('judges the start of a run, never a resumed session', async () => {
    const folder = sameImageFolder(path.join(root, 'data'), 40);
    const runsDir = path.join(root, 'runs');
    const ds = await loadDataSource({ kind: 'folder', path: folder });
    const config: RunConfig = {
      ...defaultRunConfig(),
      epochs: 6,
      batch: 1,
      backend: 'wasm',
      valFraction: 0.1,
      optimizer: { name: 'adam', lr: 1e-9, beta1: 0.9, beta2: 0.999 },
      augment: { hflip: false, vflip: false, shift: 0, scale: 0, brightness: 0, contrast: 0 },
      inference: { tta: false, snapshots: 1, threshold: 0.5, minArea: 0 },
      predictEpochs: [],
    };
    const { id: runId, split } = createRunOn(runsDir, ds, config, 'plateau');
    expect(split.train).toHaveLength(36);

    // The first session: stopped once epoch 3 (steps 73-108) is in.
    const first = startTrainer({ runsDir, runId });
    first.onMessage((m: TrainerMessage) => {
      if (m.type === 'epoch' && m.metric.epoch === 2) first.stop('stopped by the test');
    });
    expect((await first.done).status).toBe('stopped');
    const plateaus = () => withStore(runsDir, (s) => s.events(runId).filter((e) => e.type === 'plateau'));
    expect(plateaus().map((e) => [e.step, e.data?.['batches']])).toEqual([[100, 100]]);
    const checkpoint = withStore(runsDir, (s) => s.summary(runId).lastCheckpoint);
    expect(checkpoint).toMatchObject({ epoch: 2, step: 108 });

    // Resumed from there: 3 epochs more, 108 batches as flat as the first.
    expect((await startTrainer({ runsDir, runId }).done).status).toBe('done');
    withStore(runsDir, (s) => {
      expect(s.events(runId).filter((e) => e.type === 'resumed').map((e) => e.step)).toEqual([108]);
      expect(s.epochMetrics(runId).at(-1)).toMatchObject({ epoch: 5, step: 216 });
    });
    expect(plateaus().map((e) => e.step)).toEqual([100]);
  }, 300_000);
});
