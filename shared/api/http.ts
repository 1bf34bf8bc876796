/**
 * The browser-mode wire protocol: calls are `POST /api/<channel>` with the parameters as the JSON
 * body; streams go over one WebSocket at `/api/ws`. Every request carries the lab's token.
 */
import type { ApiErrorBody } from './errors';

/** Path prefix of every call. */
export const API_PREFIX = '/api/';
/** Path of the event WebSocket. */
export const WS_PATH = '/api/ws';
/** Largest request body (designs included) and WebSocket message the lab accepts. */
export const MAX_REQUEST_BYTES = 2 * 1024 * 1024;
/** Query parameter carrying the token in the page URL and on the WebSocket upgrade. */
export const TOKEN_PARAM = 'token';

/** Browser to lab, over the WebSocket. `sub` is chosen by the client and names the subscription. */
export type WsClientMessage =
  | { type: 'subscribe'; sub: string; channel: string; input: unknown }
  | { type: 'unsubscribe'; sub: string };

/** Lab to browser, over the WebSocket. */
export type WsServerMessage =
  | { type: 'subscribed'; sub: string }
  | { type: 'event'; sub: string; event: unknown }
  | { type: 'error'; sub: string | null; error: ApiErrorBody };
