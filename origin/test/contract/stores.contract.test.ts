import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '../../src/stores/names.ts';
import { episodeKey, type EventMessage, type ProgressRecord, type Stores } from '../../src/stores/types.ts';
import { IMPLEMENTATIONS, storesFor } from './harness.ts';

function record(overrides: Partial<ProgressRecord> = {}): ProgressRecord {
  return {
    profileId: randomUUID(),
    titleId: randomUUID(),
    seriesId: null,
    contentType: 'movie',
    positionSeconds: 120,
    durationSeconds: 5400,
    completed: false,
    deviceId: 'device-a',
    lastWatchedAt: new Date('2026-11-01T10:00:00.000Z'),
    tie: 0,
    ...overrides,
  };
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(IMPLEMENTATIONS)('%s stores', (impl) => {
  let stores: Stores;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ stores, dispose } = await storesFor(impl, `contract_${impl}`));
  }, 180_000);
  afterAll(async () => dispose?.());

  describe('accounts', () => {
    it('finds an account by email whatever its case and surrounding spaces', async () => {
      const account = await stores.accounts.findAccountByEmail('  DEMO@edgeflix.test ');
      expect(account?.email).toBe('demo@edgeflix.test');
      expect(await stores.accounts.findAccountByEmail('nobody@edgeflix.test')).toBeNull();
    });

    it('reaches a profile only through its own account', async () => {
      const demo = (await stores.accounts.findAccountByEmail('demo@edgeflix.test'))!;
      const family = (await stores.accounts.findAccountByEmail('family@edgeflix.test'))!;
      const [familyProfile] = await stores.accounts.listProfiles(family.id);
      expect(await stores.accounts.getProfile(family.id, familyProfile!.id)).toMatchObject({ id: familyProfile!.id });
      expect(await stores.accounts.getProfile(demo.id, familyProfile!.id)).toBeNull();
    });
  });

  describe('progress', () => {
    it('returns every field it stored', async () => {
      const r = record({ seriesId: randomUUID(), contentType: 'episode', positionSeconds: 61.5, completed: true });
      await stores.progress.upsert([r]);
      expect(await stores.progress.get(r.profileId, r.titleId)).toEqual(r);
    });

    it('keeps one row per (profile, title) however often it is written', async () => {
      const base = record();
      const writes = Array.from({ length: 10 }, (_, i) =>
        record({ ...base, positionSeconds: i * 10, lastWatchedAt: new Date(base.lastWatchedAt.getTime() + i * 1000) }),
      );
      for (const w of writes) await stores.progress.upsert([w]);
      const all = await stores.progress.listForProfile(base.profileId);
      expect(all).toHaveLength(1);
      expect(all[0]!.positionSeconds).toBe(90);
    });

    it('keeps the write with the latest event time, in whatever order and batching writes arrive', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.integer({ min: 0, max: 10_000_000 }), { minLength: 1, maxLength: 8 }),
          fc.integer({ min: 1, max: 4 }),
          async (offsets, batchSize) => {
            const base = record();
            const writes = offsets.map((ms, i) =>
              record({ ...base, positionSeconds: i, lastWatchedAt: new Date(base.lastWatchedAt.getTime() + ms) }),
            );
            for (let i = 0; i < writes.length; i += batchSize)
              await stores.progress.upsert(writes.slice(i, i + batchSize));
            const latest = writes.reduce((a, b) => (b.lastWatchedAt > a.lastWatchedAt ? b : a));
            expect(await stores.progress.get(base.profileId, base.titleId)).toEqual(latest);
          },
        ),
        { numRuns: 12 },
      );
    });

    it("writes many profiles' groups in one call, each answered and stored as upsert would store it", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 40 }),
          fc.integer({ min: 1, max: 300 }),
          async (sizes, deviceChars) => {
            // Groups of several sizes (an empty one among them) and long device ids: the store
            // packs them into requests by replicas, partitions and bytes.
            const groups = sizes.map((n) => {
              const profileId = randomUUID();
              return Array.from({ length: n }, (_, i) =>
                record({ profileId, positionSeconds: i, deviceId: 'd'.repeat(deviceChars) }),
              );
            });
            const outcomes = await stores.progress.upsertEach(groups);
            expect(outcomes.map((o) => o.status)).toEqual(groups.map(() => 'fulfilled'));
            for (const group of groups) {
              if (group.length === 0) continue;
              const stored = await stores.progress.listForProfile(group[0]!.profileId);
              expect(stored.sort((a, b) => a.positionSeconds - b.positionSeconds)).toEqual(group);
            }
          },
        ),
        { numRuns: 6 },
      );
    });

    it("lists a profile's titles most recently watched first, and no other profile's", async () => {
      const profileId = randomUUID();
      const t0 = Date.parse('2026-11-02T00:00:00Z');
      const rows = [3, 1, 2].map((h) => record({ profileId, lastWatchedAt: new Date(t0 + h * 3600_000) }));
      await stores.progress.upsert([...rows, record()]);
      const listed = await stores.progress.listForProfile(profileId);
      expect(listed.map((r) => r.lastWatchedAt.getTime())).toEqual([3, 2, 1].map((h) => t0 + h * 3600_000));
    });
  });

  describe('continue-watching hides and history', () => {
    it('remembers when an item was hidden, keeping the latest time', async () => {
      const profileId = randomUUID();
      const item = randomUUID();
      await stores.progress.hide(profileId, item, new Date('2026-11-01T12:00:00Z'));
      await stores.progress.hide(profileId, item, new Date('2026-11-01T13:00:00Z'));
      expect(await stores.progress.hiddenItems(profileId)).toEqual(new Map([[item, new Date('2026-11-01T13:00:00Z')]]));
    });

    it('reads progress and hidden items in one call, as listForProfile and hiddenItems answer them', async () => {
      const profileId = randomUUID();
      const seriesId = randomUUID();
      const watched = [1, 2].map((h) => record({ profileId, lastWatchedAt: new Date(Date.UTC(2026, 10, 1, h)) }));
      await stores.progress.upsert(watched);
      await stores.progress.hide(profileId, watched[0]!.titleId, new Date('2026-11-01T12:00:00Z'));
      // A series has no progress of its own: hiding it adds no title to the profile's progress.
      await stores.progress.hide(profileId, seriesId, new Date('2026-11-01T13:00:00Z'));
      const both = await stores.progress.listWithHidden(profileId);
      expect(both).toEqual({
        records: await stores.progress.listForProfile(profileId),
        hidden: await stores.progress.hiddenItems(profileId),
      });
      expect(both.records.map((r) => r.titleId)).toEqual([watched[1]!.titleId, watched[0]!.titleId]);
      expect(both.hidden).toEqual(
        new Map([
          [watched[0]!.titleId, new Date('2026-11-01T12:00:00Z')],
          [seriesId, new Date('2026-11-01T13:00:00Z')],
        ]),
      );
      expect(await stores.progress.get(profileId, seriesId)).toBeNull();
    });

    it('keeps an item hidden when its progress is written again, and a profile with neither reads empty', async () => {
      const profileId = randomUUID();
      const r = record({ profileId });
      await stores.progress.hide(profileId, r.titleId, new Date('2026-11-01T12:00:00Z'));
      expect(await stores.progress.listWithHidden(profileId)).toEqual({
        records: [],
        hidden: new Map([[r.titleId, new Date('2026-11-01T12:00:00Z')]]),
      });
      await stores.progress.upsert([r]);
      expect(await stores.progress.listWithHidden(profileId)).toEqual({
        records: [r],
        hidden: new Map([[r.titleId, new Date('2026-11-01T12:00:00Z')]]),
      });
      expect(await stores.progress.listWithHidden(randomUUID())).toEqual({ records: [], hidden: new Map() });
    });

    it('keeps one history entry per completion time and pages newest first', async () => {
      const profileId = randomUUID();
      const base = Date.parse('2026-10-01T00:00:00Z');
      const entries = Array.from({ length: 5 }, (_, i) => ({
        profileId,
        titleId: randomUUID(),
        seriesId: null,
        contentType: 'movie' as const,
        watchedAt: new Date(base + i * 60_000),
      }));
      await stores.progress.recordHistory(entries);
      await stores.progress.recordHistory(entries.slice(0, 2));
      const seen: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await stores.progress.listHistory(profileId, { limit: 2, cursor });
        seen.push(...page.items.map((h) => h.watchedAt.getTime()));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual(entries.map((e) => e.watchedAt.getTime()).reverse());
    });

    it('refuses a cursor it did not issue', async () => {
      await expect(stores.progress.listHistory(randomUUID(), { limit: 2, cursor: 'zz' })).rejects.toBeInstanceOf(
        RangeError,
      );
    });

    it('refuses well-formed hex that is no cursor of its own as bad input, not as a store failure', async () => {
      for (const cursor of ['00', 'deadbeef']) {
        await expect(stores.progress.listHistory(randomUUID(), { limit: 2, cursor })).rejects.toBeInstanceOf(
          RangeError,
        );
      }
    });
  });

  describe('events', () => {
    const run = randomUUID();
    const msg = (i: number, key = `profile-${run}`): EventMessage => ({
      id: `${run}-${i}`,
      key,
      value: { run, i, type: 'progress_update' },
    });

    it('delivers published events to a new group with id, key and value, in order per key', async () => {
      const seen: EventMessage[] = [];
      const sub = await stores.events.subscribe(`contract-${run}-a`, TOPICS.viewingEvents, async (e) => {
        if (e.value['run'] === run) seen.push({ id: e.id, key: e.key, value: e.value });
      });
      try {
        await stores.events.publish(TOPICS.viewingEvents, [msg(1), msg(2), msg(3)]);
        await waitFor('three events', () => (seen.length >= 3 ? seen : undefined));
        expect(seen.slice(0, 3)).toEqual([msg(1), msg(2), msg(3)]);
      } finally {
        await sub.stop();
      }
    });

    it('redelivers an event whose handler failed (at least once)', async () => {
      const marker = `${run}-retry`;
      let attempts = 0;
      let delivered = false;
      const sub = await stores.events.subscribe(`contract-${run}-b`, TOPICS.viewingEvents, async (e) => {
        if (e.id !== marker) return;
        attempts += 1;
        if (attempts === 1) throw new Error('handler failed once');
        delivered = true;
      });
      try {
        await stores.events.publish(TOPICS.viewingEvents, [{ id: marker, key: `k-${run}`, value: { run } }]);
        await waitFor('redelivery', () => (delivered ? true : undefined), 60_000);
        expect(attempts).toBeGreaterThanOrEqual(2);
      } finally {
        await sub.stop();
      }
    });
  });

  describe('catalog', () => {
    it('finds the episode after each of several, none after the last, in one call', async () => {
      const { items } = await stores.catalog.listTitles({ type: 'series', maxMaturityLevel: 1000, limit: 50 });
      const details = await Promise.all(items.map((s) => stores.catalog.titleDetail(s.id)));
      const episodes = details.flatMap((d) =>
        (d?.seasons ?? []).flatMap((season) =>
          season.episodes.map((e) => ({
            id: e.id,
            ref: { seriesId: d!.id, seasonNumber: season.seasonNumber, episodeNumber: e.episodeNumber },
          })),
        ),
      );
      const seriesIds = new Set(episodes.map((e) => e.ref.seriesId));
      expect(seriesIds.size).toBeGreaterThan(1);
      // Episodes come in series order: each one's next is the following entry of the same series.
      const expected = new Map(
        episodes.flatMap((e, i) => {
          const after = episodes[i + 1];
          return after && after.ref.seriesId === e.ref.seriesId ? [[episodeKey(e.ref), after.id]] : [];
        }),
      );
      const refs = [...episodes.map((e) => e.ref), episodes[0]!.ref];
      const next = await stores.catalog.nextEpisodes(refs);
      expect(new Map([...next].map(([k, v]) => [k, v.id]))).toEqual(expected);
      expect(await stores.catalog.nextEpisodes([])).toEqual(new Map());
    });
  });

  it('reports itself ready', async () => {
    const checks = await stores.readiness();
    expect(Object.values(checks).every((c) => c.ok)).toBe(true);
  });
});
