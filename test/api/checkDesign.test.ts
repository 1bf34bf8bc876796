/** The checkDesign channel: presets and saved designs are checked where they live, in the lab. */
import { afterAll, describe, expect, it } from 'vitest';
import { checkInput } from '../../shared/api/validate';
import { getPreset } from '../../shared/arch';
import { openLab, scratchDir } from '../lab/helpers';

describe('checkDesign', () => {
  const lab = openLab(scratchDir('check-design'));
  afterAll(() => lab.close());

  it('takes a design reference, nothing else', () => {
    expect(checkInput('checkDesign', { design: { kind: 'preset', name: 'tiny' } }).ok).toBe(true);
    expect(checkInput('checkDesign', { design: { kind: 'saved', id: 'my-design_2' } }).ok).toBe(true);
    expect(checkInput('checkDesign', { design: { kind: 'saved', id: '../victim' } }).ok).toBe(false);
    expect(checkInput('checkDesign', { arch: getPreset('tiny') }).ok).toBe(false);
  });

  it('checks a preset by name, as validateDesign checks its document', () => {
    const arch = getPreset('tiny');
    if (!arch) throw new Error('no tiny preset');
    const check = lab.checkDesign({ design: { kind: 'preset', name: 'tiny' } });
    expect(check.valid).toBe(true);
    expect(check.arch?.name).toBe('tiny');
    expect(check).toEqual(lab.validateDesign({ arch: { ...arch } }));
  });

  it('checks a saved design; an invalid one keeps its own errors', () => {
    const arch = getPreset('tiny');
    if (!arch) throw new Error('no tiny preset');
    const good = lab.saveDesign({ arch: { ...arch, name: 'My tiny' } });
    expect(lab.checkDesign({ design: { kind: 'saved', id: good.id } })).toMatchObject({ valid: true, arch: { name: 'My tiny' } });
    const bad = lab.saveDesign({ arch: { ...arch, name: 'Broken', edges: [] } });
    const check = lab.checkDesign({ design: { kind: 'saved', id: bad.id } });
    expect(check.valid).toBe(false);
    expect(check.arch).toBeNull();
    expect(check.errors.length).toBeGreaterThan(0);
  });

  it('names an unknown preset or design', () => {
    expect(() => lab.checkDesign({ design: { kind: 'preset', name: 'nope' } })).toThrow(/nope/);
    expect(() => lab.checkDesign({ design: { kind: 'saved', id: 'missing' } })).toThrow(/missing/);
  });
});
