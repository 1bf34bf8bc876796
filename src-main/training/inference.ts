/**
 * Prediction with a trained run: load checkpoints into fresh models and turn images into
 * probabilities, with horizontal-flip test-time augmentation (the image and its mirror, the
 * mirror's prediction flipped back, averaged) and snapshot ensembling (several checkpoints'
 * probabilities averaged). Used by `strata eval` and `strata predict`, the lab's folder
 * predictions and the finalize step at the end of training (finalize.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { withBnPlacement, withInitializer } from '../../shared/arch';
import type { Checkpoint, RunRecord } from '../../shared/runs/types';
import { applyPostprocess } from '../../shared/metrics';
import { resolvePostprocess, type AppliedPostprocess, type CheckpointRef, type PostprocessMode } from '../../shared/runs/postprocess';
import { renderInputs } from '../data/batches';
import type { Dataset } from '../data/dataset';
import type { NormStats } from '../data/normalize';
import type { RunStore } from '../runs/store';
import { selectBackend, type BackendReport } from './backend';
import { UNetModel } from './model';
import { readComputed } from './read';

/** One checkpoint of a run, ready to predict. */
export interface LoadedModel {
  run: RunRecord;
  model: UNetModel;
  norm: NormStats;
  channels: 1 | 3;
  epoch: number;
  backend: BackendReport;
}

/** A run's checkpoints that predict together, their probabilities averaged. */
export interface Ensemble {
  run: RunRecord;
  members: LoadedModel[];
  /** Average each image's prediction with its mirror image's, flipped back. */
  tta: boolean;
  backend: BackendReport;
  /** The members' epochs, in the order loaded. */
  epochs: number[];
  dispose(): void;
}

/** Names a checkpoint in messages: "best checkpoint", "snapshot of epoch 4". */
export function describeRef(ref: CheckpointRef): string {
  return ref.kind === 'snapshot' ? `snapshot of epoch ${ref.epoch + 1}` : `${ref.kind} checkpoint`;
}

function readRef(store: RunStore, run: RunRecord, ref: CheckpointRef): Checkpoint {
  const ckpt = ref.kind === 'snapshot' ? store.loadSnapshot(run.id, ref.epoch) : store.loadCheckpoint(run.id, ref.kind);
  if (!ckpt) {
    if (ref.kind === 'snapshot') throw new Error(`run ${run.id} has no ${describeRef(ref)} (its snapshot ring holds epochs ${store.snapshots(run.id).map((s) => s.epoch + 1).join(', ') || 'none'})`);
    throw new Error(`run ${run.id} has no ${ref.kind} checkpoint yet (it has ${run.epochsDone} completed epochs)`);
  }
  return ckpt;
}

