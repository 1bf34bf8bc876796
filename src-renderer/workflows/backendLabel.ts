/** What the app says about the training backend, from the lab's backend info and the live run. */
import type { BackendInfo } from '../../shared/api/types';
import { formatBackend } from './format';

/**
 * The backend to name: the live run's; else what a run started now would get (the lab's probe);
 * else the last run's; else that the lab is still finding out, or why it could not.
 */
export function backendLabel(info: BackendInfo | null, live: string | null): string {
  if (live) return live;
  if (info?.available) return formatBackend(info.available.backend);
  if (info?.last) return formatBackend(info.last.backend);
  if (info?.probeProblem) return 'backend: unknown (see details)';
  return 'backend: checking...';
}

/** The longer explanation for a tooltip: why faster backends were skipped, or what went wrong. */
export function backendDetails(info: BackendInfo | null): string {
  if (!info) return '';
  const parts: string[] = [];
  if (info.available) {
    parts.push(`Runs started now train on ${formatBackend(info.available.backend)}.`);
    for (const s of info.available.skipped) parts.push(`${s.name} skipped: ${s.reason}.`);
  } else if (info.probeProblem) parts.push(`The backend check failed: ${info.probeProblem}.`);
  if (info.last) parts.push(`Last run ${info.last.runId} trained on ${formatBackend(info.last.backend)}.`);
  parts.push(info.note);
  return parts.join(' ');
}
