/**
 * BN health measured on the model (the figures are defined in shared/analysis/bnHealth.ts): three
 * forward passes, no gradients. The drift: one training-mode pass over a fixed training batch, each
 * measured BN's batch statistics against its moving ones. The gap: the whole net in training and in
 * inference mode over a fixed validation batch, each BN site's output compared. Both training-mode
 * passes queue moving-average updates; they are dropped, so measuring never changes the model.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BnHealth, BnSite } from '../../../shared/analysis/bnHealth';
import type { BnStats, UNetModel } from '../model';
import { readTensors } from '../read';

/** A batch of NHWC inputs. */
export interface ProbeImages {
  x: Float32Array;
  shape: [number, number, number, number];
}

/** Per channel |m_b - m| / sqrt(v + eps) and |ln((v_b + eps) / (v + eps))|, each averaged over channels: two scalars. */
function drift(s: BnStats): [tf.Scalar, tf.Scalar] {
  const v = tf.add(s.movingVariance, s.epsilon);
  const shift = tf.mean(tf.div(tf.abs(tf.sub(s.mean, s.movingMean)), tf.sqrt(v))) as tf.Scalar;
  const ratio = tf.mean(tf.abs(tf.log(tf.div(tf.add(s.variance, s.epsilon), v)))) as tf.Scalar;
  return [shift, ratio];
}

/** BN health of every site, as plain numbers. The model's weights and moving statistics are left as they were. */
export async function measureBnHealth(model: UNetModel, sites: readonly BnSite[], train: ProbeImages, val: ProbeImages): Promise<BnHealth[]> {
  if (sites.length === 0) return [];
  const siteOfLayer = new Map(sites.flatMap((s) => s.layers.map((l) => [l, s.nodeId] as const)));
  const ids = new Set(sites.map((s) => s.nodeId));
  try {
    // Drift: sums over each site's layers; read back with the gap's sums in one transfer.
    const driftSums = tf.tidy(() => {
      const sums = new Map<string, tf.Scalar[]>();
      model.forward(tf.tensor4d(train.x, train.shape), true, {
        onBatchNorm: (layer, stats) => {
          const node = siteOfLayer.get(layer);
          if (node === undefined) return;
          const [shift, ratio] = drift(stats);
          const prev = sums.get(node);
          sums.set(node, prev ? [tf.add(prev[0] as tf.Scalar, shift), tf.add(prev[1] as tf.Scalar, ratio)] : [shift, ratio]);
        },
      });
      return tf.stack(sites.flatMap((s) => sums.get(s.nodeId) ?? [tf.scalar(NaN), tf.scalar(NaN)]));
    });
    model.discardBnUpdates();
    const trainOut = tf.tidy(() => {
      const kept: Record<string, tf.Tensor4D> = {};
      model.forward(tf.tensor4d(val.x, val.shape), true, {
        onNodeOutput: (node, out) => {
          if (ids.has(node.id)) kept[node.id] = out;
        },
      });
      return kept;
    });
    model.discardBnUpdates();
    const gapSums = tf.tidy(() => {
      const parts: tf.Scalar[] = [];
      const byId = new Map<string, [tf.Scalar, tf.Scalar]>();
      model.forward(tf.tensor4d(val.x, val.shape), false, {
        onNodeOutput: (node, out) => {
          const t = trainOut[node.id];
          if (t) byId.set(node.id, [tf.sum(tf.square(tf.sub(t, out))), tf.sum(tf.square(t))]);
        },
      });
      for (const s of sites) parts.push(...(byId.get(s.nodeId) ?? [tf.scalar(NaN), tf.scalar(NaN)]));
      return tf.stack(parts);
    });
    tf.dispose(Object.values(trainOut));
    let d: Float32Array;
    let g: Float32Array;
    try {
      [d = new Float32Array(), g = new Float32Array()] = await readTensors([driftSums, gapSums]);
    } finally {
      driftSums.dispose();
      gapSums.dispose();
    }
    return sites.map((s, i) => {
      const diff = g[2 * i] ?? NaN;
      const ref = g[2 * i + 1] ?? NaN;
      return {
        nodeId: s.nodeId,
        kind: s.kind,
        layers: s.layers.length,
        meanShift: (d[2 * i] ?? NaN) / s.layers.length,
        varLogRatio: (d[2 * i + 1] ?? NaN) / s.layers.length,
        // An output that is zero in both modes has no gap; zero in training mode only, an undefined one.
        gap: ref > 0 ? Math.sqrt(diff / ref) : diff > 0 ? NaN : 0,
      };
    });
  } finally {
    model.discardBnUpdates();
  }
}
