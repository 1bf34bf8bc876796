/**
 * Export of a design as a Keras (Python) script that builds the same model as Strata's builder:
 * the same layers in the same order (pre-activation resnet blocks, samplers without activations,
 * BNs where the design puts them), the initializers by Keras name, and transposed convs whose
 * `output_padding` gives exactly the resolution the design infers (13 -> 26, 26 -> 51, 51 -> 101).
 * With 'same' padding and that output size, TensorFlow's transposed conv is the adjoint of the
 * matching strided conv, which is what Strata's builder computes.
 */
import { archError } from './errors';
import type { ArchError } from './errors';
import { nodeMap, soleInputs, topologicalOrder } from './graph';
import { inferShapes } from './shapes';
import type { ArchNode, Architecture, Initializer, Shape } from './types';
import { validateArchitecture } from './validate';
import { weightSpecs } from './weights';

/** The script, or why the design cannot be exported. */
export type KerasExport = { ok: true; script: string } | { ok: false; errors: ArchError[] };

/**
 * Keras's `output_padding` for a stride-2 'same' transposed conv of kernel `k` from `input` to
 * `target` pixels: Keras computes (input - 1) * 2 + k - 2 * floor(k / 2) + output_padding. Null when
 * no padding in [0, 2) reaches the target (an even kernel going to an odd size, say).
 */
export function transposedOutputPadding(input: number, target: number, k: number): number | null {
  const p = target - ((input - 1) * 2 + k - 2 * Math.floor(k / 2));
  return p >= 0 && p < 2 ? p : null;
}

/** A Python string literal: JSON's escapes are all valid in Python. */
function py(s: string): string {
  return JSON.stringify(s);
}

/** A Keras layer name from a node id and a part: Keras forbids "/" in names. */
function layerName(id: string, part: string): string {
  return py(part === '' ? id : `${id}_${part}`);
}

const PRELUDE = `import keras
from keras import layers


def resnet_stack(x, blocks, kernel, init, name, bn_after_block=False):
    """Pre-activation blocks x + conv(relu(bn(conv(relu(bn(x)))))), channels kept."""
    channels = x.shape[-1]
    for b in range(blocks):
        r = layers.BatchNormalization(momentum=0.99, epsilon=1e-3, name=f"{name}_block{b}_bn1")(x)
        r = layers.ReLU(name=f"{name}_block{b}_relu1")(r)
        r = layers.Conv2D(channels, kernel, padding="same", kernel_initializer=init, name=f"{name}_block{b}_conv1")(r)
        r = layers.BatchNormalization(momentum=0.99, epsilon=1e-3, name=f"{name}_block{b}_bn2")(r)
        r = layers.ReLU(name=f"{name}_block{b}_relu2")(r)
        r = layers.Conv2D(channels, kernel, padding="same", kernel_initializer=init, name=f"{name}_block{b}_conv2")(r)
        x = layers.Add(name=f"{name}_block{b}_add")([x, r])
        if bn_after_block:
            x = layers.BatchNormalization(momentum=0.99, epsilon=1e-3, name=f"{name}_block{b}_bn_out")(x)
    return x
`;

interface Ctx {
  vars: Map<string, string>;
  taken: Set<string>;
  init: Initializer;
}

/** A Python variable for node `id`: ids may hold "-" or start with a digit. */
function varOf(ctx: Ctx, id: string): string {
  const known = ctx.vars.get(id);
  if (known) return known;
  const base = `x_${id.replace(/[^A-Za-z0-9_]/g, '_')}`;
  let name = base;
  for (let n = 2; ctx.taken.has(name); n++) name = `${base}_${n}`;
  ctx.taken.add(name);
  ctx.vars.set(id, name);
  return name;
}

const BN = 'layers.BatchNormalization(momentum=0.99, epsilon=1e-3, name=';

