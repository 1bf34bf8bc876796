/**
 * Serving a request from any transport: find the channel, check the parameters against its schema
 * (a malformed request never reaches the service), call the handler, and turn whatever it throws
 * into a typed error body.
 */
import type { ApiHandlers, Unsubscribe } from '../../../shared/api/channels';
import { CHANNELS } from '../../../shared/api/channels';
import type { ApiErrorBody } from '../../../shared/api/errors';
import { errorReply, type Reply } from '../../../shared/api/reply';
import { channelOf, checkInput } from '../../../shared/api/validate';
import { toApiError } from '../errors';

// The table is indexed by a runtime name here, so each handler is seen through the signature all of
// them share; the parameters it gets were checked by that same channel's schema just before.
type AnyCall = (params: unknown) => unknown;
type AnyListen = (params: unknown, emit: (event: unknown) => void) => Unsubscribe;

/** Serves call `name` with raw parameters `raw`. Never throws. */
export async function dispatchCall(handlers: ApiHandlers, name: string, raw: unknown): Promise<Reply> {
  const ch = channelOf(name);
  if (!ch.ok) return ch;
  if (CHANNELS[ch.name].kind !== 'call') {
    return errorReply({ code: 'bad-request', message: `${ch.name} is an event stream; subscribe to it instead of calling it` });
  }
  const input = checkInput(ch.name, raw);
  if (!input.ok) return input;
  try {
    const handler = handlers[ch.name] as AnyCall;
    return { ok: true, value: await handler(input.params) };
  } catch (e) {
    return errorReply(toApiError(e));
  }
}

/** A subscription's outcome on the lab's side: how to undo it, or why it was refused. */
export type ListenOutcome = { ok: true; unsubscribe: Unsubscribe } | { ok: false; error: ApiErrorBody };

/** Subscribes `emit` to stream `name` with raw parameters `raw`. Never throws. */
export function dispatchListen(handlers: ApiHandlers, name: string, raw: unknown, emit: (event: unknown) => void): ListenOutcome {
  const ch = channelOf(name);
  if (!ch.ok) return ch;
  if (CHANNELS[ch.name].kind !== 'listen') {
    return errorReply({ code: 'bad-request', message: `${ch.name} is a call, not an event stream` });
  }
  const input = checkInput(ch.name, raw);
  if (!input.ok) return input;
  try {
    const handler = handlers[ch.name] as AnyListen;
    const undo = handler(input.params, emit);
    let done = false;
    return {
      ok: true,
      unsubscribe: () => {
        if (done) return;
        done = true;
        undo();
      },
    };
  } catch (e) {
    return errorReply(toApiError(e));
  }
}
