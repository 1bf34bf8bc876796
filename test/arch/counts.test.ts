import { describe, expect, it } from 'vitest';
import { PRESETS, UNET_LEVELS, buildUNet, getPreset, summarize } from '../../shared/arch';

function convLayers(name: string): number {
  const arch = getPreset(name);
  if (!arch) throw new Error(`no preset ${name}`);
  const r = summarize(arch);
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.summary.convLayers;
}

describe("the note's figures", () => {
  it('Figure 2 has 272 conv layers', () => expect(convLayers('fig2')).toBe(272));
  it('Figure 3 has 412 conv layers', () => expect(convLayers('fig3')).toBe(412));
  it('Figure 4 has 428 conv layers', () => expect(convLayers('fig4')).toBe(428));

  it('Figure 4 puts 192 blocks at 13x13 and says so in its description', () => {
    const r = summarize(getPreset('fig4')!);
    if (!r.ok) throw new Error('fig4 invalid');
    const bottom = r.summary.levels.find((l) => l.name === 'bottom');
    expect(bottom).toMatchObject({ height: 13, width: 13, blocks: 192, convLayers: 384, side: 'bottom' });
    expect(PRESETS.fig4!.description).toContain('e0 2, e1 2, e2 2, bottom 192, d2 2, d1 2, d0 2');
  });

  it('conv count follows stem + 2 per block + sampler convs + head', () => {
    // 1 stem + 2*(7 levels * 5 blocks) + 3 downs * (1+1) + 3 ups * (1+1) + 1 head = 84.
    const arch = buildUNet({ name: 'x', channels: 4, inputChannels: 1, size: 101, blocksPerLevel: UNET_LEVELS.map(() => 5), samplerConvs: 1 });
    const r = summarize(arch);
    expect(r.ok && r.summary.convLayers).toBe(84);
  });

  it('Keras layer count of the tiny preset', () => {
    // input 1, stem 1, 7 stacks * 7, 3 downs * (1 conv + BN), 3 ups * (1 convT + BN), 3 adds, head 3.
    const r = summarize(getPreset('tiny')!);
    expect(r.ok && r.summary.layers).toBe(1 + 1 + 49 + 6 + 6 + 3 + 3);
  });
});

describe('levels', () => {
  it('names the stacks e0..e2, bottom, d2..d0 with their shapes', () => {
    const r = summarize(getPreset('small')!);
    if (!r.ok) throw new Error('small invalid');
    expect(r.summary.levels.map((l) => [l.name, l.side, l.height, l.channels])).toEqual([
      ['e0', 'encoder', 101, 8],
      ['e1', 'encoder', 51, 16],
      ['e2', 'encoder', 26, 32],
      ['bottom', 'bottom', 13, 64],
      ['d2', 'decoder', 26, 32],
      ['d1', 'decoder', 51, 16],
      ['d0', 'decoder', 101, 8],
    ]);
  });

  it('getPreset returns fresh copies and undefined for unknown names', () => {
    const a = getPreset('small')!;
    a.nodes.length = 0;
    expect(getPreset('small')!.nodes.length).toBe(19);
    expect(getPreset('nope')).toBeUndefined();
    expect(getPreset('toString')).toBeUndefined();
  });

  it('uses the ids the rest of the lab relies on', () => {
    expect(getPreset('fig2')!.nodes.map((n) => n.id)).toEqual([
      'input', 'stem', 'e0', 'down0', 'e1', 'down1', 'e2', 'down2', 'bottom',
      'up2', 'merge2', 'd2', 'up1', 'merge1', 'd1', 'up0', 'merge0', 'd0', 'head',
    ]);
  });
});
