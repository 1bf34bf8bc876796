/**
 * The lab service's errors, and how any error thrown inside it is told to a caller: each known
 * failure keeps its own code (a missing run is `not-found`, a running run cannot be deleted:
 * `conflict`), and anything else is `internal` with its message.
 */
import type { ApiErrorBody, ApiErrorCode, ApiIssue } from '../../shared/api/errors';
import { ApiError } from '../../shared/api/errors';
import { DatasetImportError } from '../data/tgsImport';
import { SplitError } from '../data/split';
import { InvalidRunIdError, RunInputError, RunNotFoundError } from '../runs/errors';

/** A failure the service reports on purpose; the message is for the user and names what is at fault. */
export class LabError extends Error {
  override readonly name = 'LabError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly issues?: ApiIssue[],
  ) {
    super(message);
  }
}

/** The error body to answer with for anything thrown while serving a request. */
export function toApiError(e: unknown): ApiErrorBody {
  if (e instanceof LabError) return { code: e.code, message: e.message, ...(e.issues ? { issues: e.issues } : {}) };
  if (e instanceof ApiError) return e.toBody();
  if (e instanceof RunNotFoundError) return { code: 'not-found', message: e.message };
  if (e instanceof InvalidRunIdError) return { code: 'bad-request', message: e.message };
  if (e instanceof RunInputError) return { code: /stop it before deleting/.test(e.message) ? 'conflict' : 'bad-request', message: e.message };
  if (e instanceof SplitError) return { code: 'bad-request', message: e.message };
  if (e instanceof DatasetImportError) {
    const shown = e.problems.slice(0, 5).map((p) => p.message);
    const more = e.problems.length > 5 ? `; and ${e.problems.length - 5} more` : '';
    return { code: 'bad-request', message: `${e.message}${shown.length ? `: ${shown.join('; ')}${more}` : ''}` };
  }
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}
