/**
 * Bad API requests and bad training settings, through the same dispatcher every transport uses
 * (Electron IPC and the browser-mode server): each gets a typed error that names the field, nothing
 * reaches the file system outside the lab's folders, and the lab keeps serving afterwards.
 * Oversized HTTP bodies (413) and missing tokens are covered in test/lab/server.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DESIGN_NODES } from '../../shared/api/schemas';
import { dispatchCall, dispatchListen } from '../../src-main/lab/transport/dispatch';
import { createHandlers } from '../../src-main/lab/handlers';
import type { LabService } from '../../src-main/lab/service';
import { openLab, scratchDir } from '../lab/helpers';

const TRAVERSAL = '../../etc/passwd';
/** A well-formed run id (no such run), for the fields checked beside it. */
const RUN = '20250607-153012-123-k3j9x2';
let lab: LabService;
let handlers: ReturnType<typeof createHandlers>;
let home = '';
let outside = '';

beforeAll(() => {
  const root = scratchDir('reliability-api');
  home = path.join(root, 'home');
  fs.mkdirSync(home);
  // A file beside the lab's home that a traversal would reach.
  outside = path.join(root, 'victim.json');
  fs.writeFileSync(outside, '{"keep": true}\n');
  lab = openLab(home);
  handlers = createHandlers(lab);
});
afterAll(async () => {
  await lab.close();
});

async function call(name: string, params: unknown) {
  return dispatchCall(handlers, name, params);
}

