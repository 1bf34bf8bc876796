/**
 * The salt-present head as a node kind: its shape, its layers and weights in the summary, the
 * saved form, the designer's edits and layout, the Keras export, and the edit that adds one to a
 * preset's bottom level.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SALT_LOSS_WEIGHT,
  getPreset,
  inferShapes,
  parseArchitectureText,
  saltHeadOf,
  serializeArchitecture,
  summarize,
  validateArchitecture,
  withSaltHead,
} from '../../shared/arch';
import type { Architecture } from '../../shared/arch';
import { addNodeChange, applyArchChange, defaultNode } from '../../shared/arch/edit';
import { kerasScript } from '../../shared/arch/keras';
import { LAYOUT_STEP_Y, uLayout } from '../../shared/arch/layout';
import { miniUNet } from './fixtures';

function tiny(): Architecture {
  const arch = getPreset('tiny');
  if (!arch) throw new Error('no tiny preset');
  return arch;
}

function summaryOf(arch: Architecture) {
  const r = summarize(arch, { batch: 2 });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.summary;
}

describe('withSaltHead', () => {
  it('puts the head on the bottom resnet stack (13x13 for a 101 input), drawn below it', () => {
    const arch = withSaltHead(tiny());
    const salt = saltHeadOf(arch);
    expect(salt).toMatchObject({ id: 'salt', kind: 'saltHead', lossWeight: DEFAULT_SALT_LOSS_WEIGHT });
    expect(arch.edges).toContainEqual({ from: 'bottom', to: 'salt' });
    expect(inferShapes(arch).shapes.get('bottom')).toEqual({ h: 13, w: 13, c: 32 });
    expect(inferShapes(arch).shapes.get('salt')).toEqual({ h: 1, w: 1, c: 1 });
    const bottom = arch.nodes.find((n) => n.id === 'bottom');
    expect(salt?.position).toEqual({ x: bottom?.position?.x, y: (bottom?.position?.y ?? 0) + LAYOUT_STEP_Y });
    expect(validateArchitecture(arch)).toEqual([]);
    expect(withSaltHead(tiny(), { id: 'cls', lossWeight: 0.3, hidden: 16 }).nodes.at(-1)).toMatchObject({ id: 'cls', lossWeight: 0.3, hidden: 16 });
  });

  it('refuses a second head, a taken id and a design without a bottom level', () => {
    expect(() => withSaltHead(withSaltHead(tiny()))).toThrow('design "tiny" already has a salt head ("salt")');
    expect(() => withSaltHead(tiny(), { id: 'bottom' })).toThrow('design "tiny": id "bottom" is already used');
    const flat: Architecture = {
      ...tiny(),
      name: 'flat',
      nodes: [
        { id: 'i', kind: 'input', channels: 1, height: 8, width: 8 },
        { id: 'r', kind: 'resnet', blocks: 1, kernel: 3 },
        { id: 'h', kind: 'head' },
      ],
      edges: [{ from: 'i', to: 'r' }, { from: 'r', to: 'h' }],
    };
    expect(() => withSaltHead(flat)).toThrow('design "flat" has no bottom level (no downsampler) for a salt head to read');
  });
});

describe('the salt head in the summary', () => {
  it('adds its pool, dense and sigmoid: 3 layers, c + 1 weights, c multiply-adds; no conv, same outputs', () => {
    const plain = summaryOf(tiny());
    const salted = summaryOf(withSaltHead(tiny()));
    const node = salted.perNode.find((n) => n.nodeId === 'salt');
    // 32 channels pooled, one unit: 32 weights and a bias.
    expect(node).toMatchObject({ kind: 'saltHead', inShape: { h: 13, w: 13, c: 32 }, outShape: { h: 1, w: 1, c: 1 }, layers: 3, convLayers: 0, params: 33, trainableParams: 33, macsPerImage: 32 });
    expect(salted.layers - plain.layers).toBe(3);
    expect(salted.params - plain.params).toBe(33);
    expect(salted.convLayers).toBe(plain.convLayers);
    expect(salted.outputShape).toEqual(plain.outputShape);
    expect(salted.levels).toEqual(plain.levels);
  });

  it('with hidden units: dense 32 -> 16 and ReLU before the unit, 5 layers', () => {
    const s = summaryOf(withSaltHead(tiny(), { hidden: 16 }));
    // 32 * 16 + 16 into the hidden layer, 16 + 1 into the unit.
    expect(s.perNode.find((n) => n.nodeId === 'salt')).toMatchObject({ layers: 5, params: 32 * 16 + 16 + 17, macsPerImage: 32 * 16 + 16 });
  });
});

describe('the salt head in a saved design', () => {
  it('round-trips with its parameters after the identity fields', () => {
    const arch = withSaltHead(tiny(), { hidden: 8 });
    const text = serializeArchitecture(arch);
    expect(text).toContain('"id": "salt",\n      "kind": "saltHead",\n      "lossWeight": 0.1,\n      "hidden": 8,');
    const back = parseArchitectureText(text);
    expect(back.ok && back.arch).toEqual(arch);
  });

  it('names a misspelt field', () => {
    const raw = JSON.parse(serializeArchitecture(withSaltHead(tiny()))) as { nodes: Record<string, unknown>[] };
    const salt = raw.nodes.find((n) => n.id === 'salt') as Record<string, unknown>;
    salt.lossweight = 0.2;
    const r = parseArchitectureText(JSON.stringify(raw));
    expect(r.ok ? [] : r.errors.map((e) => e.message)).toEqual([`node "salt" (nodes[${raw.nodes.length - 1}].lossweight): unknown field "lossweight"`]);
  });
});

describe('designer edits of the salt head', () => {
  it('drops in from the palette with the default weight and a fresh id, and connects to the bottom level', () => {
    const arch = miniUNet();
    expect(defaultNode('saltHead', 'x')).toEqual({ id: 'x', kind: 'saltHead', lossWeight: 0.1 });
    const add = applyArchChange(arch, addNodeChange(arch, 'saltHead', { x: 10, y: 20 }));
    expect(add.refused).toBeNull();
    expect(add.arch.nodes.at(-1)).toEqual({ id: 'salt1', kind: 'saltHead', lossWeight: 0.1, position: { x: 10, y: 20 } });
    expect(add.errors.map((e) => e.message)).toEqual(['node "salt1": nothing is connected to its "in" port', 'node "salt1" cannot be reached from the input']);
    const wired = applyArchChange(add.arch, { type: 'connect', edge: { from: 'dn', to: 'salt1' } });
    expect(wired.errors).toEqual([]);
    const updated = applyArchChange(wired.arch, { type: 'update', id: 'salt1', patch: { lossWeight: 0.25, hidden: 4 } });
    expect(updated.refused).toBeNull();
    expect(updated.arch.nodes.at(-1)).toMatchObject({ lossWeight: 0.25, hidden: 4 });
    expect(applyArchChange(updated.arch, { type: 'update', id: 'salt1', patch: { hidden: null } }).arch.nodes.at(-1)).not.toHaveProperty('hidden');
  });

  it('refuses a zero weight and anything following it', () => {
    const arch = applyArchChange(withSaltHead(tiny()), { type: 'add', nodes: [{ id: 'b1', kind: 'bn' }] }).arch;
    expect(applyArchChange(arch, { type: 'update', id: 'salt', patch: { lossWeight: 0 } }).refused?.message).toBe('node "salt" (lossWeight): must be above 0, got 0');
    expect(applyArchChange(arch, { type: 'connect', edge: { from: 'salt', to: 'b1' } }).refused?.message).toBe('salt head "salt" is an output: nothing can follow it');
  });

  it('is laid out half a level below the node it reads', () => {
    const at = uLayout(withSaltHead(getPreset('fig2') as Architecture));
    expect(at.get('salt')).toEqual({ x: at.get('bottom')?.x, y: (at.get('bottom')?.y ?? 0) + LAYOUT_STEP_Y });
    // Nothing else moved.
    const plain = uLayout(getPreset('fig2') as Architecture);
    for (const [id, p] of plain) expect(at.get(id)).toEqual(p);
  });
});

describe('the Keras export of a salt head', () => {
  it('pools, applies the dense layers and returns both outputs, naming the loss weight', () => {
    const r = kerasScript(withSaltHead(tiny(), { hidden: 16, lossWeight: 0.2 }));
    if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
    const lines = r.script.split('\n').map((l) => l.trim());
    expect(lines).toContain('x_salt = layers.GlobalAveragePooling2D(name="salt_pool")(x_bottom)');
    expect(lines).toContain('x_salt = layers.Dense(16, activation="relu", kernel_initializer="glorot_uniform", name="salt_hidden")(x_salt)');
    expect(lines).toContain('x_salt = layers.Dense(1, activation="sigmoid", kernel_initializer="glorot_uniform", name="salt_dense")(x_salt)');
    expect(lines).toContain('return keras.Model(x_input, [x_head, x_salt], name="tiny")');
    expect(lines).toContain('# plus 0.2 x binary cross-entropy of the second: loss_weights=[1, 0.2].');
    const plain = kerasScript(tiny());
    expect(plain.ok && plain.script).toContain('return keras.Model(x_input, x_head, name="tiny")');
    expect(plain.ok && plain.script).not.toContain('salt');
  });
});
