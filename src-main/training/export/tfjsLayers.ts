/**
 * A trained design as a tfjs Layers model (Keras's layers, channels last), for `strata export
 * --format tfjs`: the model is built with tfjs-layers, given the checkpoint's weights, and saved by
 * tfjs-layers itself, so model.json is exactly what tf.loadLayersModel reads and what
 * tensorflowjs_converter turns into a Keras or SavedModel model.
 *
 * Layers, not a graph model: a Layers model keeps the design's layers (a BN stays a BN, with its
 * moving statistics), loads with tf.loadLayersModel, and can be trained on; the converter takes a
 * tfjs_layers_model on to Keras, which it cannot do for a graph model.
 *
 * Keras has no output size for a transposed conv, so each upsampler's transposed conv is a
 * 'valid' one followed by a Cropping2D that leaves the pixels Strata's 'same' padding keeps
 * (13 -> 26 -> 51 -> 101 exactly). Names are Keras-safe: `e0/block0/conv1` is the layer
 * `e0_block0_conv1`.
 */
import * as tf from '@tensorflow/tfjs';
import { nodeMap, soleInputs, topologicalOrder } from '../../../shared/arch/graph';
import { inferShapes } from '../../../shared/arch/shapes';
import type { Architecture, Initializer, Shape } from '../../../shared/arch/types';
import { BN_EPSILON, ExportError, transposedPads, type WeightArray } from '../../../shared/export/onnxGraph';
import { selectBackend } from '../backend';

/** tfjs-layers's names of Keras's initializers. */
const INITIALIZER: Record<Initializer, 'glorotNormal' | 'glorotUniform' | 'heNormal' | 'heUniform'> = {
  glorot_normal: 'glorotNormal',
  glorot_uniform: 'glorotUniform',
  he_normal: 'heNormal',
  he_uniform: 'heUniform',
};

/** A saved Layers model: model.json's content (without its weights manifest) and the weights, one buffer. */
export interface LayersArtifacts {
  modelTopology: object;
  format: string;
  generatedBy: string;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: Uint8Array;
  userDefinedMetadata: Record<string, string>;
}

/**
 * Builds `arch` (as trained) as a tfjs Layers model with the checkpoint's `weights` and saves it in
 * memory. `metadata` becomes the model's userDefinedMetadata.
 */
export async function layersArtifacts(arch: Architecture, weights: readonly WeightArray[], metadata: Record<string, string>): Promise<LayersArtifacts> {
  // Building the layers computes nothing heavy: a process without a backend yet (the CLI) takes wasm; one with a backend keeps it.
  if (!tf.engine().backendName) await selectBackend({ force: 'wasm' });
  const model = buildLayersModel(arch, weights);
  try {
    model.setUserDefinedMetadata(metadata);
    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const a = saved as tf.io.ModelArtifacts | null;
    if (!a || !a.modelTopology || !a.weightSpecs || a.weightData === undefined) throw new Error('tfjs-layers saved no model');
    return {
      modelTopology: a.modelTopology,
      format: a.format ?? 'layers-model',
      generatedBy: a.generatedBy ?? 'TensorFlow.js tfjs-layers',
      weightSpecs: a.weightSpecs,
      weightData: new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData)),
      userDefinedMetadata: metadata,
    };
  } finally {
    model.dispose();
  }
}