describe('API requests', () => {
  it('wrong types: bad-request naming the field and the expected type', async () => {
    const r = await call('getRun', { id: 42 });
    expect(r).toMatchObject({ ok: false, error: { code: 'bad-request', issues: [{ path: 'id' }] } });
    if (!r.ok) expect(r.error.message).toMatch(/^getRun: id: .*string/i);
    const page = await call('previewSamples', { datasetId: 'demo', limit: 'ten' });
    expect(page).toMatchObject({ ok: false, error: { code: 'bad-request', issues: [{ path: 'limit' }] } });
    const list = await call('listRuns', { limit: -1, desc: 'yes' });
    expect(list.ok ? [] : list.error.issues?.map((i) => i.path)).toEqual(['limit', 'desc']);
  });

  it('missing fields: every missing field is listed', async () => {
    const r = await call('startRun', {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('bad-request');
    expect(r.error.issues?.map((i) => i.path).sort()).toEqual(['datasetId', 'design']);
    expect(r.error.message).toMatch(/^startRun: /);
    expect(await call('renameRun', { id: '20250607-153012-123-k3j9x2' })).toMatchObject({ ok: false, error: { code: 'bad-request', issues: [{ path: 'name' }] } });
  });

  it('unknown fields and unknown channels are refused, not ignored', async () => {
    expect(await call('listPresets', { sneaky: 1 })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await call('rm -rf', {})).toEqual({ ok: false, error: { code: 'not-found', message: 'there is no API channel "rm -rf"' } });
  });

  it('unknown run ids: not-found naming the id, for every run channel', async () => {
    const id = '20250607-153012-123-k3j9x2';
    for (const name of ['getRun', 'stopRun', 'pauseRun', 'resumeRun', 'deleteRun', 'getEpochMetrics', 'getRunEvents', 'getPredictionEpochs']) {
      const r = await call(name, { id });
      expect(r, name).toMatchObject({ ok: false, error: { code: 'not-found' } });
      if (!r.ok) expect(r.error.message, name).toContain(id);
    }
    const sub = dispatchListen(handlers, 'onRunEvent', { runId: id }, () => undefined);
    expect(sub).toMatchObject({ ok: false, error: { code: 'not-found' } });
  });

  it('path traversal in every path and id field is refused before the file system', async () => {
    const attempts: [string, unknown, string][] = [
      ['importDataset', { path: TRAVERSAL }, 'path'],
      ['importDataset', { path: `${home}/../victim.json` }, 'path'],
      ['importDataset', { path: 'C:\\..\\Windows' }, 'path'],
      ['removeDataset', { id: TRAVERSAL }, 'id'],
      ['previewSamples', { datasetId: TRAVERSAL }, 'datasetId'],
      ['loadDesign', { id: TRAVERSAL }, 'id'],
      ['loadDesign', { id: '../victim' }, 'id'],
      ['deleteDesign', { id: '../victim' }, 'id'],
      ['saveDesign', { id: '../victim', arch: { format: 'strata-arch', version: 1, name: 'x', nodes: [], edges: [] } }, 'id'],
      ['getRun', { id: TRAVERSAL }, 'id'],
      ['deleteRun', { id: '../../home' }, 'id'],
      ['getPredictions', { id: TRAVERSAL, epoch: 0 }, 'id'],
      ['startRun', { design: { kind: 'saved', id: '../victim' }, datasetId: 'demo' }, 'design.id'],
      ['startRun', { design: { kind: 'preset', name: 'tiny' }, datasetId: '../..' }, 'datasetId'],
      ['predictFolder', { id: RUN, path: TRAVERSAL }, 'path'],
      ['predictFolder', { id: RUN, path: `${home}/../victim.json` }, 'path'],
      ['predictFolder', { id: TRAVERSAL, path: home }, 'id'],
      ['listFolderPredictions', { id: TRAVERSAL }, 'id'],
      ['getFolderPredictions', { id: RUN, key: TRAVERSAL }, 'key'],
      ['getFolderPredictions', { id: RUN, key: '../../../../../../x' }, 'key'],
      ['exportSubmission', { id: RUN, source: { kind: 'epoch', epoch: 0 }, threshold: 0.5, path: `${home}/../victim.csv` }, 'path'],
      ['exportSubmission', { id: RUN, source: { kind: 'epoch', epoch: 0 }, threshold: 0.5, path: '../../etc/x.csv' }, 'path'],
      ['exportSubmission', { id: RUN, source: { kind: 'folder', key: TRAVERSAL }, threshold: 0.5, path: `${home}/x.csv` }, 'source.key'],
    ];
    for (const [name, params, field] of attempts) {
      const r = await call(name, params);
      expect(r, `${name} ${JSON.stringify(params)}`).toMatchObject({ ok: false, error: { code: 'bad-request' } });
      if (!r.ok) expect(r.error.issues?.map((i) => i.path), name).toContain(field);
    }
    const preset = await call('getPreset', { name: TRAVERSAL });
    expect(preset).toMatchObject({ ok: false, error: { code: 'not-found', message: expect.stringContaining('no preset "../../etc/passwd"') } });
    // An absolute path that is a file, not a folder, is named as such.
    const file = await call('importDataset', { path: outside });
    expect(file).toMatchObject({ ok: false, error: { code: 'bad-request', message: `${outside} is a file, not a folder` } });
    expect(fs.readFileSync(outside, 'utf8')).toBe('{"keep": true}\n');
    expect(fs.readdirSync(path.dirname(outside)).sort()).toEqual(['home', 'victim.json']);
  });

  it('oversized payloads: a design with more nodes than the limit is refused by size', async () => {
    const nodes = Array.from({ length: MAX_DESIGN_NODES + 1 }, (_, i) => ({ id: `n${i}`, kind: 'bn' }));
    const r = await call('validateDesign', { arch: { format: 'strata-arch', version: 1, name: 'huge', nodes, edges: [] } });
    expect(r).toMatchObject({ ok: false, error: { code: 'bad-request', issues: [{ path: 'arch.nodes' }] } });
    if (!r.ok) expect(r.error.message).toMatch(/10000/);
    const name = await call('renameRun', { id: '20250607-153012-123-k3j9x2', name: 'x'.repeat(201) });
    expect(name).toMatchObject({ ok: false, error: { code: 'bad-request', issues: [{ path: 'name' }] } });
  });
});

describe('training settings', () => {
  const base = { design: { kind: 'preset', name: 'tiny' }, datasetId: 'demo', demoCount: 8 };
  async function refused(config: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const r = await call('startRun', { ...base, ...extra, config });
    expect(r.ok, JSON.stringify(config)).toBe(false);
    return r.ok ? { code: '', message: '', paths: [] as string[] } : { code: r.error.code, message: r.error.message, paths: (r.error.issues ?? []).map((i) => i.path) };
  }

  it('batch 0', async () => {
    const r = await refused({ batch: 0 });
    expect(r).toMatchObject({ code: 'bad-request', paths: ['config.batch'] });
    expect(r.message).toContain('batch size must be at least 1');
  });

  it('a negative learning rate', async () => {
    const r = await refused({ optimizer: { name: 'sgd', lr: -0.1, momentum: 0.9 } });
    expect(r).toMatchObject({ code: 'bad-request', paths: ['config.optimizer.lr'] });
    expect(r.message).toContain('learning rate must be above 0');
  });

  it('NaN values (IPC carries NaN; JSON cannot)', async () => {
    const lr = await refused({ optimizer: { name: 'adam', lr: NaN, beta1: 0.9, beta2: 0.999 } });
    expect(lr.paths).toEqual(['config.optimizer.lr']);
    expect(lr.message).toMatch(/learning rate must be a number/);
    const vf = await refused({ valFraction: NaN });
    expect(vf.paths).toEqual(['config.valFraction']);
    const ep = await refused({ epochs: Infinity });
    expect(ep.paths).toEqual(['config.epochs']);
  });

  it('an empty training split: refused before a run is created', async () => {
    // 8 samples with 95% for validation: round(7.6) = 8 go to validation, none to training.
    const r = await refused({ valFraction: 0.95 });
    expect(r).toEqual({ code: 'bad-request', message: 'the training split is empty (8 samples, valFraction 0.95)', paths: [] });
    expect(lab.listRuns({}).total).toBe(0);
  });

  it('after all of the above the lab still serves, and a good request works', async () => {
    expect(await call('listRuns', {})).toEqual({ ok: true, value: { runs: [], total: 0 } });
    const presets = await call('listPresets', {});
    expect(presets.ok && Array.isArray(presets.value) && presets.value.length).toBeGreaterThan(0);
  });
});
