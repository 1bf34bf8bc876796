/** The lab's own files: saved designs and the dataset list, their validation, and what happens when they are damaged. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getPreset, serializeArchitecture } from '../../shared/arch';
import { Datasets } from '../../src-main/lab/datasets';
import { Designs } from '../../src-main/lab/designs';
import { LabError } from '../../src-main/lab/errors';
import { greyPng, scratchDir } from './helpers';

describe('saved designs', () => {
  it('keeps a valid design in canonical form and an invalid one with its errors', () => {
    const home = scratchDir('designs');
    const designs = new Designs(home);
    const arch = getPreset('small');
    if (!arch) throw new Error('no small preset');
    const rec = designs.save(arch, 'small-copy');
    expect(fs.readFileSync(path.join(home, 'designs', 'small-copy.json'), 'utf8')).toBe(serializeArchitecture(arch));
    expect(rec).toMatchObject({ id: 'small-copy', valid: true, errorCount: 0 });

    const bad = { ...arch, name: 'bad', nodes: arch.nodes.map((n) => (n.kind === 'conv' ? { ...n, kernel: 300 } : n)) };
    const badRec = designs.save(bad, 'bad');
    expect(badRec.valid).toBe(false);
    expect(badRec.convLayers).toBeNull();
    expect(badRec.errors.some((e) => e.message.includes('300'))).toBe(true);
    expect(() => designs.trainable('bad')).toThrow(LabError);
    expect(designs.trainable('small-copy')).toEqual(arch);
  });

  it('lists a damaged file as invalid, and sees edits made outside the lab', () => {
    const home = scratchDir('designs-damaged');
    const designs = new Designs(home);
    const arch = getPreset('tiny');
    if (!arch) throw new Error('no tiny preset');
    designs.save(arch, 'edited');
    fs.writeFileSync(path.join(home, 'designs', 'broken.json'), '{"format": "strata-arch", ');
    const list = designs.list();
    expect(list.find((d) => d.id === 'broken')).toMatchObject({ valid: false, errorCount: 1 });
    expect(designs.load('broken').errors[0]?.code).toBe('bad-json');

    const file = path.join(home, 'designs', 'edited.json');
    fs.writeFileSync(file, serializeArchitecture({ ...arch, name: 'renamed outside' }));
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(file, later, later);
    expect(designs.load('edited').name).toBe('renamed outside');
  });

  it('refuses ids that lead outside its folder even when called directly', () => {
    const designs = new Designs(scratchDir('designs-ids'));
    for (const id of ['../x', '..', 'a/b', '/etc/passwd']) {
      expect(() => designs.load(id)).toThrow(/invalid design id/);
      expect(() => designs.delete(id)).toThrow(/invalid design id/);
    }
  });
});

describe('the dataset list', () => {
  it('remembers imported folders across restarts, and sets a damaged list aside', async () => {
    const home = scratchDir('datasets');
    const dir = scratchDir('datasets-folder');
    fs.mkdirSync(path.join(dir, 'images'));
    fs.writeFileSync(path.join(dir, 'images', 'x.png'), greyPng(4, 3, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
    const first = new Datasets(home);
    const entry = await first.import(dir);
    expect(entry.info).toMatchObject({ count: 1, labelled: false, width: 4, height: 3 });

    const second = new Datasets(home);
    const listed = await second.list();
    expect(listed.map((d) => d.id)).toEqual(['demo', entry.id]);
    expect(listed[1]?.info.fingerprint).toBe(entry.info.fingerprint);
    const page = await second.preview(entry.id, 0, 5);
    expect([...Buffer.from(page.samples[0]?.image ?? '', 'base64')]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(page.samples[0]?.mask).toBeNull();
    // Unlabelled data cannot be trained on; that is caught when a run starts.
    expect(second.sourceOf(entry.id, { subset: 3 })).toEqual({ kind: 'folder', path: dir, subset: 3 });
    expect(() => second.sourceOf(entry.id, { demoCount: 3 })).toThrow(/demo/);

    fs.writeFileSync(path.join(home, 'datasets.json'), '{"format": "something else"}');
    const third = new Datasets(home);
    expect((await third.list()).map((d) => d.id)).toEqual(['demo']);
    expect(fs.readdirSync(home).some((n) => n.startsWith('datasets.json.damaged-'))).toBe(true);
  });
});