function conv(filters: number, k: number, stride: number, init: string, name: string): string {
  const s = stride === 1 ? '' : `strides=${stride}, `;
  return `layers.Conv2D(${filters}, ${k}, ${s}padding="same", kernel_initializer=${py(init)}, name=${name})`;
}

/** The Python lines of one node; `x` is its main input variable, `skip` a merge's encoder input. */
function nodeLines(ctx: Ctx, node: Exclude<ArchNode, { kind: 'input' }>, x: string, skip: string | undefined, inShape: Shape, out: Shape): string[] | ArchError {
  const v = varOf(ctx, node.id);
  const init = ('init' in node ? node.init : undefined) ?? ctx.init;
  const id = node.id;
  switch (node.kind) {
    case 'conv':
      return [`${v} = ${conv(out.c, node.kernel, node.stride, init, layerName(id, 'conv'))}(${x})`];
    case 'resnet': {
      const extra = node.bnAfterBlock ? ', bn_after_block=True' : '';
      return [`${v} = resnet_stack(${x}, ${node.blocks}, ${node.kernel}, ${py(init)}, ${py(id)}${extra})`];
    }
    case 'down': {
      const lines = [`${v} = ${x}`];
      for (let i = 0; i < node.convs; i++) lines.push(`${v} = ${conv(inShape.c, node.kernel, 1, init, layerName(id, `conv${i}`))}(${v})`);
      lines.push(`${v} = ${conv(out.c, node.kernel, 2, init, layerName(id, 'strided'))}(${v})`);
      if (node.bn !== 'none') lines.push(`${v} = ${BN}${layerName(id, 'bn')})(${v})`);
      return lines;
    }
    case 'up': {
      const pad = [transposedOutputPadding(inShape.h, out.h, node.kernel), transposedOutputPadding(inShape.w, out.w, node.kernel)];
      if (pad[0] === null || pad[1] === null) {
        return archError(
          'bad-param',
          `${id}: Keras cannot take a ${node.kernel}x${node.kernel} stride-2 transposed conv from ${inShape.h}x${inShape.w} to ${out.h}x${out.w} (no output_padding of 0 or 1 does it); use an odd kernel`,
          { nodeId: id },
        );
      }
      const padText = pad[0] === pad[1] ? String(pad[0]) : `(${pad[0]}, ${pad[1]})`;
      const lines = [
        `${v} = layers.Conv2DTranspose(${out.c}, ${node.kernel}, strides=2, padding="same", output_padding=${padText}, kernel_initializer=${py(init)}, name=${layerName(id, 'transposed')})(${x})  # ${inShape.h}x${inShape.w} -> ${out.h}x${out.w}`,
      ];
      if (node.bn === 'strided') lines.push(`${v} = ${BN}${layerName(id, 'bn')})(${v})`);
      for (let i = 0; i < node.convs; i++) lines.push(`${v} = ${conv(out.c, node.convKernel ?? 3, 1, init, layerName(id, `conv${i}`))}(${v})`);
      if (node.bn === 'after') lines.push(`${v} = ${BN}${layerName(id, 'bn')})(${v})`);
      return lines;
    }
    case 'bn':
      return [`${v} = ${BN}${layerName(id, 'bn')})(${x})`];
    case 'merge':
      if (node.mode === 'add') return [`${v} = layers.Add(name=${layerName(id, 'add')})([${x}, ${skip}])`];
      return [
        `${v} = layers.Concatenate(axis=-1, name=${layerName(id, 'concat')})([${x}, ${skip}])`,
        `${v} = ${conv(out.c, 1, 1, init, layerName(id, 'project'))}(${v})`,
      ];
    case 'head':
      return [
        `${v} = ${conv(1, 1, 1, init, layerName(id, 'conv'))}(${x})`,
        `${v} = ${BN}${layerName(id, 'bn')})(${v})`,
        `${v} = layers.Activation("sigmoid", name=${layerName(id, 'sigmoid')})(${v})`,
      ];
    case 'saltHead': {
      const lines = [`${v} = layers.GlobalAveragePooling2D(name=${layerName(id, 'pool')})(${x})`];
      if (node.hidden !== undefined) {
        lines.push(`${v} = layers.Dense(${node.hidden}, activation="relu", kernel_initializer=${py(init)}, name=${layerName(id, 'hidden')})(${v})`);
      }
      lines.push(`${v} = layers.Dense(1, activation="sigmoid", kernel_initializer=${py(init)}, name=${layerName(id, 'dense')})(${v})`);
      return lines;
    }
  }
}

