/** The main side of the Electron transport, with a stand-in ipcMain and the real lab service behind it. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IPC, registerIpcApi, type IpcEventLike, type IpcMainLike } from '../../src-main/lab/transport/ipc';
import { createHandlers } from '../../src-main/lab/handlers';
import { LabService } from '../../src-main/lab/service';
import { isAllowedNavigation } from '../../src-main/electron/security';

const APP = 'file:///app/dist/renderer/index.html';
const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-ipc-'));
const lab = LabService.open({ dataDir: dir, runsDir: path.join(dir, 'runs') });
afterAll(async () => {
  await lab.close();
  rmSync(dir, { recursive: true, force: true });
});

const handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => unknown>();
const ipcMain: IpcMainLike = { handle: (channel, fn) => handlers.set(channel, fn) };
registerIpcApi(ipcMain, createHandlers(lab), (url) => isAllowedNavigation(url, APP));

function sender(url: string, opts: { subFrame?: boolean } = {}) {
  const sent: unknown[][] = [];
  let destroyed: (() => void) | null = null;
  const event: IpcEventLike = {
    sender: { id: Math.floor(Math.random() * 1e9), send: (...args: unknown[]) => sent.push(args), once: (_e, fn) => (destroyed = fn) },
    senderFrame: { url, parent: opts.subFrame ? {} : null },
  };
  return { event, sent, destroy: () => destroyed?.() };
}

const invoke = (channel: string, event: IpcEventLike, ...args: unknown[]) => handlers.get(channel)?.(event, ...args);

describe('Electron IPC', () => {
  it('serves a call from the app page', async () => {
    const r = (await invoke(IPC.call, sender(`${APP}#/data`).event, 'listDatasets', {})) as { ok: boolean; value: { id: string }[] };
    expect(r.ok).toBe(true);
    expect(r.value.some((d) => d.id === 'demo')).toBe(true);
  });

  it('refuses other pages and sub-frames', async () => {
    for (const s of [sender('https://evil.example/'), sender('file:///tmp/x.html'), sender(APP, { subFrame: true })]) {
      expect(await invoke(IPC.call, s.event, 'listDatasets', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      expect(await invoke(IPC.listen, s.event, 'onRunsChanged', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
  });

  it('validates the request before it reaches the service', async () => {
    const s = sender(APP);
    expect(await invoke(IPC.call, s.event, 'getRun', { id: '../../etc/passwd' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await invoke(IPC.call, s.event, 'noSuchChannel', {})).toMatchObject({ ok: false });
    expect(await invoke(IPC.call, s.event, 42, {})).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });

  it('subscribes, and undoes subscriptions by id or when the page goes away', async () => {
    const s = sender(APP);
    const r = (await invoke(IPC.listen, s.event, 'onRunsChanged', {})) as { ok: boolean; subId: string };
    expect(r.ok).toBe(true);
    expect(await invoke(IPC.unlisten, s.event, r.subId)).toBe(true);
    expect(await invoke(IPC.unlisten, s.event, r.subId)).toBe(false);
    const r2 = (await invoke(IPC.listen, s.event, 'onRunsChanged', {})) as { ok: boolean; subId: string };
    s.destroy();
    expect(await invoke(IPC.unlisten, s.event, r2.subId)).toBe(false);
  });
});