function modelOf(run: RunRecord, ckpt: Checkpoint, what: string, backend: BackendReport): LoadedModel {
  const norm = ckpt.extra?.norm;
  if (!norm || typeof norm.mean !== 'number' || typeof norm.std !== 'number') throw new Error(`run ${run.id}: its ${what} has no normalisation statistics`);
  const arch = withInitializer(withBnPlacement(run.arch, run.config.bnPlacement), run.config.init);
  const model = new UNetModel(arch, run.seed);
  try {
    model.setWeights(ckpt.tensors);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { run, model, norm, channels: model.inputShape.c === 3 ? 3 : 1, epoch: ckpt.epoch, backend };
}

async function backendFor(run: RunRecord, given?: BackendReport): Promise<BackendReport> {
  return given ?? (await selectBackend(run.config.backend === 'auto' ? {} : { force: run.config.backend }));
}

/**
 * Loads the checkpoints `refs` of a run as one ensemble (a single ref: one model). `backend` is the
 * backend already selected in this process (the trainer's), else the run's is selected here. Errors
 * name the run and the checkpoint that is missing.
 */
export async function loadEnsemble(store: RunStore, runId: string, refs: readonly CheckpointRef[], tta: boolean, backend?: BackendReport): Promise<Ensemble> {
  if (refs.length === 0) throw new Error(`run ${runId}: an ensemble needs at least one checkpoint`);
  const run = store.get(runId);
  const report = await backendFor(run, backend);
  const members: LoadedModel[] = [];
  try {
    for (const ref of refs) members.push(modelOf(run, readRef(store, run, ref), describeRef(ref), report));
  } catch (e) {
    for (const m of members) m.model.dispose();
    throw e;
  }
  return {
    run,
    members,
    tta,
    backend: report,
    epochs: members.map((m) => m.epoch),
    dispose: () => {
      for (const m of members) m.model.dispose();
    },
  };
}

/** What {@link predictAll} predicts and reports. */
export interface PredictOptions {
  batch?: number;
  /** Samples of the dataset to predict, in this order (default: all, in dataset order). */
  indices?: readonly number[];
  onProgress?: (done: number, total: number) => void;
}

/** A dataset's predictions: mask probabilities and, from a design's salt head, each image's salt probability. */
export interface DatasetPrediction {
  /** uint8 (p*255 rounded), image after image. */
  probs: Uint8Array;
  /** One per image, averaged like the masks; null when the design has no salt head. */
  saltProbs: Float32Array | null;
}

/**
 * Probabilities for the images of `ds` as uint8 (p*255 rounded), image after image: the mean over
 * the ensemble's members and, with TTA, over each image and its mirror image (flipped back). A lone
 * model without TTA gives exactly its own rounded probabilities. With a salt head, each image's salt
 * probability too (the mean over the same members and views; its mirror image has a salt
 * probability of its own), from the same passes. Each batch is read back in one transfer.
 */
export async function predictAll(ens: Pick<Ensemble, 'members' | 'tta'>, ds: Dataset, opts: PredictOptions = {}): Promise<DatasetPrediction> {
  const first = ens.members[0];
  if (!first) throw new Error('predictAll: no model to predict with');
  const input = first.model.inputShape;
  if (input.h !== ds.height || input.w !== ds.width) {
    throw new Error(`the model takes ${input.h}x${input.w} images, but ${ds.info.name} has ${ds.height}x${ds.width}`);
  }
  // Members of one run share their design: all have the salt head or none has.
  const withSalt = ens.members.every((m) => m.model.saltHead !== null);
  const batch = opts.batch ?? 16;
  const all = opts.indices ?? ds.ids.map((_, i) => i);
  const n = all.length;
  const px = ds.height * ds.width;
  const probsOut = new Uint8Array(n * px);
  const saltOut = withSalt ? new Float32Array(n) : null;
  const views = ens.members.length * (ens.tta ? 2 : 1);
  for (let start = 0; start < n; start += batch) {
    const indices = all.slice(start, start + batch);
    const shape: [number, number, number, number] = [indices.length, ds.height, ds.width, first.channels];
    // Members of one run share their normalisation; each distinct one is rendered once per batch.
    const inputs = new Map<string, Float32Array>();
    // [round(mean * 255)..., (salt probabilities)]: integers to 255 are exact in float32.
    const out = await readComputed(() => {
      let sum: tf.Tensor | null = null;
      let saltSum: tf.Tensor | null = null;
      // The mask (and salt) probabilities of one view; a mirrored view's mask is flipped back.
      const view = (m: LoadedModel, x: tf.Tensor4D, mirrored: boolean): void => {
        const xin = mirrored ? tf.reverse(x, 2) : x;
        let p: tf.Tensor;
        if (withSalt) {
          const o = m.model.forwardAll(xin, false);
          p = tf.sigmoid(o.mask);
          if (o.salt) saltSum = saltSum === null ? tf.sigmoid(o.salt) : tf.add(saltSum, tf.sigmoid(o.salt));
        } else p = m.model.predict(xin);
        if (mirrored) p = tf.reverse(p, 2);
        sum = sum === null ? p : tf.add(sum, p);
      };
      for (const m of ens.members) {
        const key = `${m.norm.mean}/${m.norm.std}`;
        let x = inputs.get(key);
        if (!x) {
          x = renderInputs(ds, indices, m.channels, m.norm);
          inputs.set(key, x);
        }
        const xt = tf.tensor4d(x, shape);
        view(m, xt, false);
        if (ens.tta) view(m, xt, true);
      }
      const total = sum as tf.Tensor | null;
      if (total === null) throw new Error('predictAll: no model predicted');
      const mean = views === 1 ? total : tf.div(total, views);
      const salts = saltSum as tf.Tensor | null;
      const q = tf.reshape(tf.round(tf.mul(mean, 255)), [-1]);
      if (!saltOut) return q;
      if (salts === null) throw new Error('predictAll: the salt head gave no output');
      return tf.concat([q, views === 1 ? salts : tf.div(salts, views)]);
    });
    const masks = indices.length * px;
    probsOut.set(out.subarray(0, masks), start * px);
    if (saltOut) saltOut.set(out.subarray(masks), start);
    opts.onProgress?.(start + indices.length, n);
  }
  return { probs: probsOut, saltProbs: saltOut };
}

/** What {@link predictWithRun} is asked for. */
export interface RunPredictionOptions {
  /** `run` (default): the run's stored post-processing; `none`: the best checkpoint's raw masks. */
  mode?: PostprocessMode;
  /** Overrides the threshold in either mode. */
  threshold?: number;
  batch?: number;
  onProgress?: (done: number, total: number) => void;
  /** Called once the models are loaded, before predicting (for a progress line). */
  onLoaded?: (applied: AppliedPostprocess, ensemble: Ensemble) => void;
}

/** A folder predicted by a run, with what was applied. */
export interface RunPrediction {
  applied: AppliedPostprocess;
  /** The epochs of the checkpoints averaged. */
  epochs: number[];
  backend: BackendReport;
  /** Probabilities after TTA and averaging, uint8 (p*255 rounded), image after image. */
  probs: Uint8Array;
  /** Each image's salt probability from the design's salt head; null without one. */
  saltProbs: Float32Array | null;
  /** The masks (0/1) after the threshold, the minimum area and the salt head's vote. */
  masks: Uint8Array;
}

/**
 * THE prediction path of a trained run: resolves what to apply (resolvePostprocess: the run's stored
 * post-processing, the legacy rule for runs without one, or none), loads those checkpoints, predicts
 * every image of `ds` with TTA and averaging as resolved, and makes the masks with the threshold,
 * the minimum area and, with a salt head, its vote. `strata eval`, `strata predict` and the lab's folder predictions all go through it.
 */
export async function predictWithRun(store: RunStore, runId: string, ds: Dataset, opts: RunPredictionOptions = {}): Promise<RunPrediction> {
  const run = store.get(runId);
  const best = store.checkpointInfo(runId, 'best');
  // The legacy rule's threshold: the best epoch's bestThreshold, chosen on validation by thresholdSweep (the one tuner at minimum area 0).
  const t = best ? store.epochMetrics(runId).find((e) => e.epoch === best.epoch)?.bestThreshold : undefined;
  const applied = resolvePostprocess(run, t !== undefined && Number.isFinite(t) ? t : null, {
    mode: opts.mode ?? 'run',
    ...(opts.threshold === undefined ? {} : { threshold: opts.threshold }),
  });
  const ens = await loadEnsemble(store, runId, applied.checkpoints, applied.tta);
  try {
    opts.onLoaded?.(applied, ens);
    if (applied.saltCut !== undefined && ens.members.some((m) => m.model.saltHead === null)) {
      throw new Error(`run ${runId}: its post-processing votes with a salt cut, but its design has no salt head`);
    }
    const { probs, saltProbs } = await predictAll(ens, ds, {
      ...(opts.batch === undefined ? {} : { batch: opts.batch }),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
    const masks = applyPostprocess(probs, ds.ids.length, ds.height, ds.width, applied, undefined, saltProbs ?? undefined);
    return { applied, epochs: ens.epochs, backend: ens.backend, probs, saltProbs, masks };
  } finally {
    ens.dispose();
  }
}