function comment(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Keras's order of a layer's weights (a conv or dense: kernel, bias; a BN: gamma, beta, moving mean and variance). */
const KERAS_WEIGHT_ORDER = ['kernel', 'bias', 'gamma', 'beta', 'moving_mean', 'moving_variance'];

/** One Keras layer's weights: its name in the script, and Strata's weight names (the arrays' keys in weights.npz) and shapes, in Keras's order. */
export interface KerasLayerWeights {
  layer: string;
  weights: { key: string; shape: number[] }[];
}

/**
 * The weights of `arch`'s Keras model, layer by layer in graph order: Strata's `e0/block0/conv1/kernel`
 * is the kernel of the script's layer `e0_block0_conv1` (its name with the last part dropped, `/` as
 * `_`), as the script names its layers. Shapes are Keras's too (a transposed conv's kernel is
 * [k, k, out, in] in both).
 */
export function kerasWeightEntries(arch: Architecture): KerasLayerWeights[] {
  const layers = new Map<string, KerasLayerWeights>();
  for (const w of weightSpecs(arch)) {
    const parts = w.name.split('/');
    const layer = parts.slice(0, -1).join('_');
    const entry = layers.get(layer) ?? { layer, weights: [] };
    entry.weights.push({ key: w.name, shape: w.shape });
    layers.set(layer, entry);
  }
  const rank = (key: string) => KERAS_WEIGHT_ORDER.indexOf(key.split('/').pop() ?? '');
  return [...layers.values()].map((l) => ({ layer: l.layer, weights: [...l.weights].sort((a, b) => rank(a.key) - rank(b.key)) }));
}

function pyShape(shape: readonly number[]): string {
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}

/** The script's weight table and its numpy-only loader, for a weights file of `arch`'s trained weights. */
function weightsLoader(arch: Architecture, file: string): string[] {
  return [
    `# The weights Strata trained, in ${file} beside this script (numpy's .npz; load_strata_weights reads it).`,
    "# Each layer's arrays in Keras's order: (layer name, [(array name in the file, shape), ...]).",
    'STRATA_WEIGHTS = [',
    ...kerasWeightEntries(arch).map((l) => `    (${py(l.layer)}, [${l.weights.map((w) => `(${py(w.key)}, ${pyShape(w.shape)})`).join(', ')}]),`),
    ']',
    '',
    '',
    `def load_strata_weights(model, path=${py(file)}):`,
    '    """Gives every layer of build_model() the weights Strata trained, checking each name and shape (numpy only)."""',
    '    import numpy as np',
    '',
    '    with np.load(path) as arrays:',
    '        expected = {key for _, entries in STRATA_WEIGHTS for key, _ in entries}',
    '        extra = sorted(set(arrays.files) - expected)',
    '        if extra:',
    '            raise ValueError(f"{path}: arrays the model has no place for: {extra[:5]}")',
    '        for layer_name, entries in STRATA_WEIGHTS:',
    '            values = []',
    '            for key, shape in entries:',
    '                if key not in arrays.files:',
    '                    raise ValueError(f"{path}: no array {key} for layer {layer_name}")',
    '                value = arrays[key]',
    '                if tuple(value.shape) != shape:',
    '                    raise ValueError(f"{path}: {key} is {tuple(value.shape)}, layer {layer_name} needs {shape}")',
    '                values.append(value)',
    '            model.get_layer(layer_name).set_weights(values)',
    '    return model',
  ];
}

/**
 * The Keras script of a valid design: a `build_model()` function and a `__main__` that prints the
 * summary. Invalid designs, and transposed convs Keras cannot size exactly, give errors instead.
 * With `weightsFile` (a trained run's export), the script also holds the table of its weights and
 * `load_strata_weights(model)`, and its `__main__` loads that file when it lies beside the script.
 */
export function kerasScript(arch: Architecture, opts: { weightsFile?: string } = {}): KerasExport {
  const errors = validateArchitecture(arch);
  if (errors.length > 0) return { ok: false, errors };
  const { shapes } = inferShapes(arch);
  const nodes = nodeMap(arch);
  const sole = soleInputs(arch);
  const ctx: Ctx = { vars: new Map(), taken: new Set(), init: arch.init };
  const body: string[] = [];
  const problems: ArchError[] = [];
  let output = '';
  let salt: { v: string; lossWeight: number } | null = null;
  let inputVar = '';
  for (const id of topologicalOrder(arch).order) {
    const node = nodes.get(id);
    const out = shapes.get(id);
    if (!node || !out) continue;
    if (node.kind === 'input') {
      inputVar = varOf(ctx, id);
      body.push(`${inputVar} = keras.Input(shape=(${node.height}, ${node.width}, ${node.channels}), name=${py(id)})`);
      continue;
    }
    const src = sole(id);
    const inShape = src === undefined ? undefined : shapes.get(src);
    if (src === undefined || !inShape) continue;
    const skipSrc = node.kind === 'merge' ? sole(id, 'skip') : undefined;
    const lines = nodeLines(ctx, node, varOf(ctx, src), skipSrc === undefined ? undefined : varOf(ctx, skipSrc), inShape, out);
    if (!Array.isArray(lines)) {
      problems.push(lines);
      continue;
    }
    const label = node.label === undefined ? '' : ` (${comment(node.label)})`;
    body.push(`# ${id}${label}: ${node.kind} -> ${out.h}x${out.w}x${out.c}`, ...lines);
    if (node.kind === 'head') output = varOf(ctx, id);
    if (node.kind === 'saltHead') salt = { v: varOf(ctx, id), lossWeight: node.lossWeight };
  }
  if (problems.length > 0) return { ok: false, errors: problems };

  const header = [
    `# ${comment(arch.name)}: a strict-ResNet U-Net exported by Strata.`,
    ...(arch.description ? [`# ${comment(arch.description)}`] : []),
    `# Default initializer: ${arch.init}. Batch normalisation: Keras defaults (momentum 0.99, epsilon 1e-3).`,
    '# The model outputs probabilities (sigmoid); Strata trains on the logits before it.',
    ...(salt
      ? [
          `# Two outputs: the mask and "salt present" (1 when the mask has any salt pixel). Strata trains the mask loss`,
          `# plus ${salt.lossWeight} x binary cross-entropy of the second: loss_weights=[1, ${salt.lossWeight}].`,
        ]
      : []),
  ];
  const outputs = salt ? `[${output}, ${salt.v}]` : output;
  const file = opts.weightsFile;
  const main =
    file === undefined
      ? ['    build_model().summary()']
      : [
          '    import os',
          '',
          '    model = build_model()',
          `    weights = os.path.join(os.path.dirname(os.path.abspath(__file__)), ${py(file)})`,
          '    if os.path.exists(weights):',
          '        load_strata_weights(model, weights)',
          '    model.summary()',
        ];
  const script = [
    ...header,
    '',
    PRELUDE,
    '',
    'def build_model():',
    ...body.map((l) => (l === '' ? '' : `    ${l}`)),
    `    return keras.Model(${inputVar}, ${outputs}, name=${py(arch.name.replace(/\//g, '_'))})`,
    '',
    '',
    ...(file === undefined ? [] : [...weightsLoader(arch, file), '', '']),
    'if __name__ == "__main__":',
    ...main,
    '',
  ].join('\n');
  return { ok: true, script };
}
