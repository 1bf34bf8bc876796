/** The check every request passes before it reaches a handler, whichever transport carried it. */
import type { z } from 'zod';
import { CHANNELS, isChannelName, type ChannelName, type ChannelParams } from './channels';
import type { ApiErrorBody, ApiIssue } from './errors';

/** A request's parameters, checked, or the error to answer with. */
export type InputCheck<K extends ChannelName> = { ok: true; params: ChannelParams<K> } | { ok: false; error: ApiErrorBody };

function issuesOf(error: z.ZodError): ApiIssue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

/** Checks `raw` against channel `name`'s schema. Unknown fields, wrong types and bad ids are `bad-request`. */
export function checkInput<K extends ChannelName>(name: K, raw: unknown): InputCheck<K> {
  const r = CHANNELS[name].input.safeParse(raw);
  if (r.success) return { ok: true, params: r.data as ChannelParams<K> };
  const issues = issuesOf(r.error);
  const first = issues.slice(0, 3).map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  return { ok: false, error: { code: 'bad-request', message: `${name}: ${first.join('; ')}${more}`, issues } };
}

/** The channel named `name`, or a `not-found` error for a name that is not in the table. */
export function channelOf(name: string): { ok: true; name: ChannelName } | { ok: false; error: ApiErrorBody } {
  if (isChannelName(name)) return { ok: true, name };
  return { ok: false, error: { code: 'not-found', message: `there is no API channel ${JSON.stringify(name.slice(0, 100))}` } };
}
