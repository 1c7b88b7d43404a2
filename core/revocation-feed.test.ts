import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FeedUnavailableError,
  REVOCATION_FEED_MEMORY_MS,
  RevocationLog,
  RevocationView,
  type FeedPage,
  type Revocation,
} from './revocation-feed.ts';
import { PROFILE_TOKEN_TTL_S } from './tokens.ts';

const T0 = Date.parse('2026-12-01T00:00:00Z');
const rev = (sessionId: string, revokedAt = T0): Revocation => ({ sessionId, accountId: 'acct', revokedAt });

/** Every page from `seq` until `more` is unset, as a view reads them. */
function readAll(log: RevocationLog, seq: number, limit?: number): { ids: string[]; seq: number; reload: boolean } {
  const ids: string[] = [];
  let reload = false;
  for (;;) {
    const page = log.since(seq, limit);
    reload ||= page.reload;
    ids.push(...page.entries.map((e) => e.sessionId));
    seq = page.seq;
    if (!page.more) return { ids, seq, reload };
  }
}

describe('RevocationLog', () => {
  it('keeps an entry until the longest token lifetime plus the clock tolerance has passed', () => {
    expect(REVOCATION_FEED_MEMORY_MS).toBeGreaterThan(PROFILE_TOKEN_TTL_S * 1000);
    const log = new RevocationLog();
    const [entry] = log.append([rev('s1')], T0);
    expect(entry).toMatchObject({ seq: 1, until: T0 + REVOCATION_FEED_MEMORY_MS });
    expect(log.prune(entry!.until - 1)).toEqual([]);
    expect(log.prune(entry!.until)).toEqual([1]);
    expect(log.size).toBe(0);
  });

  it('never keeps an entry longer because the writer’s clock runs ahead', () => {
    const [entry] = new RevocationLog().append([rev('s1', T0 + 3_600_000)], T0);
    expect(entry!.until).toBe(T0 + REVOCATION_FEED_MEMORY_MS);
  });

  it('refuses an append of more revocations than one call may carry', () => {
    expect(() =>
      new RevocationLog().append(
        Array.from({ length: 257 }, (_, i) => rev(`s${i}`)),
        T0,
      ),
    ).toThrow(RangeError);
  });

  it('tells a reader older than the pruned horizon, or ahead of the log, to reload every live entry', () => {
    const log = new RevocationLog();
    log.append([rev('old', T0)], T0);
    log.append([rev('new', T0 + 60_000)], T0 + 60_000);
    log.prune(T0 + REVOCATION_FEED_MEMORY_MS);
    expect(log.meta).toEqual({ seq: 2, horizon: 1 });
    expect(log.since(0)).toMatchObject({ reload: true, seq: 2, entries: [{ sessionId: 'new' }] });
    expect(log.since(1)).toMatchObject({ reload: false, seq: 2, entries: [{ sessionId: 'new' }] });
    expect(log.since(2)).toMatchObject({ reload: false, seq: 2, entries: [] });
    expect(log.since(9)).toMatchObject({ reload: true, seq: 2, entries: [{ sessionId: 'new' }] });
  });

  it('restored from its stored entries and meta, answers what it answered before', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5 * 3_600_000 }), { maxLength: 40 }),
        fc.nat(50),
        (offsets, at) => {
          const log = new RevocationLog();
          offsets.forEach((o, i) => log.append([rev(`s${i}`, T0 + o)], T0 + o));
          log.prune(T0 + 3 * 3_600_000);
          const kept = readAll(log, 0).ids;
          const restored = new RevocationLog(
            kept.map((id) => log.since(0).entries.find((e) => e.sessionId === id)!),
            log.meta,
          );
          expect(restored.since(at)).toEqual(log.since(at));
          expect(restored.append([rev('next')], T0).at(0)!.seq).toBe(log.meta.seq + 1);
        },
      ),
    );
  });

  it('a reader that follows pages of any size ends with every live entry, once, in seq order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 0, max: 40 }),
        (batches, limit, pruneAfter) => {
          const log = new RevocationLog();
          const view: string[] = [];
          let seq = 0;
          let n = 0;
          batches.forEach((size, b) => {
            const at = T0 + b * 60_000;
            log.append(
              Array.from({ length: size }, () => rev(`s${n++}`, at)),
              at,
            );
            if (b === pruneAfter) log.prune(at + REVOCATION_FEED_MEMORY_MS - 60_000 * 2);
            const read = readAll(log, seq, limit);
            view.push(...read.ids);
            seq = read.seq;
          });
          const live = readAll(log, 0).ids;
          expect(seq).toBe(log.meta.seq);
          // The reader saw each live entry once (it never needed a reload: it kept up).
          expect(view.filter((id) => live.includes(id))).toEqual(live);
          expect(new Set(view).size).toBe(view.length);
        },
      ),
    );
  });
});

