/**
 * The Electron transport's main side: three IPC channels carry every API channel.
 * `strata:call` answers a call, `strata:listen`/`strata:unlisten` manage subscriptions whose events
 * go back on `strata:event`. Every message's sender is checked first: only the app's own page in the
 * main frame may talk to the lab. Written against small interfaces, so it never imports Electron
 * (src-main/electron/main.ts passes `ipcMain` in) and tests need no Electron.
 */
import type { ApiHandlers } from '../../../shared/api/channels';
import type { ApiErrorBody } from '../../../shared/api/errors';
import { IPC } from '../../../shared/api/ipcChannels';
import { errorReply, type ListenReply, type Reply } from '../../../shared/api/reply';
import { dispatchCall, dispatchListen } from './dispatch';

export { IPC };

/** The parts of an IPC event this module reads. */
export interface IpcEventLike {
  sender: { id: number; send(channel: string, ...args: unknown[]): void; once(event: 'destroyed', fn: () => void): void };
  senderFrame: { url: string; parent: unknown } | null;
}

/** The parts of `ipcMain` this module uses. */
export interface IpcMainLike {
  handle(channel: string, handler: (event: IpcEventLike, ...args: unknown[]) => unknown): void;
}

const FORBIDDEN: ApiErrorBody = { code: 'forbidden', message: 'this page may not use the lab API' };

const BAD_NAME: ApiErrorBody = { code: 'bad-request', message: 'the channel name must be a string' };

/**
 * Registers the API on `ipcMain`; only senders whose main frame shows a page `isAppPage` accepts
 * (the app's own, see isAllowedNavigation in src-main/electron/security.ts) are served.
 */
export function registerIpcApi(ipcMain: IpcMainLike, handlers: ApiHandlers, isAppPage: (url: string) => boolean): void {
  const subs = new Map<number, Map<string, () => void>>();
  let next = 1;
  const trusted = (e: IpcEventLike) => e.senderFrame !== null && e.senderFrame.parent === null && isAppPage(e.senderFrame.url);

  ipcMain.handle(IPC.call, async (e, name, input): Promise<Reply> => {
    if (!trusted(e)) return errorReply(FORBIDDEN);
    if (typeof name !== 'string') return errorReply(BAD_NAME);
    return dispatchCall(handlers, name, input);
  });

  ipcMain.handle(IPC.listen, (e, name, input): ListenReply => {
    if (!trusted(e)) return errorReply(FORBIDDEN);
    if (typeof name !== 'string') return errorReply(BAD_NAME);
    const subId = `s${next++}`;
    const outcome = dispatchListen(handlers, name, input, (event) => e.sender.send(IPC.event, subId, event));
    if (!outcome.ok) return outcome;
    let mine = subs.get(e.sender.id);
    if (!mine) {
      const created = new Map<string, () => void>();
      subs.set(e.sender.id, created);
      mine = created;
      // A closed or reloaded window drops its subscriptions: no events to a dead page, no leak.
      e.sender.once('destroyed', () => {
        for (const undo of created.values()) undo();
        subs.delete(e.sender.id);
      });
    }
    mine.set(subId, outcome.unsubscribe);
    return { ok: true, subId };
  });

  ipcMain.handle(IPC.unlisten, (e, subId) => {
    if (!trusted(e) || typeof subId !== 'string') return false;
    const mine = subs.get(e.sender.id);
    const undo = mine?.get(subId);
    if (!undo) return false;
    undo();
    mine?.delete(subId);
    return true;
  });
}
