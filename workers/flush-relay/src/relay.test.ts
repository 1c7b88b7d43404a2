import { describe, expect, it } from 'vitest';
import type { FlushPart, ProgressEntry } from '../../../core/progress.ts';
import {
  BATCH_LIMITS,
  isRejectedStatus,
  isRetryableStatus,
  partOutcomes,
  statusOutcome,
  takeBatch,
  type BatchLimits,
  type Queued,
} from './relay.ts';

const ACCOUNT = '00000000-0000-4000-8000-000000000000';
const TITLE = '11111111-1111-4111-8111-111111111111';
const entry: ProgressEntry = {
  titleId: TITLE,
  positionSeconds: 10,
  durationSeconds: 100,
  eventTime: 1,
  tie: 0,
  deviceId: 'tv',
};

let n = 0;
function queued(rows = 1, profileId = `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`): Queued {
  const part: FlushPart = {
    batchId: `b${++n}`,
    accountId: ACCOUNT,
    profileId,
    entries: Array.from({ length: rows }, () => entry),
  };
  return { part, bytes: 100 * rows };
}

const limits: BatchLimits = { maxParts: 3, maxRows: 10, maxBytes: 10_000, maxInFlight: 2 };

describe('takeBatch', () => {
  it('sends a part at once when no request is in flight', () => {
    const q = [queued()];
    expect(takeBatch(q, 0, limits)).toEqual({ batch: q, rest: [] });
  });

  it('holds parts while a request is in flight, until they fill a batch', () => {
    const q = [queued(), queued()];
    expect(takeBatch(q, 1, limits)).toBeNull();
    const full = [...q, queued(), queued()];
    expect(takeBatch(full, 1, limits)).toEqual({ batch: full.slice(0, 3), rest: full.slice(3) });
  });

  it('sends nothing while the most requests are in flight, full batch or not', () => {
    expect(takeBatch([queued(), queued(), queued(), queued()], 2, limits)).toBeNull();
  });

  it('bounds a batch by parts, rows and bytes, keeping arrival order', () => {
    const q = [queued(6), queued(3), queued(2), queued(1)];
    expect(takeBatch(q, 0, limits)).toEqual({ batch: q.slice(0, 2), rest: q.slice(2) });
    const heavy = [queued(1), queued(1)];
    heavy[0]!.bytes = 9_000;
    heavy[1]!.bytes = 2_000;
    expect(takeBatch(heavy, 0, limits)).toEqual({ batch: [heavy[0]], rest: [heavy[1]] });
  });

  it('always sends a part alone, however large', () => {
    const q = [queued(50)];
    expect(takeBatch(q, 0, limits)?.batch).toEqual(q);
  });

  it('puts a profile in a batch once: its second part waits for the next, the others go', () => {
    const first = queued();
    const again = queued(1, first.part.profileId);
    const other = queued();
    expect(takeBatch([first, again, other], 0, limits)).toEqual({ batch: [first, other], rest: [again] });
  });

  it('defaults fit the origin: its bounds on parts and entries, well under its 1 MiB body', () => {
    expect(BATCH_LIMITS.maxParts).toBe(500);
    expect(BATCH_LIMITS.maxRows).toBe(2_000);
    expect(BATCH_LIMITS.maxBytes).toBeLessThan(1024 * 1024);
  });
});

describe('outcomes', () => {
  it('retries timeouts, rate limits and server errors as "later"', () => {
    for (const status of [408, 429, 500, 502, 503, 504]) {
      expect(isRetryableStatus(status)).toBe(true);
      expect(statusOutcome(status)).toMatchObject({ ok: false, kind: 'unavailable', status });
    }
  });

  it('classifies other 4xx as rejected (a bug), not as "later"', () => {
    for (const status of [400, 401, 403, 404, 413, 422]) {
      expect(isRejectedStatus(status)).toBe(true);
      expect(isRetryableStatus(status)).toBe(false);
      expect(statusOutcome(status)).toMatchObject({ ok: false, kind: 'rejected', status });
    }
  });

  it("gives each part its own result from the origin's answer, whatever the order", () => {
    const [a, b, c] = [queued().part, queued().part, queued().part];
    const body = {
      results: [
        { batchId: c.batchId, error: 'forbidden', detail: 'other account' },
        { batchId: a.batchId, acknowledged: 1, dropped: [] },
        { batchId: b.batchId, error: 'unavailable', detail: 'The progress store is unavailable; retry later' },
      ],
    };
    expect(partOutcomes([a, b, c], body)).toEqual([
      { ok: true, acknowledged: 1, dropped: [] },
      { ok: false, kind: 'unavailable', status: 503, message: 'The progress store is unavailable; retry later' },
      { ok: false, kind: 'rejected', status: 403, message: 'other account' },
    ]);
  });

  it('acknowledges no part that a 200 does not answer, or answers with a body that is not a batch response', () => {
    const [a, b] = [queued().part, queued().part];
    const answered = partOutcomes([a, b], { results: [{ batchId: a.batchId, acknowledged: 1, dropped: [] }] });
    expect(answered[1]).toMatchObject({ ok: false, kind: 'malformed' });
    for (const body of [undefined, { acknowledged: 2, dropped: [] }, { results: 'all' }]) {
      expect(partOutcomes([a, b], body).map((o) => o.ok)).toEqual([false, false]);
    }
  });
});