/** A feed whose answers the test controls, and a clock it moves. */
function harness() {
  const log = new RevocationLog();
  const clock = { now: T0 };
  const calls = { n: 0 };
  let failing = false;
  const fetchPage = async (seq: number): Promise<FeedPage> => {
    calls.n += 1;
    await Promise.resolve();
    if (failing) throw new Error('feed unreachable');
    return log.since(seq, 3);
  };
  const view = new RevocationView({ fetchPage, maxAgeMs: 1_000, staleLimitMs: 30_000, now: () => clock.now });
  return {
    log,
    clock,
    calls,
    view,
    fail: (on: boolean) => {
      failing = on;
    },
  };
}

describe('RevocationView', () => {
  it('looks up in memory while the view is younger than the max age, then refreshes once for everyone waiting', async () => {
    const h = harness();
    expect(await h.view.isRevoked('s1')).toBe(false);
    expect(h.calls.n).toBe(1);
    h.log.append([rev('s1')], T0);
    h.clock.now += 1_000;
    expect(await h.view.isRevoked('s1')).toBe(false);
    expect(h.calls.n).toBe(1);
    h.clock.now += 1;
    const answers = await Promise.all([h.view.isRevoked('s1'), h.view.isRevoked('s1'), h.view.isRevoked('s2')]);
    expect(answers).toEqual([true, true, false]);
    expect(h.calls.n).toBe(1 + 1);
  });

  it('follows every page of a long log before it calls itself fresh', async () => {
    const h = harness();
    h.log.append(
      Array.from({ length: 10 }, (_, i) => rev(`s${i}`)),
      T0,
    );
    expect(await h.view.isRevoked('s9')).toBe(true);
    expect(h.view.state).toMatchObject({ seq: 10, size: 10, fetchedAt: T0 });
  });

  it('reloads after the feed pruned past its seq, keeping nothing expired', async () => {
    const h = harness();
    h.log.append([rev('a')], T0);
    expect(await h.view.isRevoked('a')).toBe(true);
    h.clock.now = T0 + 60_000;
    h.log.append([rev('b', h.clock.now), rev('c', h.clock.now)], h.clock.now);
    h.log.prune(T0 + REVOCATION_FEED_MEMORY_MS);
    h.log.append([rev('d', T0 + 120_000)], T0 + 120_000);
    // The view is at seq 1, the horizon is 1: still a prefix. Prune b and c too, then it is not.
    h.log.prune(T0 + 60_000 + REVOCATION_FEED_MEMORY_MS);
    expect(h.log.since(1).reload).toBe(true);
    h.clock.now = T0 + REVOCATION_FEED_MEMORY_MS + 60_000 - 1;
    expect(await h.view.isRevoked('d')).toBe(true);
    expect(await h.view.isRevoked('a')).toBe(false);
    expect(h.view.state).toMatchObject({ seq: 4, size: 1 });
  });

  it('serves its last view for up to the stale limit while the feed is unreachable, then fails closed', async () => {
    const h = harness();
    h.log.append([rev('s1')], T0);
    expect(await h.view.isRevoked('s1')).toBe(true);
    h.fail(true);
    h.clock.now = T0 + 30_000;
    expect(await h.view.isRevoked('s1')).toBe(true);
    expect(await h.view.isRevoked('s2')).toBe(false);
    h.clock.now = T0 + 30_001;
    await expect(h.view.isRevoked('s2')).rejects.toBeInstanceOf(FeedUnavailableError);
    h.fail(false);
    h.clock.now += 1_001;
    expect(await h.view.isRevoked('s2')).toBe(false);
  });

  it('fails closed before it ever reached the feed', async () => {
    const h = harness();
    h.fail(true);
    await expect(h.view.isRevoked('s1')).rejects.toBeInstanceOf(FeedUnavailableError);
  });

  it('asks an unreachable feed at most once per max age, not once per request', async () => {
    const h = harness();
    await h.view.isRevoked('s1');
    h.fail(true);
    h.clock.now += 1_001;
    await h.view.isRevoked('s1');
    await h.view.isRevoked('s1');
    h.clock.now += 500;
    await h.view.isRevoked('s1');
    expect(h.calls.n).toBe(2);
    h.clock.now += 501;
    await h.view.isRevoked('s1');
    expect(h.calls.n).toBe(3);
  });

  it('refuses a revocation its own isolate relayed before the feed hands it back', async () => {
    const h = harness();
    await h.view.isRevoked('x');
    h.view.add(['s1'], T0 + REVOCATION_FEED_MEMORY_MS);
    expect(await h.view.isRevoked('s1')).toBe(true);
  });
});
