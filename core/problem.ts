/**
 * One HTTP error type for edge and origin, and its RFC 9457 `application/problem+json` form.
 * Codes are stable strings that clients may switch on; the README lists them.
 */

import type { ActiveStream } from './streams.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Stable problem codes, with the HTTP status and title each one answers with. */
export const PROBLEMS = {
  malformed_json: { status: 400, title: 'Request body is not valid JSON' },
  validation_failed: { status: 400, title: 'Request failed validation' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  payload_too_large: { status: 413, title: 'Request body too large' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  invalid_token: { status: 401, title: 'Token is invalid' },
  token_expired: { status: 401, title: 'Token has expired' },
  session_revoked: { status: 401, title: 'Session was signed out' },
  invalid_refresh_token: { status: 401, title: 'Refresh token is invalid or expired' },
  invalid_credentials: { status: 401, title: 'Email or password is wrong' },
  forbidden: { status: 403, title: 'Not allowed' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflicts with the current state' },
  too_many_streams: { status: 409, title: 'Too many people are using your account right now' },
  stream_ended: { status: 409, title: 'This stream was stopped from another device' },
  precondition_failed: { status: 412, title: 'Precondition failed' },
  unprocessable: { status: 422, title: 'Request breaks a rule' },
  not_playable: { status: 422, title: 'This device cannot play this title' },
  upgrade_required: { status: 426, title: 'Upgrade required' },
  rate_limited: { status: 429, title: 'Too many requests' },
  origin_unavailable: { status: 502, title: 'Origin is unavailable' },
  unavailable: { status: 503, title: 'Service unavailable' },
  internal: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

/** One field-level complaint inside a validation problem. */
export interface FieldError {
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ProblemCode;
  detail: string;
  instance?: string;
  errors?: FieldError[];
  /** The account's active streams, with `too_many_streams`. */
  streams?: ActiveStream[];
  requestId?: string;
}

/** The problem `type` URI for a code. */
export function problemType(code: ProblemCode): string {
  return `urn:edgeflix:problem:${code}`;
}

/** Thrown anywhere in a request; turned into a problem+json response in one place. */
export class HttpError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;
  readonly streams: ActiveStream[] | undefined;

  constructor(
    code: ProblemCode,
    detail: string,
    options: {
      errors?: FieldError[];
      headers?: Record<string, string>;
      cause?: unknown;
      streams?: ActiveStream[];
    } = {},
  ) {
    super(detail, { cause: options.cause });
    this.name = 'HttpError';
    this.code = code;
    this.status = PROBLEMS[code].status;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
    this.streams = options.streams;
  }

  toProblem(instance?: string, requestId?: string): Problem {
    const problem: Problem = {
      type: problemType(this.code),
      title: PROBLEMS[this.code].title,
      status: this.status,
      code: this.code,
      detail: this.message,
    };
    if (instance !== undefined) problem.instance = instance;
    if (this.errors !== undefined) problem.errors = this.errors;
    if (this.streams !== undefined) problem.streams = this.streams;
    if (requestId !== undefined) problem.requestId = requestId;
    return problem;
  }
}

/** A problem+json Response for an error (unknown errors become an opaque 500). */
export function problemResponse(err: unknown, options: { instance?: string; requestId?: string } = {}): Response {
  const httpError =
    err instanceof HttpError ? err : new HttpError('internal', 'The server failed to handle the request');
  const headers = new Headers(httpError.headers);
  headers.set('content-type', PROBLEM_CONTENT_TYPE);
  if (options.requestId !== undefined) headers.set('x-request-id', options.requestId);
  return new Response(JSON.stringify(httpError.toProblem(options.instance, options.requestId)), {
    status: httpError.status,
    headers,
  });
}
