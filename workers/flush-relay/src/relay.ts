/**
 * The flush relay's rules, apart from I/O: which queued parts go in the next origin request, and
 * what the origin's answer means for each part.
 *
 * Batching works like a group commit: with no request in flight a part goes at once (no added
 * latency when idle); while requests are in flight, parts queue and go together in the next one,
 * which leaves when a request comes back, or at once when the queue fills a whole batch and fewer
 * than `maxInFlight` are out. A batch carries each profile at most once (the origin refuses two
 * parts of one profile); a profile's second part waits for the next batch.
 */
import {
  FlushBatchResponse,
  MAX_BATCH_ENTRIES,
  MAX_BATCH_PARTS,
  type FlushPart,
  type FlushPartResult,
} from '../../../core/progress.ts';
import type { RelayOutcome } from './rpc.ts';

export interface BatchLimits {
  maxParts: number;
  maxRows: number;
  /** Body bytes of one batch (the origin takes at most 1 MiB). */
  maxBytes: number;
  /** Origin requests in flight at once. */
  maxInFlight: number;
}

export const BATCH_LIMITS: BatchLimits = {
  maxParts: MAX_BATCH_PARTS,
  maxRows: MAX_BATCH_ENTRIES,
  maxBytes: 768 * 1024,
  maxInFlight: 4,
};

/** A part waiting to be sent: its profile, rows and serialized size. */
export interface Queued {
  part: FlushPart;
  bytes: number;
}

/**
 * The parts to send now and the ones left queued, or null to wait for a request in flight. Order
 * is kept (first come, first sent) except for a profile's later part that must wait its turn.
 */
export function takeBatch<T extends Queued>(
  queue: readonly T[],
  inFlight: number,
  limits: BatchLimits,
): { batch: T[]; rest: T[] } | null {
  if (queue.length === 0 || inFlight >= limits.maxInFlight) return null;
  const batch: T[] = [];
  const rest: T[] = [];
  const profiles = new Set<string>();
  let rows = 0;
  let bytes = 0;
  let full = false;
  for (const queued of queue) {
    const fits =
      batch.length === 0 ||
      (batch.length < limits.maxParts &&
        rows + queued.part.entries.length <= limits.maxRows &&
        bytes + queued.bytes <= limits.maxBytes);
    if (full || !fits) {
      full = true;
      rest.push(queued);
    } else if (profiles.has(queued.part.profileId)) {
      rest.push(queued);
    } else {
      batch.push(queued);
      profiles.add(queued.part.profileId);
      rows += queued.part.entries.length;
      bytes += queued.bytes;
    }
  }
  full ||= batch.length >= limits.maxParts;
  if (inFlight > 0 && !full) return null;
  return { batch, rest };
}

/** Statuses that say "not now" (the origin is overloaded, restarting, or a store is down). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Statuses that say "this request is wrong": a bug on our side; logged loudly, retried all the same. */
export function isRejectedStatus(status: number): boolean {
  return status >= 400 && status < 500 && !isRetryableStatus(status);
}

/** Every part's outcome when the whole request failed with `status`. */
export function statusOutcome(status: number): RelayOutcome {
  const kind = isRejectedStatus(status) ? 'rejected' : 'unavailable';
  return { ok: false, kind, status, message: `The origin answered ${status}` };
}

/** Each part's outcome from a 200 answer's body (parsed JSON), in the order of `parts`. */
export function partOutcomes(parts: readonly FlushPart[], body: unknown): RelayOutcome[] {
  const parsed = FlushBatchResponse.safeParse(body);
  const byBatch = new Map<string, FlushPartResult>();
  if (parsed.success) for (const result of parsed.data.results) byBatch.set(result.batchId, result);
  return parts.map((part): RelayOutcome => {
    const result = byBatch.get(part.batchId);
    if (!result) {
      return { ok: false, kind: 'malformed', status: 200, message: 'The origin answered 200 without this part' };
    }
    if ('error' in result) {
      return result.error === 'forbidden'
        ? { ok: false, kind: 'rejected', status: 403, message: result.detail }
        : { ok: false, kind: 'unavailable', status: 503, message: result.detail };
    }
    return { ok: true, acknowledged: result.acknowledged, dropped: result.dropped };
  });
}
