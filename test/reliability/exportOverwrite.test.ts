/**
 * The Masks view asks before it replaces a submission (issue 20 item 3): the lab refuses an existing
 * file unasked (conflict), the store then holds the path for the view's "Replace it", and only that
 * yes sends `overwrite: true`. A refusal that is not a conflict (a file that is not a submission)
 * offers nothing to confirm. The real masks store on a fake browser-mode lab.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/api/errors';
import { useMasksStore } from '../../src-renderer/stores/masksStore';
import { fakeLab } from '../renderer/fakeLab';
import { summary } from '../renderer/fixtures';

const RUN = '20250607-153012-123-aaaaaa';
const FILE = '/tmp/sub.csv';
const page = { runId: RUN, epoch: 0, total: 1, offset: 0, ids: ['a'], height: 1, width: 1, probs: btoa('\xff'), truth: null, truthNote: null, images: null, depths: null, saltProbs: null };

beforeEach(() => setActivePinia(createPinia()));

async function storeWith(exportSubmission: (i: unknown) => unknown) {
  fakeLab({
    listRuns: () => ({ runs: [summary({ id: RUN, epochsDone: 1 })], total: 1 }),
    getPredictionEpochs: () => [0],
    listFolderPredictions: () => [],
    getPredictions: () => page,
    exportSubmission,
  });
  const m = useMasksStore();
  await m.refreshRuns();
  await m.selectRun(RUN);
  return m;
}

describe('exporting over an existing submission', () => {
  it('asks first: a conflict leaves the path to confirm, and the yes resends with overwrite', async () => {
    const sent: unknown[] = [];
    const m = await storeWith((i) => {
      sent.push(i);
      if (!(i as { overwrite?: boolean }).overwrite) throw new ApiError('conflict', `${FILE} exists (a submission); confirm to replace it (overwrite: true) or choose another file name`);
      return { path: FILE, rows: 1, withSalt: 1, threshold: 0.5, minArea: 0 };
    });
    await m.exportSubmission(FILE);
    expect(m.exported).toMatchObject({ state: 'failed', message: expect.stringContaining('exists (a submission)') });
    expect(m.replaceAsk).toBe(FILE);
    await m.exportSubmission(FILE, true);
    expect(m.exported).toMatchObject({ state: 'ready', value: { path: FILE } });
    expect(m.replaceAsk).toBeNull();
    expect(sent.map((i) => (i as { overwrite?: boolean }).overwrite)).toEqual([undefined, true]);
  });

  it('offers nothing to confirm for a file that is not a submission', async () => {
    const m = await storeWith(() => {
      throw new ApiError('forbidden', `${FILE} exists and is not a submission; it is never replaced, so choose another file name`);
    });
    await m.exportSubmission(FILE);
    expect(m.exported).toMatchObject({ state: 'failed' });
    expect(m.replaceAsk).toBeNull();
  });
});
