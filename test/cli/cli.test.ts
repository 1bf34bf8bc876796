/**
 * The `strata` command line as users run it: a real process, real files, real data. With `--json`,
 * stdout must be exactly one JSON object; bad arguments exit with 2 and say what is wrong.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliSandbox, json, tgsLinks } from '../helpers/cli';
import { TGS_DIR } from '../helpers/paths';

const { tmp, strata } = cliSandbox('cli');

describe('strata summary', () => {
  it('counts the note figures and prints the documented JSON fields', () => {
    const counts = { fig2: 272, fig3: 412, fig4: 428 };
    for (const [name, convs] of Object.entries(counts)) {
      const s = json(strata('summary', '--arch', name, '--json'));
      expect(s['convLayers']).toBe(convs);
      for (const k of ['layers', 'params', 'macsPerImage', 'levels']) expect(s).toHaveProperty(k);
      const levels = s['levels'] as { resolution: number[]; channels: number; blocks: number }[];
      expect(levels.map((l) => l.resolution[0])).toEqual([101, 51, 26, 13, 26, 51, 101]);
    }
  });

  it('lists every problem of an invalid design file and exits 2', () => {
    const file = path.join(tmp, 'bad.json');
    const tiny = json(strata('summary', '--arch', 'tiny', '--json'));
    expect(tiny['convLayers']).toBeGreaterThan(0);
    writeFileSync(file, JSON.stringify({ format: 'strata-arch', version: 1, name: 'bad', init: 'glorot_normal', nodes: [{ id: 'input', kind: 'input', channels: 1, height: 8, width: 8 }], edges: [] }));
    const r = strata('summary', '--arch', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/head/i);
    expect(r.stdout).toBe('');
  });

  it('exits 2 with the reason on bad arguments', () => {
    for (const args of [['summary'], ['summary', '--arch', 'nope'], ['summary', '--arch', 'tiny', '--batch', '0'], ['frobnicate'], ['train', '--arch', 'tiny', '--data', 'demo', '--batch', '0']]) {
      const r = strata(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^strata: /);
    }
  });
});

describe('strata train data options', () => {
  it('refuses an option its data does not take, by its flag, before loading anything (exit 2)', () => {
    // The lab refuses demoCount for a folder; so does the CLI, through the same resolution (dataSourceOf).
    const folder = strata('train', '--arch', 'tiny', '--data', TGS_DIR, '--demo-count', '8', '--epochs', '1', '--json');
    expect(folder.code).toBe(2);
    expect(folder.stderr).toBe('strata: --demo-count: applies to the demo set (--data demo) only; use --subset to train on part of a folder\n');
    expect(folder.stdout).toBe('');
    const demo = strata('train', '--arch', 'tiny', '--data', 'demo', '--subset', '8', '--epochs', '1', '--json');
    expect(demo.code).toBe(2);
    expect(demo.stderr).toBe('strata: --subset: applies to a folder; use --demo-count for the demo set\n');
    expect(demo.stdout).toBe('');
  });
});

describe('strata train, runs, eval, predict and score', () => {
  let runId = '';

  it('trains a run on the demo set, with only the result on stdout', () => {
    const r = strata('train', '--arch', 'tiny', '--data', 'demo', '--demo-count', '24', '--epochs', '1', '--batch', '8', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = json(r);
    expect(out).toMatchObject({ status: 'done', epochsDone: 1 });
    runId = String(out['runId']);
    expect(r.stderr).toContain('synthetic');
  });

  it('trains with a named validation set, and refuses unknown ids by name', () => {
    const ids = path.join(tmp, 'val.txt');
    writeFileSync(ids, '# fixed validation set\ndemo-0001\ndemo-0005\n');
    const r = strata('train', '--arch', 'tiny', '--data', 'demo', '--demo-count', '16', '--epochs', '1', '--batch', '8', '--val-ids', ids, '--json');
    expect(r.code, r.stderr).toBe(0);
    const show = json(strata('runs', 'show', String(json(r)['runId']), '--json'));
    expect((show['split'] as { val: string[] }).val).toEqual(['demo-0001', 'demo-0005']);
    writeFileSync(ids, 'nope-1\n');
    const bad = strata('train', '--arch', 'tiny', '--data', 'demo', '--demo-count', '16', '--epochs', '1', '--val-ids', ids);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('nope-1');
    // The same checks, limits and messages as the lab's: the one run request schema, named by flag.
    writeFileSync(ids, 'demo-0001\ndemo-0001\n');
    const dup = strata('train', '--arch', 'tiny', '--data', 'demo', '--demo-count', '16', '--val-ids', ids);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toContain('--val-ids: validation id demo-0001 is listed twice');
    const val = strata('train', '--arch', 'tiny', '--data', 'demo', '--val', '1.5', '--optimizer', 'adam', '--schedule', 'linear');
    expect(val.code).toBe(2);
    expect(val.stderr).toContain('--val: validation fraction must be below 1');
    expect(val.stderr).toContain('--schedule: schedule must be one of constant, step, cosine, plateau');
  });

  it('lists and shows the run', () => {
    const list = json(strata('runs', 'list', '--json'));
    expect((list['runs'] as { id: string }[]).map((x) => x.id)).toContain(runId);
    const show = json(strata('runs', 'show', runId, '--json'));
    expect(show).toMatchObject({ id: runId, status: 'done' });
    expect(show['epochMetrics']).toHaveLength(1);
  });

  it('evaluates a run on a labelled folder', () => {
    // 30 real TGS pairs as a folder of links, so the test reads the real files without copying them.
    const dir = tgsLinks(path.join(tmp, 'tgs30'), readdirSync(path.join(TGS_DIR, 'images')).sort().slice(0, 30));
    const r = strata('eval', '--run', runId, '--data', dir, '--per-image', '--json');
    expect(r.code, r.stderr).toBe(0);
    const e = json(r);
    expect(e['images']).toBe(30);
    for (const k of ['score', 'meanIoU', 'pixelIoU']) expect(typeof e[k], k).toBe('number');
    // A demo-trained run has none of these real images in its split.
    expect(e['overlap']).toEqual({ train: 0, val: 0, test: 0 });
    expect(e['tunedOnTheseImages']).toMatchObject({ threshold: expect.any(Number), score: expect.any(Number) });
    expect(e['perImage']).toHaveLength(30);
  });

  it('predicts a Kaggle submission and scores submissions against the truth', () => {
    const ids = json(strata('score', '--truth', path.join(TGS_DIR, 'train.csv'), '--pred', path.join(TGS_DIR, 'train.csv'), '--json'));
    expect(ids['score']).toBe(1);
    expect(ids['images']).toBe(3600);
    const sub = path.join(tmp, 'sub.csv');
    const p = strata('predict', '--run', runId, '--images', path.join(TGS_DIR, 'test/images'), '--out', sub, '--threshold', '0.5', '--json');
    expect(p.code, p.stderr).toBe(0);
    expect(json(p)).toMatchObject({ images: 200, threshold: 0.5 });
    // Test images have no public truth: scoring them against train.csv is refused by name.
    const s = strata('score', '--truth', path.join(TGS_DIR, 'train.csv'), '--pred', sub);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('have no truth');
  });

  it('deletes the run', () => {
    expect(json(strata('runs', 'delete', runId, '--json'))).toEqual({ deleted: runId });
    expect(strata('runs', 'show', runId).code).toBe(2);
  });
});
