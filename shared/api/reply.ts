/**
 * The reply envelope, ONE definition for every transport: the lab's dispatch produces it, the IPC
 * transport and the HTTP server send it, the preload and the browser client read it back.
 */
import { ApiError, isApiErrorBody, type ApiErrorBody } from './errors';

/** A call's answer: its value, or the typed error it was refused with. */
export type Reply<T = unknown> = { ok: true; value: T } | { ok: false; error: ApiErrorBody };

/** A subscription's answer over IPC: the id its events will carry, or the error. */
export type ListenReply = { ok: true; subId: string } | { ok: false; error: ApiErrorBody };

/** A refusal. */
export function errorReply(error: ApiErrorBody): { ok: false; error: ApiErrorBody } {
  return { ok: false, error };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `raw` (from another process) as a {@link Reply}, or null when it is not one. */
export function parseReply(raw: unknown): Reply | null {
  if (!isRecord(raw)) return null;
  if (raw.ok === true && 'value' in raw) return { ok: true, value: raw.value };
  if (raw.ok === false && isApiErrorBody(raw.error)) return { ok: false, error: raw.error };
  return null;
}

/** `raw` as a {@link ListenReply}, or null when it is not one. */
export function parseListenReply(raw: unknown): ListenReply | null {
  if (!isRecord(raw)) return null;
  if (raw.ok === true && typeof raw.subId === 'string') return { ok: true, subId: raw.subId };
  if (raw.ok === false && isApiErrorBody(raw.error)) return { ok: false, error: raw.error };
  return null;
}

/** The value of reply `raw` to call `name`; its error as an {@link ApiError}; `internal` when `raw` is no reply. */
export function unwrapReply(name: string, raw: unknown, unexpected = 'unexpected answer from the lab'): unknown {
  const r = parseReply(raw);
  if (r === null) throw new ApiError('internal', `${name}: ${unexpected}`);
  if (!r.ok) throw ApiError.fromBody(r.error);
  return r.value;
}
