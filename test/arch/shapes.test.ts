import { describe, expect, it } from 'vitest';
import { PRESETS, inferShapes, shapeText, validateArchitecture } from '../../shared/arch';
import { chainEdges, design, miniUNet, node } from './fixtures';

describe('shape inference on the presets', () => {
  for (const [name, preset] of Object.entries(PRESETS)) {
    it(`${name}: valid, 101 -> 51 -> 26 -> 13 and back exactly to 101`, () => {
      const arch = preset.build();
      expect(validateArchitecture(arch)).toEqual([]);
      const { shapes, errors } = inferShapes(arch);
      expect(errors).toEqual([]);
      const hw = (id: string) => {
        const s = shapes.get(id);
        return s ? `${s.h}x${s.w}` : 'none';
      };
      expect(['e0', 'e1', 'e2', 'bottom'].map(hw)).toEqual(['101x101', '51x51', '26x26', '13x13']);
      // The upsamplers mirror the downsamplers: 13 -> 26, 26 -> 51, 51 -> 101 with no cropping.
      expect(['up2', 'up1', 'up0'].map(hw)).toEqual(['26x26', '51x51', '101x101']);
      expect(['d2', 'd1', 'd0'].map(hw)).toEqual(['26x26', '51x51', '101x101']);
      expect(shapes.get('head')?.c).toBe(1);
      expect(shapes.size).toBe(arch.nodes.length);
    });
  }

  it('doubles channels on the way down and halves them on the way up', () => {
    const { shapes } = inferShapes(PRESETS.fig2!.build());
    const text = (id: string) => {
      const s = shapes.get(id);
      return s ? shapeText(s) : 'none';
    };
    expect(text('stem')).toBe('101x101x16');
    expect(text('bottom')).toBe('13x13x128');
    expect(text('up2')).toBe('26x26x64');
    expect(text('merge0')).toBe('101x101x16');
    expect(text('head')).toBe('101x101x1');
  });
});

describe('shape rules', () => {
  it('strided conv: ceil(in/stride), filters channels', () => {
    const arch = design(
      [
        { id: 'i', kind: 'input', channels: 3, height: 10, width: 7 },
        { id: 'c', kind: 'conv', kernel: 3, filters: 5, stride: 3 },
        { id: 'h', kind: 'head' },
      ],
      chainEdges('i', 'c', 'h'),
    );
    expect(inferShapes(arch).shapes.get('c')).toEqual({ h: 4, w: 3, c: 5 });
  });

  it('down uses explicit filters; up without match doubles', () => {
    const arch = design(
      [
        { id: 'i', kind: 'input', channels: 1, height: 9, width: 9 },
        { id: 's', kind: 'conv', kernel: 3, filters: 6, stride: 1 },
        { id: 'dn', kind: 'down', convs: 1, kernel: 3, filters: 10, bn: 'none' },
        { id: 'u', kind: 'up', convs: 1, kernel: 5, bn: 'none' },
        { id: 'h', kind: 'head' },
      ],
      chainEdges('i', 's', 'dn', 'u', 'h'),
    );
    const { shapes } = inferShapes(arch);
    expect(shapes.get('dn')).toEqual({ h: 5, w: 5, c: 10 });
    expect(shapes.get('u')).toEqual({ h: 10, w: 10, c: 5 });
  });

  it('up with match takes the downsampler input resolution', () => {
    const arch = miniUNet();
    node(arch, 'in', 'input').height = 7;
    const { shapes, errors } = inferShapes(arch);
    expect(errors).toEqual([]);
    expect(shapes.get('dn')).toEqual({ h: 4, w: 4, c: 4 });
    expect(shapes.get('upx')).toEqual({ h: 7, w: 8, c: 2 });
  });

  it('a concat merge keeps the main path shape', () => {
    const { shapes, errors } = inferShapes(miniUNet('concat'));
    expect(errors).toEqual([]);
    expect(shapes.get('mg')).toEqual({ h: 8, w: 8, c: 2 });
  });
});
