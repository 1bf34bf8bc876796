/** The Keras export: the generated Python text, checked line by line against hand-worked values. */
import { describe, expect, it } from 'vitest';
import { getPreset } from '../../shared/arch';
import { kerasScript, transposedOutputPadding } from '../../shared/arch/keras';
import { miniUNet } from '../arch/fixtures';

function script(arch: Parameters<typeof kerasScript>[0]): string {
  const r = kerasScript(arch);
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.script;
}

describe('transposedOutputPadding', () => {
  it('sizes 13->26, 26->51 and 51->101 for 3x3 and 5x5 kernels', () => {
    // Keras: (in - 1) * 2 + k - 2 * floor(k / 2) + p; for odd k that is 2 * in - 1 + p.
    for (const k of [3, 5]) {
      expect(transposedOutputPadding(13, 26, k)).toBe(1);
      expect(transposedOutputPadding(26, 51, k)).toBe(0);
      expect(transposedOutputPadding(51, 101, k)).toBe(0);
    }
    // A 4x4 kernel: 2 * in - 2 + p, so 13 -> 26 would need p = 2, which Keras refuses (p < stride).
    expect(transposedOutputPadding(13, 26, 4)).toBeNull();
    expect(transposedOutputPadding(13, 24, 4)).toBe(0);
  });
});

describe('kerasScript', () => {
  it('writes the Figure 2 U-Net: stacks, samplers, transposed convs sized to the encoder, merges, head', () => {
    const text = script(getPreset('fig2') as NonNullable<ReturnType<typeof getPreset>>);
    const lines = text.split('\n').map((l) => l.trim());
    expect(lines).toContain('x_input = keras.Input(shape=(101, 101, 3), name="input")');
    expect(lines).toContain('x_stem = layers.Conv2D(16, 3, padding="same", kernel_initializer="glorot_uniform", name="stem_conv")(x_input)');
    expect(lines).toContain('x_e0 = resnet_stack(x_stem, 18, 3, "glorot_uniform", "e0")');
    // down0: two stride-1 convs at 16 channels, the stride-2 conv to 32, then BN.
    expect(lines).toContain('x_down0 = layers.Conv2D(16, 3, padding="same", kernel_initializer="glorot_uniform", name="down0_conv1")(x_down0)');
    expect(lines).toContain('x_down0 = layers.Conv2D(32, 3, strides=2, padding="same", kernel_initializer="glorot_uniform", name="down0_strided")(x_down0)');
    expect(lines).toContain('x_down0 = layers.BatchNormalization(momentum=0.99, epsilon=1e-3, name="down0_bn")(x_down0)');
    // up2 takes the bottom's 13x13x128 to down2's input, 26x26x64; up0 takes 51 to 101.
    expect(lines).toContain(
      'x_up2 = layers.Conv2DTranspose(64, 3, strides=2, padding="same", output_padding=1, kernel_initializer="glorot_uniform", name="up2_transposed")(x_bottom)  # 13x13 -> 26x26',
    );
    expect(lines).toContain(
      'x_up1 = layers.Conv2DTranspose(32, 3, strides=2, padding="same", output_padding=0, kernel_initializer="glorot_uniform", name="up1_transposed")(x_d2)  # 26x26 -> 51x51',
    );
    expect(lines).toContain(
      'x_up0 = layers.Conv2DTranspose(16, 3, strides=2, padding="same", output_padding=0, kernel_initializer="glorot_uniform", name="up0_transposed")(x_d1)  # 51x51 -> 101x101',
    );
    expect(lines).toContain('x_merge0 = layers.Add(name="merge0_add")([x_up0, x_e0])');
    expect(lines).toContain('x_head = layers.Activation("sigmoid", name="head_sigmoid")(x_head)');
    expect(lines).toContain('return keras.Model(x_input, x_head, name="fig2")');
    // Seven stacks, each one call; the block itself is spelt out once, pre-activation.
    expect(lines.filter((l) => l.includes('= resnet_stack('))).toHaveLength(7);
    const block = text.slice(text.indexOf('def resnet_stack'), text.indexOf('def build_model'));
    const order = ['bn1', 'relu1', 'conv1', 'bn2', 'relu2', 'conv2', 'add'].map((p) => block.indexOf(`_block{b}_${p}"`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('names per-node initializers, concat merges, BN placements and unsafe ids', () => {
    const arch = miniUNet('concat');
    const up = arch.nodes.find((n) => n.id === 'upx');
    if (up?.kind === 'up') {
      up.bn = 'strided';
      up.convs = 1;
      up.init = 'he_normal';
    }
    const res = arch.nodes.find((n) => n.id === 'res');
    if (res?.kind === 'resnet') res.bnAfterBlock = true;
    const lines = script(arch).split('\n').map((l) => l.trim());
    expect(lines).toContain('x_res = resnet_stack(x_stem, 1, 3, "glorot_uniform", "res", bn_after_block=True)');
    const t = lines.findIndex((l) => l.startsWith('x_upx = layers.Conv2DTranspose(2, 3, strides=2, padding="same", output_padding=1, kernel_initializer="he_normal"'));
    expect(t).toBeGreaterThan(0);
    // 'strided': the BN right after the transposed conv, before the stride-1 conv.
    expect(lines[t + 1]).toBe('x_upx = layers.BatchNormalization(momentum=0.99, epsilon=1e-3, name="upx_bn")(x_upx)');
    expect(lines[t + 2]).toBe('x_upx = layers.Conv2D(2, 3, padding="same", kernel_initializer="he_normal", name="upx_conv0")(x_upx)');
    expect(lines).toContain('x_mg = layers.Concatenate(axis=-1, name="mg_concat")([x_upx, x_res])');
    expect(lines).toContain('x_mg = layers.Conv2D(2, 1, padding="same", kernel_initializer="glorot_uniform", name="mg_project")(x_mg)');

    const dashed = miniUNet();
    for (const n of dashed.nodes) if (n.id === 'res') n.id = '1-res';
    for (const e of dashed.edges) {
      if (e.from === 'res') e.from = '1-res';
      if (e.to === 'res') e.to = '1-res';
    }
    expect(script(dashed)).toContain('x_1_res = resnet_stack(x_stem, 1, 3, "glorot_uniform", "1-res")');
  });

  it('refuses an invalid design and a transposed conv Keras cannot size', () => {
    const broken = miniUNet();
    broken.edges = broken.edges.filter((e) => e.port !== 'skip');
    const r = kerasScript(broken);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.message)).toContain('merge "mg": nothing is connected to its "skip" port');

    const even = miniUNet();
    const up = even.nodes.find((n) => n.id === 'upx');
    if (up?.kind === 'up') up.kernel = 4;
    const e = kerasScript(even);
    expect(e.ok).toBe(false);
    if (!e.ok) expect(e.errors[0]?.message).toContain('upx: Keras cannot take a 4x4 stride-2 transposed conv from 4x4 to 8x8');
  });
});
