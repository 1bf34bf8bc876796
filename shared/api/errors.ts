/**
 * Errors as they cross the API: a code the UI can branch on and a message it can show as is.
 * The same shape travels over Electron IPC and over HTTP, so the renderer handles one kind of error.
 */

/** Every error code the API uses. */
export const API_ERROR_CODES = [
  /** The request does not match the channel's parameter schema, or asks for something impossible. */
  'bad-request',
  /** The run, design, dataset or channel named does not exist. */
  'not-found',
  /** The request clashes with the current state (deleting a running run, starting an invalid design). */
  'conflict',
  /** The request body is over the size limit. */
  'too-large',
  /** The request lacks the lab's token, or carries a wrong one. */
  'unauthorized',
  /** The request came from somewhere it may not (a foreign origin or host). */
  'forbidden',
  /** The lab cannot be reached (network failure, server gone). */
  'unavailable',
  /** A fault inside the lab; the message says what went wrong. */
  'internal',
  /** Only the desktop app offers this (native dialogs, the menu); browser mode types paths instead. */
  'unsupported',
] as const;

/** An error code, see {@link API_ERROR_CODES}. */
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** One field of a malformed request and what is wrong with it. */
export interface ApiIssue {
  /** Dotted path into the request, e.g. `config.batch`; empty for the request as a whole. */
  path: string;
  message: string;
}

/** The plain-data form of an error, as it is sent. */
export interface ApiErrorBody {
  code: ApiErrorCode;
  message: string;
  /** For `bad-request`: every field at fault. */
  issues?: ApiIssue[];
}

/** What a transport rejects with: the error body as an Error, so `catch` gets a stack and a message. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: ApiErrorCode;
  readonly issues: ApiIssue[] | undefined;

  constructor(code: ApiErrorCode, message: string, issues?: ApiIssue[]) {
    super(message);
    this.code = code;
    this.issues = issues;
  }

  /** The error from its sent form. */
  static fromBody(body: ApiErrorBody): ApiError {
    return new ApiError(body.code, body.message, body.issues);
  }

  /** The sendable form of this error. */
  toBody(): ApiErrorBody {
    return { code: this.code, message: this.message, ...(this.issues ? { issues: this.issues } : {}) };
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True when `v` is an error body with a known code (a check at the transport's boundary). */
export function isApiErrorBody(v: unknown): v is ApiErrorBody {
  if (!isRecord(v)) return false;
  if (typeof v.code !== 'string' || !(API_ERROR_CODES as readonly string[]).includes(v.code)) return false;
  if (typeof v.message !== 'string') return false;
  if (v.issues === undefined) return true;
  return Array.isArray(v.issues) && v.issues.every((i) => isRecord(i) && typeof i.path === 'string' && typeof i.message === 'string');
}

/** The HTTP status that goes with each code. */
export const HTTP_STATUS: Readonly<Record<ApiErrorCode, number>> = {
  'bad-request': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'too-large': 413,
  internal: 500,
  unavailable: 503,
  unsupported: 501,
};
