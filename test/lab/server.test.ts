/**
 * The lab over HTTP on 127.0.0.1:0 with scratch storage: access control, size limits, path
 * traversal, the WebSocket's checks, and a full round trip through the browser client, a real
 * training run included.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upgrade } from '../helpers/wsUpgrade';
import { getPreset } from '../../shared/arch';
import { ApiError } from '../../shared/api/errors';
import type { HttpTransport } from '../../shared/api/client';
import type { RunsChanged } from '../../shared/api/types';
import type { TrainerMessage } from '../../shared/training/protocol';
import { makeDemoDataset } from '../../src-main/data/demo';
import { createHandlers } from '../../src-main/lab/handlers';
import { startLabServer } from '../../src-main/lab/transport/http/server';
import { greyPng, nodeClient, scratchDir, serveLab, waitFor, type ServedLab } from './helpers';

/** A raw request, path sent exactly as given (fetch would normalise `..`). */
function raw(
  lab: ServedLab,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: lab.server.port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

function post(lab: ServedLab, channel: string, body: unknown, token: string | null = lab.server.token) {
  return raw(lab, {
    method: 'POST',
    path: `/api/${channel}`,
    headers: { 'Content-Type': 'application/json', ...(token === null ? {} : { Authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
}

describe('lab server access', () => {
  let lab: ServedLab;
  const secret = 'top secret, outside the UI folder';
  beforeAll(async () => {
    lab = await serveLab('access');
    fs.writeFileSync(path.join(lab.home, 'secret.txt'), secret);
    fs.symlinkSync(path.join(lab.home, 'secret.txt'), path.join(lab.staticDir, 'link.txt'));
  });
  afterAll(() => lab.close());

  it('prints an address on 127.0.0.1 with a 64-hex-digit token', () => {
    expect(lab.server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
    expect(lab.server.url.endsWith(lab.server.token)).toBe(true);
  });

  it('answers 401 without a token and with a wrong one', async () => {
    const none = await post(lab, 'listPresets', {}, null);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const wrong = await post(lab, 'listPresets', {}, 'f'.repeat(64));
    expect(wrong.status).toBe(401);
    const almost = await post(lab, 'listPresets', {}, lab.server.token.slice(0, -1));
    expect(almost.status).toBe(401);
    // The token in the query string does not count for calls: it would end up in logs and history.
    const inQuery = await raw(lab, { method: 'POST', path: `/api/listPresets?token=${lab.server.token}`, body: '{}' });
    expect(inQuery.status).toBe(401);
    const ok = await post(lab, 'listPresets', {});
    expect(ok.status).toBe(200);
  });

  it('refuses API requests to another host name or from another origin', async () => {
    const auth = { Authorization: `Bearer ${lab.server.token}`, 'Content-Type': 'application/json' };
    const host = await raw(lab, { method: 'POST', path: '/api/listPresets', headers: { ...auth, Host: `evil.example:${lab.server.port}` }, body: '{}' });
    expect(host.status).toBe(403);
    const origin = await raw(lab, { method: 'POST', path: '/api/listPresets', headers: { ...auth, Origin: 'http://evil.example' }, body: '{}' });
    expect(origin.status).toBe(403);
    const own = await raw(lab, { method: 'POST', path: '/api/listPresets', headers: { ...auth, Origin: lab.server.origin }, body: '{}' });
    expect(own.status).toBe(200);
  });

  it('answers 413 for bodies over 2 MiB, designs included', async () => {
    const big = await raw(lab, {
      method: 'POST',
      path: '/api/listPresets',
      headers: { Authorization: `Bearer ${lab.server.token}`, 'Content-Type': 'application/json' },
      body: Buffer.alloc(3 * 1024 * 1024, 0x20),
    });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toMatchObject({ ok: false, error: { code: 'too-large' } });
    expect(JSON.parse(big.body).error.message).toContain('2 MiB');
    const arch = getPreset('tiny');
    const padded = { ...arch, description: 'x'.repeat(2 * 1024 * 1024) };
    const design = await post(lab, 'saveDesign', { arch: padded });
    expect(design.status).toBe(413);
    expect(fs.existsSync(path.join(lab.home, 'designs'))).toBe(false);
  });

  it('answers malformed JSON and bad ids with a typed 400', async () => {
    const r = await raw(lab, {
      method: 'POST',
      path: '/api/getRun',
      headers: { Authorization: `Bearer ${lab.server.token}`, 'Content-Type': 'application/json' },
      body: '{"id":',
    });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error.code).toBe('bad-request');
    for (const [channel, body] of [
      ['loadDesign', { id: '../../etc/passwd' }],
      ['deleteDesign', { id: '..' }],
      ['getRun', { id: '../../index.sqlite' }],
      ['importDataset', { path: `${lab.home}/ui/../../..` }],
      ['importDataset', { path: 'relative/folder' }],
      ['previewSamples', { datasetId: '../demo' }],
    ] as const) {
      const res = await post(lab, channel, body);
      expect(res.status, `${channel} ${JSON.stringify(body)}`).toBe(400);
      expect(JSON.parse(res.body).error.code).toBe('bad-request');
    }
    const unknown = await post(lab, 'formatDisk', {});
    expect(unknown.status).toBe(404);
  });

  it('serves the UI and refuses every way out of its folder', async () => {
    const index = await raw(lab, { path: '/' });
    expect(index.status).toBe(200);
    expect(index.body).toContain('strata test ui');
    expect(index.headers['referrer-policy']).toBe('no-referrer');
    const js = await raw(lab, { path: '/assets/app.js' });
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    // An app route without a file falls back to the page; a missing asset is a 404.
    expect((await raw(lab, { path: '/runs/123' })).body).toContain('strata test ui');
    expect((await raw(lab, { path: '/assets/missing.js' })).status).toBe(404);
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/..\\secret.txt', '/%00', '/link.txt', '/%E0%A4%A']) {
      const res = await raw(lab, { path: p });
      expect(res.status, p).toBeGreaterThanOrEqual(400);
      expect(res.body, p).not.toContain(secret);
    }
  });

  it('says how to build the UI when it is not built', async () => {
    const emptyUi = scratchDir('no-ui');
    const bare = await startLabServer({ handlers: createHandlers(lab.lab), port: 0, staticDir: emptyUi });
    try {
      const page = await fetch(`${bare.origin}/`);
      const text = await page.text();
      expect(page.status).toBe(200);
      expect(text).toContain('UI is not built');
      expect(text).toContain('dist/renderer');
    } finally {
      await bare.close();
    }
  });

  it('refuses WebSocket upgrades without the token, with a wrong one, or from a foreign origin', async () => {
    const ws = `ws://127.0.0.1:${lab.server.port}/api/ws`;
    expect(await upgrade(ws)).toBe(401);
    expect(await upgrade(`${ws}?token=${'0'.repeat(64)}`)).toBe(401);
    expect(await upgrade(`${ws}?token=${lab.server.token}`, { Origin: 'http://evil.example' })).toBe(403);
    expect(await upgrade(`${ws}?token=${lab.server.token}`, { Origin: `http://127.0.0.1:${lab.server.port + 1}` })).toBe(403);
    expect(await upgrade(`${ws}?token=${lab.server.token}`, { Origin: lab.server.origin })).toBe('open');
    expect(await upgrade(`${ws}?token=${lab.server.token}`)).toBe('open');
  });
});

describe('lab server round trip', () => {
  let lab: ServedLab;
  let client: HttpTransport;
  beforeAll(async () => {
    lab = await serveLab('roundtrip');
    client = nodeClient(lab.server);
  });
  afterAll(async () => {
    client.dispose();
    await lab.close();
  });

  it('lists presets and saves, lists, loads and deletes a design', async () => {
    const api = client.api;
    const presets = await api.listPresets();
    const tiny = presets.find((p) => p.name === 'tiny');
    expect(tiny?.convLayers).toBeGreaterThan(0);
    const fig2 = presets.find((p) => p.name === 'fig2');
    expect(fig2?.convLayers).toBe(272);

    const arch = await api.getPreset({ name: 'tiny' });
    const saved = await api.saveDesign({ arch: { ...arch, name: 'My tiny' } });
    expect(saved).toMatchObject({ name: 'My tiny', valid: true, errorCount: 0, convLayers: tiny?.convLayers });
    expect(saved.id).toMatch(/^my-tiny-[0-9a-f]{6}$/);
    expect(fs.existsSync(path.join(lab.home, 'designs', `${saved.id}.json`))).toBe(true);

    const broken = { ...arch, name: 'Broken', edges: [] };
    const savedBroken = await api.saveDesign({ arch: broken, id: 'broken' });
    expect(savedBroken.valid).toBe(false);
    expect(savedBroken.errors.length).toBeGreaterThan(0);

    const list = await api.listDesigns();
    expect(list.map((d) => [d.id, d.valid]).sort()).toEqual([
      ['broken', false],
      [saved.id, true],
    ]);
    const loaded = await api.loadDesign({ id: saved.id });
    expect(loaded.arch).toEqual({ ...arch, name: 'My tiny' });

    // An invalid design can be kept, but not trained.
    await expect(api.startRun({ design: { kind: 'saved', id: 'broken' }, datasetId: 'demo', demoCount: 24 })).rejects.toMatchObject({ code: 'conflict' });

    expect(await api.deleteDesign({ id: saved.id })).toEqual({ deleted: saved.id });
    await expect(api.loadDesign({ id: saved.id })).rejects.toBeInstanceOf(ApiError);
    await expect(api.loadDesign({ id: saved.id })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('imports a folder with bad files and shows its problems and samples', async () => {
    const dir = scratchDir('import');
    fs.mkdirSync(path.join(dir, 'images'));
    fs.mkdirSync(path.join(dir, 'masks'));
    const W = 101;
    const px = W * W;
    const img = Array.from({ length: px }, (_, p) => p % 256);
    // 1010 salt pixels: coverage 1010 / 10201.
    const mask = Array.from({ length: px }, (_, p) => (p < 1010 ? 255 : 0));
    fs.writeFileSync(path.join(dir, 'images', 'a.png'), greyPng(W, W, img));
    fs.writeFileSync(path.join(dir, 'masks', 'a.png'), greyPng(W, W, mask));
    fs.writeFileSync(path.join(dir, 'images', 'b.png'), greyPng(W, W, img));
    fs.writeFileSync(path.join(dir, 'masks', 'b.png'), greyPng(W, W, new Array<number>(px).fill(0)));
    fs.writeFileSync(path.join(dir, 'images', 'empty.png'), '');
    fs.writeFileSync(path.join(dir, 'masks', 'empty.png'), greyPng(W, W, mask));
    fs.writeFileSync(path.join(dir, 'images', 'nomask.png'), greyPng(W, W, img));
    fs.writeFileSync(path.join(dir, 'images', 'small.png'), greyPng(50, 50, new Array<number>(2500).fill(7)));
    fs.writeFileSync(path.join(dir, 'masks', 'small.png'), greyPng(50, 50, new Array<number>(2500).fill(0)));

    const entry = await client.api.importDataset({ path: dir });
    expect(entry.info.count).toBe(2);
    expect(entry.synthetic).toBe(false);
    const codes = entry.info.problems.map((p) => `${p.code} ${p.file}`).sort();
    expect(codes).toEqual(expect.arrayContaining(['empty-file images/empty.png', 'missing-mask images/nomask.png']));
    expect(codes.some((c) => c.startsWith('size-mismatch') && c.includes('small.png'))).toBe(true);

    const all = await client.api.listDatasets();
    expect(all.map((d) => d.id)).toEqual(['demo', entry.id]);
    expect(all[0]?.synthetic).toBe(true);

    const page = await client.api.previewSamples({ datasetId: entry.id, offset: 0, limit: 10 });
    expect(page.total).toBe(2);
    expect(page.samples.map((s) => s.id)).toEqual(['a', 'b']);
    const a = page.samples[0];
    expect([...Buffer.from(a?.image ?? '', 'base64')]).toEqual(img);
    expect(Buffer.from(a?.mask ?? '', 'base64').reduce((s, v) => s + v, 0)).toBe(1010);
    expect(a?.coverage).toBeCloseTo(1010 / 10201, 12);
    expect(page.samples[1]?.coverage).toBe(0);

    await expect(client.api.importDataset({ path: path.join(dir, 'nowhere') })).rejects.toMatchObject({ code: 'not-found' });
    await expect(client.api.removeDataset({ id: 'demo' })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('trains a short run on the demo set, streaming its events, then deletes it', async () => {
    const api = client.api;
    const messages: TrainerMessage[] = [];
    const changes: RunsChanged[] = [];
    const offChanges = api.onRunsChanged({}, (c) => changes.push(c));
    await client.whenSubscribed();
    const run = await api.startRun({
      design: { kind: 'preset', name: 'tiny' },
      datasetId: 'demo',
      demoCount: 24,
      name: 'round trip',
      config: { epochs: 1, batch: 8, backend: 'auto' },
    });
    expect(run.name).toBe('round trip');
    expect(run.trainCount + run.valCount).toBe(24);
    const ended = new Promise<TrainerMessage>((resolve) => {
      api.onRunEvent({ runId: run.id }, (m) => {
        messages.push(m);
        if (m.type === 'ended') resolve(m);
      });
    });
    const end = await ended;
    expect(end).toMatchObject({ type: 'ended', runId: run.id, status: 'done' });
    expect(messages.some((m) => m.type === 'epoch')).toBe(true);
    expect(messages.every((m) => m.runId === run.id)).toBe(true);

    const listed = await waitFor('the run to be listed as done', async () => {
      const l = await api.listRuns({});
      return l.runs.find((r) => r.id === run.id && r.status === 'done');
    });
    expect(listed.epochsDone).toBe(1);
    expect(changes.some((c) => c.change === 'created' && c.runId === run.id)).toBe(true);

    const epochs = await api.getEpochMetrics({ id: run.id });
    expect(epochs).toHaveLength(1);
    const batches = await api.getBatchMetrics({ id: run.id, fromStep: 1 });
    expect(batches.every((b) => b.step >= 1)).toBe(true);
    expect((await api.getRunEvents({ id: run.id })).length).toBeGreaterThan(0);

    const predEpochs = await api.getPredictionEpochs({ id: run.id });
    expect(predEpochs.length).toBeGreaterThan(0);
    const preds = await api.getPredictions({ id: run.id, epoch: predEpochs[0] as number });
    const record = await api.getRun({ id: run.id });
    expect([...preds.ids].sort()).toEqual([...record.split.val].sort());
    expect(Buffer.from(preds.probs, 'base64').length).toBe(preds.ids.length * 101 * 101);
    expect(preds.truthNote).toBeNull();
    // The truth masks are the demo set's own masks of those samples.
    const demo = makeDemoDataset({ count: 24, seed: 1 });
    const truth = Buffer.from(preds.truth ?? '', 'base64');
    preds.ids.forEach((id, k) => {
      const i = demo.ids.indexOf(id);
      expect(truth.subarray(k * 10201, (k + 1) * 10201).equals(Buffer.from((demo.masks as Uint8Array).subarray(i * 10201, (i + 1) * 10201))), id).toBe(true);
    });
    const page = await api.getPredictions({ id: run.id, epoch: predEpochs[0] as number, offset: 1, limit: 2 });
    expect(page.ids).toEqual(preds.ids.slice(1, 3));
    expect(page.total).toBe(preds.ids.length);

    const backend = await api.getBackendInfo();
    expect(backend.last?.runId).toBe(run.id);

    // The trainer has written `done`: the run can be deleted now (the lab waits for its process to exit).
    expect(await api.deleteRun({ id: run.id })).toEqual({ deleted: run.id });
    expect((await api.listRuns({})).total).toBe(0);
    await expect(api.getRun({ id: run.id })).rejects.toMatchObject({ code: 'not-found' });
    expect(changes.some((c) => c.change === 'deleted' && c.runId === run.id)).toBe(true);
    offChanges();
  });

  it('refuses a subscription with bad parameters at once, typed', () => {
    expect(() => client.api.onRunEvent({ runId: '../x' }, () => undefined)).toThrow(ApiError);
  });
});
