/** The API contract's runtime checks: malformed requests get typed errors and never reach the lab. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL_NAMES, CHANNELS } from '../../shared/api/channels';
import { ApiError, isApiErrorBody } from '../../shared/api/errors';
import { channelOf, checkInput } from '../../shared/api/validate';
import { decodeWire, encodeWire } from '../../shared/api/wire';
import { dispatchCall, dispatchListen } from '../../src-main/lab/transport/dispatch';
import { createHandlers } from '../../src-main/lab/handlers';
import type { LabService } from '../../src-main/lab/service';
import { openLab, scratchDir } from '../lab/helpers';

describe('parameter schemas', () => {
  it('refuses ids that could walk out of their folder, naming the field', () => {
    for (const id of ['../../etc/passwd', '..', '.', 'a/b', 'a\\b', '', 'x'.repeat(65), '-lead']) {
      const r = checkInput('loadDesign', { id });
      expect(r.ok, id).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('bad-request');
        expect(r.error.issues?.map((i) => i.path)).toEqual(['id']);
      }
    }
    expect(checkInput('loadDesign', { id: 'my-design_2' }).ok).toBe(true);
    expect(checkInput('getRun', { id: '20250607-153012-123-k3j9x2' }).ok).toBe(true);
    expect(checkInput('getRun', { id: '20250607-153012-123-k3j9x2/../x' }).ok).toBe(false);
  });

  it('refuses relative folder paths and paths with . or .. segments', () => {
    for (const p of ['data/tgs', '/data/../etc', '/data/./tgs', 'C:\\data\\..\\x', '/a\0b', '']) {
      const r = checkInput('importDataset', { path: p });
      expect(r.ok, JSON.stringify(p)).toBe(false);
      if (!r.ok) expect(r.error.issues?.[0]?.path).toBe('path');
    }
    expect(checkInput('importDataset', { path: '/work/shared/tgs' }).ok).toBe(true);
    expect(checkInput('importDataset', { path: 'C:\\data\\tgs' }).ok).toBe(true);
  });

  it('refuses unknown fields, wrong types and out-of-range settings, naming each field', () => {
    const extra = checkInput('listDatasets', { sneaky: 1 });
    expect(extra.ok).toBe(false);
    const bad = checkInput('startRun', {
      design: { kind: 'preset', name: 'tiny' },
      datasetId: 'demo',
      config: { batch: 0, epochs: 1.5, optimizer: { name: 'rmsprop', lr: 1 } },
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      const paths = bad.error.issues?.map((i) => i.path) ?? [];
      expect(paths).toEqual(expect.arrayContaining(['config.batch', 'config.epochs', 'config.optimizer.name']));
      expect(bad.error.message).toMatch(/^startRun: /);
    }
    expect(checkInput('startRun', { design: { kind: 'saved', id: '../x' }, datasetId: 'demo' }).ok).toBe(false);
    expect(checkInput('previewSamples', { datasetId: 'demo', limit: 100_000 }).ok).toBe(false);
    expect(checkInput('listRuns', { status: 'sleeping' }).ok).toBe(false);
  });

  it('fills in defaults for what may be left out', () => {
    const r = checkInput('previewSamples', { datasetId: 'demo' });
    expect(r).toEqual({ ok: true, params: { datasetId: 'demo', offset: 0, limit: 24 } });
  });

  it('refuses a design document that is not a Strata design, but keeps unfinished ones for the validator', () => {
    expect(checkInput('saveDesign', { arch: { format: 'keras', version: 1, name: 'x', nodes: [], edges: [] } }).ok).toBe(false);
    expect(checkInput('saveDesign', { arch: 'not an object' }).ok).toBe(false);
    const unfinished = { format: 'strata-arch', version: 1, name: 'wip', init: 'he_normal', nodes: [{ id: 'in', kind: 'input' }], edges: [] };
    expect(checkInput('saveDesign', { arch: unfinished }).ok).toBe(true);
  });

  it('knows its channel names, and every stream is named onXxx', () => {
    expect(channelOf('listRuns').ok).toBe(true);
    const nope = channelOf('__proto__');
    expect(nope.ok).toBe(false);
    if (!nope.ok) expect(nope.error.code).toBe('not-found');
    for (const name of CHANNEL_NAMES) expect(CHANNELS[name].kind === 'listen', name).toBe(/^on[A-Z]/.test(name));
  });
});

describe('errors and wire format', () => {
  it('turns an error body into an ApiError and back', () => {
    const e = ApiError.fromBody({ code: 'conflict', message: 'busy', issues: [{ path: 'id', message: 'x' }] });
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('conflict');
    expect(e.toBody()).toEqual({ code: 'conflict', message: 'busy', issues: [{ path: 'id', message: 'x' }] });
    expect(isApiErrorBody({ code: 'teapot', message: 'x' })).toBe(false);
    expect(isApiErrorBody({ code: 'internal', message: 'x', issues: [{ path: 1 }] })).toBe(false);
  });

  it('keeps NaN and infinities through JSON, which would turn them into null', () => {
    const value = { loss: Number.NaN, hi: Infinity, lo: -Infinity, ok: 0.5, list: [1, Number.NaN] };
    const back = decodeWire(encodeWire(value));
    expect(back).toEqual(value);
    expect(JSON.parse(JSON.stringify(value))).not.toEqual(value);
    // An object that merely looks like the escape but is not one stays an object.
    expect(decodeWire('{"a":{"$num":"12"}}')).toEqual({ a: { $num: '12' } });
  });
});

describe('dispatch on a real lab', () => {
  let lab: LabService;
  let home: string;
  beforeAll(() => {
    home = scratchDir('contract');
    lab = openLab(home);
  });
  afterAll(async () => {
    await lab.close();
  });

  it('answers a malformed request with bad-request before the lab is touched', async () => {
    // A file the traversal would reach if the id got through.
    const victim = path.join(home, 'victim.json');
    fs.writeFileSync(victim, '{}');
    const handlers = createHandlers(lab);
    const r = await dispatchCall(handlers, 'deleteDesign', { id: '../victim' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('bad-request');
    expect(fs.existsSync(victim)).toBe(true);
    const gone = await dispatchCall(handlers, 'deleteDesign', { id: 'victim' });
    expect(gone.ok ? null : gone.error.code).toBe('not-found');
  });

  it('refuses calling a stream, subscribing to a call, and unknown channels', async () => {
    const handlers = createHandlers(lab);
    const a = await dispatchCall(handlers, 'onRunsChanged', {});
    expect(a.ok ? null : a.error.code).toBe('bad-request');
    const b = dispatchListen(handlers, 'listRuns', {}, () => undefined);
    expect(b.ok ? null : b.error.code).toBe('bad-request');
    const c = await dispatchCall(handlers, 'dropTables', {});
    expect(c.ok ? null : c.error.code).toBe('not-found');
    const d = dispatchListen(handlers, 'onRunEvent', { runId: '20250607-153012-123-k3j9x2' }, () => undefined);
    expect(d.ok ? null : d.error.code).toBe('not-found');
  });

  it('serves a well-formed call', async () => {
    const r = await dispatchCall(createHandlers(lab), 'listRuns', {});
    expect(r).toEqual({ ok: true, value: { runs: [], total: 0 } });
  });
});
