/**
 * Prediction with a trained run: load a checkpoint into a fresh model and turn images into
 * probabilities. Used by `strata eval` and `strata predict` and by the lab service's predictions.
 */
import * as tf from '@tensorflow/tfjs-core';
import { withBnPlacement, withInitializer } from '../../shared/arch';
import type { CheckpointKind, RunRecord } from '../../shared/runs/types';
import { renderInputs } from '../data/batches';
import type { Dataset } from '../data/dataset';
import type { NormStats } from '../data/normalize';
import type { RunStore } from '../runs/store';
import { selectBackend, type BackendReport } from './backend';
import { UNetModel } from './model';

/** A run's model, ready to predict. */
export interface LoadedModel {
  run: RunRecord;
  model: UNetModel;
  norm: NormStats;
  channels: 1 | 3;
  epoch: number;
  backend: BackendReport;
}

/** Loads the `best` (or `last`) checkpoint of a run. Errors name the run and what is missing. */
export async function loadRunModel(store: RunStore, runId: string, kind: CheckpointKind = 'best'): Promise<LoadedModel> {
  const run = store.get(runId);
  if (!run) throw new Error(`no run '${runId}'`);
  const ckpt = store.loadCheckpoint(runId, kind);
  if (!ckpt) throw new Error(`run ${runId} has no ${kind} checkpoint yet (it has ${run.epochsDone} completed epochs)`);
  const norm = ckpt.extra?.['norm'] as NormStats | undefined;
  if (!norm || typeof norm.mean !== 'number' || typeof norm.std !== 'number') {
    throw new Error(`run ${runId}: its checkpoint has no normalisation statistics`);
  }
  const backend = await selectBackend(run.config.backend === 'auto' ? {} : { force: run.config.backend });
  const arch = withInitializer(withBnPlacement(run.arch, run.config.bnPlacement), run.config.init);
  const model = new UNetModel(arch, run.seed);
  model.setWeights(ckpt.tensors);
  const input = model.inputShape;
  return { run, model, norm, channels: input.c === 3 ? 3 : 1, epoch: ckpt.epoch, backend };
}

/** Probabilities for every image of `ds`, as uint8 (p*255 rounded), image after image. */
export function predictDataset(loaded: LoadedModel, ds: Dataset, batch = 16, onProgress?: (done: number, total: number) => void): Uint8Array {
  const { model, norm, channels } = loaded;
  const input = model.inputShape;
  if (input.h !== ds.height || input.w !== ds.width) {
    throw new Error(`the model takes ${input.h}x${input.w} images, but ${ds.info.name} has ${ds.height}x${ds.width}`);
  }
  const n = ds.ids.length;
  const px = ds.height * ds.width;
  const out = new Uint8Array(n * px);
  for (let start = 0; start < n; start += batch) {
    const indices = Array.from({ length: Math.min(batch, n - start) }, (_, k) => start + k);
    const x = renderInputs(ds, indices, channels, norm);
    const q = tf.tidy(() => {
      const p = model.predict(tf.tensor4d(x, [indices.length, ds.height, ds.width, channels]));
      return tf.cast(tf.round(tf.mul(p, 255)), 'int32');
    });
    out.set(q.dataSync() as Int32Array, start * px);
    q.dispose();
    onProgress?.(start + indices.length, n);
  }
  return out;
}
