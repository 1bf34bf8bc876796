/**
 * The preload: exposes exactly one object, `window.strata`, implementing the lab API over three
 * IPC channels, plus `pathForFile` for files dropped on the page (Electron's `webUtils`, which only
 * a preload can call). Runs sandboxed with context isolation; it is bundled into one file.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { CHANNELS, CHANNEL_NAMES, type StrataApi } from '../../shared/api/channels';
import { IPC } from '../../shared/api/ipcChannels';
import { parseListenReply, unwrapReply } from '../../shared/api/reply';

const listeners = new Map<string, (event: unknown) => void>();
ipcRenderer.on(IPC.event, (_e: IpcRendererEvent, subId: unknown, event: unknown) => {
  if (typeof subId === 'string') listeners.get(subId)?.(event);
});

async function call(name: string, input: unknown): Promise<unknown> {
  return unwrapReply(name, await ipcRenderer.invoke(IPC.call, name, input ?? {}));
}

function listen(name: string, input: unknown, listener: (event: unknown) => void): () => void {
  let subId: string | null = null;
  let undone = false;
  void ipcRenderer.invoke(IPC.listen, name, input).then((raw: unknown) => {
    const r = parseListenReply(raw);
    if (r === null || !r.ok) return;
    if (undone) {
      void ipcRenderer.invoke(IPC.unlisten, r.subId);
      return;
    }
    subId = r.subId;
    listeners.set(subId, listener);
  });
  return () => {
    undone = true;
    if (subId === null) return;
    listeners.delete(subId);
    void ipcRenderer.invoke(IPC.unlisten, subId);
    subId = null;
  };
}

/** One method per channel of the table: the type proves every channel is covered. */
const api = Object.fromEntries(
  CHANNEL_NAMES.map((name) => [
    name,
    CHANNELS[name].kind === 'call'
      ? (input?: unknown) => call(name, input)
      : (input: unknown, listener: (event: unknown) => void) => listen(name, input, listener),
  ]),
) as StrataApi;

/**
 * The path on disk of a File dropped on the page: '' when it has none (text or an image dragged from
 * a web page). The page then asks the lab what the path is (`checkDroppedFolder`); browsers never
 * reveal it, which is why browser mode types paths instead.
 */
function pathForFile(file: unknown): string {
  if (typeof file !== 'object' || file === null) return '';
  return webUtils.getPathForFile(file as File);
}

contextBridge.exposeInMainWorld('strata', { ...api, pathForFile });
