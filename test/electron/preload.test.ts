/**
 * The preload with Electron mocked (`vi.mock('electron')` stands in for contextBridge, ipcRenderer and
 * webUtils): it must expose one object covering every channel of the table, plus `pathForFile`.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CHANNEL_NAMES, CHANNELS } from '../../shared/api/channels';
import { ApiError } from '../../shared/api/errors';

const exposed = new Map<string, unknown>();
const invoke = vi.fn<(channel: string, ...args: unknown[]) => Promise<unknown>>();
const onListeners = new Map<string, (e: unknown, ...args: unknown[]) => void>();
const getPathForFile = vi.fn<(file: unknown) => string>();

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => exposed.set(key, value) },
  ipcRenderer: {
    invoke: (channel: string, ...args: unknown[]) => invoke(channel, ...args),
    on: (channel: string, fn: (e: unknown, ...args: unknown[]) => void) => onListeners.set(channel, fn),
  },
  webUtils: { getPathForFile: (file: unknown) => getPathForFile(file) },
}));

type Api = Record<string, (...args: unknown[]) => unknown>;

describe('preload', () => {
  let api: Api;
  beforeAll(async () => {
    await import('../../src-main/electron/preload');
    api = exposed.get('strata') as Api;
  });

  it('exposes exactly one object, window.strata, with a function per channel and pathForFile', () => {
    expect([...exposed.keys()]).toEqual(['strata']);
    expect(Object.keys(api).sort()).toEqual([...CHANNEL_NAMES, 'pathForFile'].sort());
    for (const name of CHANNEL_NAMES) expect(typeof api[name]).toBe('function');
  });

  it('answers pathForFile through webUtils.getPathForFile, and "" for what is not a file object', () => {
    const file = { name: 'train' };
    getPathForFile.mockReturnValueOnce('/data/tgs/train');
    expect(api['pathForFile']?.(file)).toBe('/data/tgs/train');
    expect(getPathForFile).toHaveBeenCalledWith(file);
    getPathForFile.mockClear();
    expect(api['pathForFile']?.(null)).toBe('');
    expect(api['pathForFile']?.('/etc/passwd')).toBe('');
    expect(getPathForFile).not.toHaveBeenCalled();
  });

  it('sends a call over strata:call and returns its value', async () => {
    invoke.mockResolvedValueOnce({ ok: true, value: [{ id: 'demo' }] });
    await expect(api['listDatasets']?.()).resolves.toEqual([{ id: 'demo' }]);
    expect(invoke).toHaveBeenLastCalledWith('strata:call', 'listDatasets', {});
  });

  it('turns an error answer into a typed ApiError', async () => {
    invoke.mockResolvedValueOnce({ ok: false, error: { code: 'not-found', message: 'no run x' } });
    const err = await (api['getRun']?.({ id: 'x' }) as Promise<unknown>).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'not-found', message: 'no run x' });
  });

  it('delivers stream events to the listener and undoes the subscription', async () => {
    const stream = CHANNEL_NAMES.find((n) => CHANNELS[n].kind === 'listen') as string;
    invoke.mockResolvedValueOnce({ ok: true, subId: 's7' });
    const got: unknown[] = [];
    const undo = api[stream]?.({}, (e: unknown) => got.push(e)) as () => void;
    await new Promise((r) => setTimeout(r, 0));
    onListeners.get('strata:event')?.({}, 's7', { hello: 1 });
    onListeners.get('strata:event')?.({}, 'other', { hello: 2 });
    expect(got).toEqual([{ hello: 1 }]);
    invoke.mockResolvedValueOnce(true);
    undo();
    expect(invoke).toHaveBeenLastCalledWith('strata:unlisten', 's7');
    onListeners.get('strata:event')?.({}, 's7', { hello: 3 });
    expect(got).toEqual([{ hello: 1 }]);
  });
});
