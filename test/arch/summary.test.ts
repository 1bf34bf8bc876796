import { describe, expect, it } from 'vitest';
import { activationBytes, summarize, trainingMemoryBytes } from '../../shared/arch';
import type { ArchSummary } from '../../shared/arch';
import { miniUNet } from './fixtures';

function ok(r: ReturnType<typeof summarize>): ArchSummary {
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.summary;
}

// Hand computation for miniUNet (see fixtures): 8x8x1 input.
//   stem conv 3x3 1->2:      params 9*1*2+2 = 20,  MACs 8*8*9*1*2 = 1152
//   resnet, 1 block, c=2:    2 BN (4*2 each, 2*2 trainable) + 2 convs 9*2*2+2 = 38
//                            params 16+76 = 92, trainable 8+76 = 84, MACs 2*(64*9*2*2) = 4608
//   down 3x3 stride 2 2->4:  params 9*2*4+4 = 76, MACs 4*4*9*2*4 = 1152; BN(4): 16 (8 trainable)
//   up 3x3 transposed 4->2:  params 9*4*2+2 = 74, MACs (input 4x4) 16*9*4*2 = 1152
//   merge add:               0
//   head 1x1 2->1 + BN(1):   params 3 + 4 (3 + 2 trainable), MACs 64*2 = 128
const PARAMS = 20 + 92 + 76 + 16 + 74 + 3 + 4; // 285
const TRAINABLE = 20 + 84 + 76 + 8 + 74 + 3 + 2; // 267
const MACS = 1152 + 4608 + 1152 + 1152 + 128; // 8192
// Layer outputs per image: input 64, stem 128, resnet 7*128, down conv 64 + BN 64, up 128, add 128,
// head conv 64 + BN 64 + sigmoid 64.
const ACT_FLOATS = 64 + 128 + 7 * 128 + 2 * 64 + 128 + 128 + 3 * 64; // 1664

describe('summary of a hand-computed mini U-Net', () => {
  const s = ok(summarize(miniUNet(), { batch: 2 }));

  it('counts params, trainable params and MACs', () => {
    expect(s.params).toBe(PARAMS);
    expect(s.trainableParams).toBe(TRAINABLE);
    expect(s.macsPerImage).toBe(MACS);
  });

  it('counts layers and conv layers', () => {
    // input 1, stem 1, resnet 7, down 2 (conv, BN), up 1, add 1, head 3.
    expect(s.layers).toBe(16);
    // stem, 2 in the block, down, up, head.
    expect(s.convLayers).toBe(6);
  });

  it('estimates memory at the batch size', () => {
    expect(s.batch).toBe(2);
    expect(s.activationFloatsPerImage).toBe(ACT_FLOATS);
    expect(s.activationBytes).toBe(ACT_FLOATS * 2 * 4);
    expect(s.trainingMemoryBytes).toBe(ACT_FLOATS * 2 * 4 + PARAMS * 4 * 4);
    expect(activationBytes(s, 10)).toBe(ACT_FLOATS * 10 * 4);
    expect(trainingMemoryBytes(s, 10)).toBe(ACT_FLOATS * 10 * 4 + PARAMS * 16);
  });

  it('reports per-node numbers that add up to the totals', () => {
    const up = s.perNode.find((n) => n.nodeId === 'upx');
    expect(up).toMatchObject({ inShape: { h: 4, w: 4, c: 4 }, outShape: { h: 8, w: 8, c: 2 }, params: 74, macsPerImage: 1152 });
    expect(s.perNode.reduce((a, n) => a + n.params, 0)).toBe(s.params);
    expect(s.perNode.map((n) => n.nodeId)).toEqual(['in', 'stem', 'res', 'dn', 'upx', 'mg', 'out']);
  });

  it('has one level, the resnet stack, with its own numbers', () => {
    expect(s.levels).toEqual([
      { nodeId: 'res', name: 'e0', side: 'encoder', depth: 0, height: 8, width: 8, channels: 2, blocks: 1, convLayers: 2, params: 92, macsPerImage: 4608 },
    ]);
  });

  it('a concat merge adds the concatenation and a 1x1 projection conv', () => {
    const c = ok(summarize(miniUNet('concat'), { batch: 2 }));
    // concat of 2+2 channels, then 1x1 conv 4->2: params 4*2+2 = 10, MACs 64*4*2 = 512.
    expect(c.params - s.params).toBe(10);
    expect(c.macsPerImage - s.macsPerImage).toBe(512);
    expect(c.layers - s.layers).toBe(1);
    expect(c.convLayers - s.convLayers).toBe(1);
    // The concat's 8x8x4 output and the projection's 8x8x2 replace the add's 8x8x2.
    expect(c.activationFloatsPerImage - s.activationFloatsPerImage).toBe(256);
  });

  it('counts BN after blocks and strided-BN samplers', () => {
    const arch = miniUNet();
    for (const n of arch.nodes) {
      if (n.kind === 'resnet') n.bnAfterBlock = true;
      if (n.kind === 'up') n.bn = 'strided';
    }
    const b = ok(summarize(arch, { batch: 2 }));
    // One BN(2) per block (8 params, 4 trainable) and one BN(2) in the upsampler (the same).
    expect(b.params - s.params).toBe(16);
    expect(b.trainableParams - s.trainableParams).toBe(8);
    expect(b.layers - s.layers).toBe(2);
  });

  it('returns the errors of an invalid design instead of numbers', () => {
    const arch = miniUNet();
    arch.edges = arch.edges.filter((e) => e.to !== 'out');
    const r = summarize(arch);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.code)).toContain('port');
    const bad = summarize(miniUNet(), { batch: 0 });
    expect(!bad.ok && bad.errors[0]?.message).toBe('batch size must be a positive whole number, got 0');
  });
});
