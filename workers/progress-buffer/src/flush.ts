/** One flush request to the origin, with its failures sorted into what the buffer does next. */
import { FlushResponse, type FlushRequest, type ProgressEntry } from '../../../core/progress.ts';
import { HttpError } from '../../../core/problem.ts';
import type { Identity } from '../../../core/tokens.ts';
import { originFetch, type OriginBindings } from '../../shared/origin-client.ts';
import { isRejectedStatus } from './retry.ts';

export const FLUSH_PATH = '/internal/v1/progress/flush';
/** A flush writes up to 500 rows and publishes as many events: more time than an interactive call. */
export const FLUSH_TIMEOUT_MS = 15_000;

/**
 * Why a flush did not go through. `unreachable`: no answer in time; `unavailable`: the origin said
 * try later (5xx, 408, 429); `rejected`: any other 4xx, a bug on one side; `malformed`: a 200 whose
 * body is not a FlushResponse. All of them are retried: the buffer never drops unflushed progress.
 */
export class FlushError extends Error {
  readonly kind: 'unreachable' | 'unavailable' | 'rejected' | 'malformed';
  readonly status: number | undefined;

  constructor(kind: FlushError['kind'], message: string, status?: number) {
    super(message);
    this.name = 'FlushError';
    this.kind = kind;
    this.status = status;
  }
}

type OriginEnv = OriginBindings;

/** Sends one batch; resolves with the origin's acknowledgement or throws a `FlushError`. */
export async function sendFlush(
  env: OriginEnv,
  owner: Identity,
  entries: ProgressEntry[],
  batchId: string,
): Promise<FlushResponse> {
  const body: FlushRequest = { batchId, entries };
  let response: Response;
  try {
    response = await originFetch(env, {
      method: 'POST',
      path: FLUSH_PATH,
      body,
      caller: owner,
      requestId: batchId,
      timeoutMs: FLUSH_TIMEOUT_MS,
      // The buffer has its own capped, jittered backoff; it is the probe, not the traffic.
      breaker: false,
    });
  } catch (err) {
    if (err instanceof HttpError) throw new FlushError('unreachable', 'The origin did not answer in time');
    throw err;
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    const kind = isRejectedStatus(response.status) ? 'rejected' : 'unavailable';
    throw new FlushError(kind, `The origin answered ${response.status}`, response.status);
  }
  let text: string;
  try {
    text = await response.text();
  } catch {
    throw new FlushError('unreachable', 'The origin broke off its answer');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new FlushError('malformed', 'The origin answered 200 with a body that is not JSON', 200);
  }
  const parsed = FlushResponse.safeParse(json);
  if (!parsed.success) throw new FlushError('malformed', 'The origin answered 200 without a FlushResponse', 200);
  return parsed.data;
}
