/**
 * Prediction with a run's checkpoints (training/inference.ts) on the real tiny preset: a lone model
 * gives its own rounded probabilities, flip TTA makes a model flip-equivariant, a snapshot ensemble
 * averages its members. Checkpoints are real files in a real run store.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withBnPlacement, withInitializer } from '../../shared/arch';
import { assembleDataset, type Dataset } from '../../src-main/data/dataset';
import { makeDemoDataset } from '../../src-main/data/demo';
import { renderInputs } from '../../src-main/data/batches';
import { selectBackend } from '../../src-main/training/backend';
import { loadEnsemble, predictAll, type Ensemble } from '../../src-main/training/inference';
import { UNetModel } from '../../src-main/training/model';
import { tempDir } from '../helpers/tempDir';
import { createRun, withOpenStore, withStore } from '../helpers/trainerRuns';

const root = tempDir('inference');

const N = 3;
const S = 101;
const norm = { mean: 110, std: 45 };

/** `ds` with every image (and mask) mirrored left to right. */
function mirrored(ds: Dataset): Dataset {
  const flip = (a: Uint8Array): Uint8Array => {
    const out = new Uint8Array(a.length);
    for (let k = 0; k < a.length / (S * S); k++) for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) out[k * S * S + y * S + x] = a[k * S * S + y * S + (S - 1 - x)] ?? 0;
    return out;
  };
  return assembleDataset({ name: 'mirrored', source: ds.info.source, synthetic: true, problems: [] }, ds.ids, S, S, flip(ds.images), ds.masks && flip(ds.masks), null);
}

function mirrorProbs(p: Uint8Array): Uint8Array {
  return mirrored(assembleDataset({ name: 'p', source: { kind: 'demo', seed: 0, count: N }, synthetic: true, problems: [] }, Array.from({ length: N }, (_, i) => `p${i}`), S, S, p, null, null)).images;
}

/** The ensemble's probabilities of `ds`, through the prediction path every caller uses. */
async function probsOf(ens: Ensemble, d: Dataset, opts: Parameters<typeof predictAll>[2] = {}): Promise<Uint8Array> {
  return (await predictAll(ens, d, opts)).probs;
}

function maxDiff(a: Uint8Array, b: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
}

describe('predictAll with flip TTA and snapshot ensembles', () => {
  const runsDir = path.join(root, 'runs');
  const runId = createRun(runsDir, { inference: { tta: true, snapshots: 2 } });
  const ds = makeDemoDataset({ count: N, seed: 5 });
  const ds2 = mirrored(ds);
  const models: UNetModel[] = [];

  beforeAll(async () => {
    await selectBackend({ force: 'wasm' });
    const run = withStore(runsDir, (s) => s.get(runId));
    const arch = withInitializer(withBnPlacement(run.arch, run.config.bnPlacement), run.config.init);
    // Two differently initialised models: the best checkpoint and a snapshot of another epoch.
    for (const seed of [11, 12]) models.push(new UNetModel(arch, seed));
    const [w0 = [], w1 = []] = await Promise.all(models.map((m) => m.getWeights()));
    withStore(runsDir, (s) => {
      s.saveCheckpoint(runId, 'best', { epoch: 0, step: 1, tensors: w0, extra: { norm } });
      s.saveSnapshot(runId, { epoch: 0, step: 1, tensors: w0, extra: { norm } }, 2);
      s.saveSnapshot(runId, { epoch: 1, step: 2, tensors: w1, extra: { norm } }, 2);
    });
  });
  afterAll(() => {
    for (const m of models) m.dispose();
  });

  it('gives a lone model exactly its own probabilities, rounded to bytes', async () => {
    const loaded = await withOpenStore(runsDir, (s) => loadEnsemble(s, runId, [{ kind: 'best' }], false));
    try {
      expect(loaded.epochs).toEqual([0]);
      const got = await probsOf(loaded, ds, { batch: 2 });
      const direct = tf.tidy(() => {
        const p = models[0]?.predict(tf.tensor4d(renderInputs(ds, [0, 1, 2], 1, norm), [N, S, S, 1]));
        return Uint8Array.from(tf.round(tf.mul(p as tf.Tensor, 255)).dataSync());
      });
      expect(maxDiff(got, direct)).toBe(0);
      // A subset in a given order is that subset's rows.
      const sub = await probsOf(loaded, ds, { indices: [2, 0] });
      expect(maxDiff(sub.subarray(0, S * S), got.subarray(2 * S * S))).toBe(0);
      expect(maxDiff(sub.subarray(S * S), got.subarray(0, S * S))).toBe(0);
      // The design has no salt head: no salt probabilities.
      expect((await predictAll(loaded, ds)).saltProbs).toBeNull();
    } finally {
      loaded.dispose();
    }
  });

  it('makes a model flip-equivariant with TTA: the mirrored image gets the mirrored probabilities', async () => {
    const plain = await withOpenStore(runsDir, (s) => loadEnsemble(s, runId, [{ kind: 'best' }], false));
    const tta = await withOpenStore(runsDir, (s) => loadEnsemble(s, runId, [{ kind: 'best' }], true));
    try {
      const p = await probsOf(plain, ds);
      const pm = mirrorProbs(await probsOf(plain, ds2));
      // Without TTA an initialised net is not mirror-symmetric: the check below could fail.
      expect(maxDiff(pm, p)).toBeGreaterThan(1);
      const t = await probsOf(tta, ds);
      const tm = await probsOf(tta, ds2);
      expect(maxDiff(mirrorProbs(tm), t)).toBeLessThanOrEqual(1);
      // TTA is the mean of the image's prediction and its mirror's flipped back.
      const mean = p.map((v, i) => Math.round((v + (pm[i] ?? 0)) / 2));
      expect(maxDiff(t, mean)).toBeLessThanOrEqual(1);
    } finally {
      plain.dispose();
      tta.dispose();
    }
  });

  it('averages the probabilities of the snapshots of an ensemble', async () => {
    const ens = await withOpenStore(runsDir, (s) => loadEnsemble(s, runId, [{ kind: 'snapshot', epoch: 0 }, { kind: 'snapshot', epoch: 1 }], false));
    const a = await withOpenStore(runsDir, (s) => loadEnsemble(s, runId, [{ kind: 'snapshot', epoch: 0 }], false));
    const b = await withOpenStore(runsDir, (s) => loadEnsemble(s, runId, [{ kind: 'snapshot', epoch: 1 }], false));
    try {
      expect(ens.epochs).toEqual([0, 1]);
      const pa = await probsOf(a, ds);
      const pb = await probsOf(b, ds);
      expect(maxDiff(pa, pb)).toBeGreaterThan(1);
      const pe = await probsOf(ens, ds);
      expect(maxDiff(pe, pa.map((v, i) => Math.round((v + (pb[i] ?? 0)) / 2)))).toBeLessThanOrEqual(1);
    } finally {
      for (const e of [ens, a, b]) e.dispose();
    }
  });

  it('names a snapshot the ring does not hold', async () => {
    await expect(withOpenStore(runsDir, (s) => loadEnsemble(s, runId, [{ kind: 'snapshot', epoch: 7 }], false))).rejects.toThrow(/has no snapshot of epoch 8 \(its snapshot ring holds epochs 1, 2\)/);
    await expect(withOpenStore(runsDir, (s) => loadEnsemble(s, runId, [], false))).rejects.toThrow(/at least one checkpoint/);
  });
});