/** The Layers model of `arch` with `weights`: outputs the mask probabilities [N, H, W, 1] (and the salt head's [N, 1]). */
export function buildLayersModel(arch: Architecture, weights: readonly WeightArray[]): tf.LayersModel {
  const byName = new Map(weights.map((w) => [w.name, w]));
  const { shapes } = inferShapes(arch);
  const nodes = nodeMap(arch);
  const sole = soleInputs(arch);
  const taken = new Set<string>();
  const assignments: { layer: tf.layers.Layer; names: string[] }[] = [];
  const tensorOf = new Map<string, tf.SymbolicTensor>();
  let input: tf.SymbolicTensor | null = null;
  let mask: tf.SymbolicTensor | null = null;
  let salt: tf.SymbolicTensor | null = null;

  /** A Keras-safe, unique layer name for Strata's `e0/block0/conv1`. */
  const layerName = (name: string): string => {
    const base = name.replace(/[^A-Za-z0-9_.-]/g, '_');
    let n = base;
    for (let i = 2; taken.has(n); i++) n = `${base}_${i}`;
    taken.add(n);
    return n;
  };
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[], names: string[] = []): tf.SymbolicTensor => {
    if (names.length > 0) assignments.push({ layer, names });
    return layer.apply(x) as tf.SymbolicTensor;
  };
  const conv = (name: string, x: tf.SymbolicTensor, k: number, filters: number, stride: number, init: Initializer) =>
    apply(tf.layers.conv2d({ filters, kernelSize: k, strides: stride, padding: 'same', kernelInitializer: INITIALIZER[init], name: layerName(name) }), x, [`${name}/kernel`, `${name}/bias`]);
  const bn = (name: string, x: tf.SymbolicTensor) =>
    apply(tf.layers.batchNormalization({ axis: -1, momentum: 0.99, epsilon: BN_EPSILON, name: layerName(name) }), x, ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((p) => `${name}/${p}`));
  const relu = (name: string, x: tf.SymbolicTensor) => apply(tf.layers.reLU({ name: layerName(name) }), x);

  for (const id of topologicalOrder(arch).order) {
    const node = nodes.get(id);
    const out = shapes.get(id);
    if (!node || !out) throw new ExportError(id, 'no inferred shape (the design does not check out)');
    if (node.kind === 'input') {
      input = tf.input({ shape: [node.height, node.width, node.channels], name: layerName(id) });
      tensorOf.set(id, input);
      continue;
    }
    const src = sole(id);
    const x = src === undefined ? undefined : tensorOf.get(src);
    const s: Shape | undefined = src === undefined ? undefined : shapes.get(src);
    if (!x || !s) throw new ExportError(id, 'its input was not built');
    const init = ('init' in node ? node.init : undefined) ?? arch.init;
    let y: tf.SymbolicTensor;
    switch (node.kind) {
      case 'conv':
        y = conv(`${id}/conv`, x, node.kernel, node.filters, node.stride, init);
        break;
      case 'resnet':
        y = x;
        for (let b = 0; b < node.blocks; b++) {
          const p = `${id}/block${b}`;
          let r = relu(`${p}/relu1`, bn(`${p}/bn1`, y));
          r = conv(`${p}/conv1`, r, node.kernel, s.c, 1, init);
          r = relu(`${p}/relu2`, bn(`${p}/bn2`, r));
          r = conv(`${p}/conv2`, r, node.kernel, s.c, 1, init);
          y = apply(tf.layers.add({ name: layerName(`${p}/add`) }), [y, r]);
          if (node.bnAfterBlock) y = bn(`${p}/bn_out`, y);
        }
        break;
      case 'down':
        y = x;
        for (let i = 0; i < node.convs; i++) y = conv(`${id}/conv${i}`, y, node.kernel, s.c, 1, init);
        y = conv(`${id}/strided`, y, node.kernel, out.c, 2, init);
        if (node.bn !== 'none') y = bn(`${id}/bn`, y);
        break;
      case 'up': {
        const rows = transposedPads(s.h, out.h, node.kernel);
        const cols = transposedPads(s.w, out.w, node.kernel);
        if (!rows || !cols) throw new ExportError(id, `a ${node.kernel}x${node.kernel} stride-2 transposed conv cannot go from ${s.h}x${s.w} to ${out.h}x${out.w}`);
        const name = `${id}/transposed`;
        y = apply(
          tf.layers.conv2dTranspose({ filters: out.c, kernelSize: node.kernel, strides: 2, padding: 'valid', kernelInitializer: INITIALIZER[init], name: layerName(name) }),
          x,
          [`${name}/kernel`, `${name}/bias`],
        );
        // 'valid' gives 2 * input + max(k - 2, 0) pixels; 'same' keeps those from its top pad on.
        const valid = (n: number) => 2 * n + Math.max(node.kernel - 2, 0);
        const crop: [[number, number], [number, number]] = [
          [rows.pads[0], valid(s.h) - out.h - rows.pads[0]],
          [cols.pads[0], valid(s.w) - out.w - cols.pads[0]],
        ];
        if (crop.flat().some((c) => c < 0)) throw new ExportError(id, `Keras's transposed conv cannot be cropped from ${valid(s.h)}x${valid(s.w)} to ${out.h}x${out.w}`);
        if (crop.flat().some((c) => c > 0)) y = apply(tf.layers.cropping2D({ cropping: crop, name: layerName(`${id}/crop`) }), y);
        if (node.bn === 'strided') y = bn(`${id}/bn`, y);
        for (let i = 0; i < node.convs; i++) y = conv(`${id}/conv${i}`, y, node.convKernel ?? 3, out.c, 1, init);
        if (node.bn === 'after') y = bn(`${id}/bn`, y);
        break;
      }
      case 'bn':
        y = bn(`${id}/bn`, x);
        break;
      case 'merge': {
        const skipId = sole(id, 'skip');
        const skip = skipId === undefined ? undefined : tensorOf.get(skipId);
        if (!skip) throw new ExportError(id, 'its skip input was not built');
        if (node.mode === 'add') y = apply(tf.layers.add({ name: layerName(`${id}/add`) }), [x, skip]);
        else {
          y = apply(tf.layers.concatenate({ axis: -1, name: layerName(`${id}/concat`) }), [x, skip]);
          y = conv(`${id}/project`, y, 1, s.c, 1, init);
        }
        break;
      }
      case 'head':
        y = bn(`${id}/bn`, conv(`${id}/conv`, x, 1, 1, 1, init));
        y = apply(tf.layers.activation({ activation: 'sigmoid', name: layerName(`${id}/sigmoid`) }), y);
        mask = y;
        break;
      case 'saltHead': {
        y = apply(tf.layers.globalAveragePooling2d({ name: layerName(`${id}/pool`) }), x);
        if (node.hidden !== undefined) {
          const name = `${id}/hidden`;
          y = apply(tf.layers.dense({ units: node.hidden, activation: 'relu', kernelInitializer: INITIALIZER[init], name: layerName(name) }), y, [`${name}/kernel`, `${name}/bias`]);
        }
        const name = `${id}/dense`;
        y = apply(tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: INITIALIZER[init], name: layerName(name) }), y, [`${name}/kernel`, `${name}/bias`]);
        salt = y;
        break;
      }
      default: {
        const unknown: never = node;
        throw new ExportError(id, `the tfjs exporter has no layers for node kind '${String((unknown as { kind: unknown }).kind)}'`);
      }
    }
    tensorOf.set(id, y);
  }
  if (!input || !mask) throw new ExportError(null, 'the design has no input or no head');
  const model = tf.model({ inputs: input, outputs: salt ? [mask, salt] : mask, name: layerName(arch.name) });
  try {
    const used = new Set<string>();
    for (const { layer, names } of assignments) {
      const values = names.map((n) => {
        const w = byName.get(n);
        if (!w) throw new ExportError(n.split('/')[0] ?? null, `the checkpoint has no weight ${n}`);
        used.add(n);
        return tf.tensor(w.data, [...w.shape], 'float32');
      });
      try {
        layer.setWeights(values);
      } finally {
        for (const v of values) v.dispose();
      }
    }
    const unused = weights.find((w) => !used.has(w.name));
    if (unused) throw new ExportError(unused.name.split('/')[0] ?? null, `the layers leave the checkpoint's weight ${unused.name} unused`);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
