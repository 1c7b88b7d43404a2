import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEntry } from '../../core/progress.ts';
import { handleViewingEvent } from '../src/consumers/completions.ts';
import { silentLogger } from '../src/log.ts';
import { TOPICS } from '../src/stores/names.ts';
import { asEdge } from './support/as-edge.ts';
import type { FixtureTitles } from './support/fixtures.ts';
import type { TestKeys } from './support/keys.ts';
import { realTestOrigin, type TestOrigin } from './support/origin.ts';

let keys: TestKeys;
let origin: TestOrigin;
let t: FixtureTitles;
const cleanup: (() => Promise<void>)[] = [];
const account = randomUUID();

beforeAll(async () => {
  const real = await realTestOrigin('progress');
  ({ origin, keys, titles: t } = real);
  cleanup.push(() => real.stop());
});

afterAll(async () => {
  for (const step of cleanup) await step();
});

const T0 = Date.now() - 3600_000;

function entry(
  titleId: string,
  positionSeconds: number,
  durationSeconds: number,
  eventTime: number,
  tie = 0,
): ProgressEntry {
  return { titleId, positionSeconds, durationSeconds, eventTime, tie, deviceId: 'tv-1' };
}

/** Calls the origin as the progress buffer / edge does for one profile (adult maturity unless given). */
function asProfile(profileId: string, mat = 50) {
  return (call: Omit<Parameters<typeof asEdge>[2], 'sub' | 'pid'>) =>
    asEdge(origin, keys.serviceSecret, { ...call, sub: account, pid: profileId, mat });
}

async function flush(profileId: string, entries: ProgressEntry[]) {
  const res = await asProfile(profileId)({
    method: 'POST',
    path: '/internal/v1/progress/flush',
    body: { batchId: randomUUID(), entries },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { acknowledged: number; dropped: string[] };
}

async function continueWatching(profileId: string, mat = 50, pending: ProgressEntry[] = []) {
  const res = await asProfile(
    profileId,
    mat,
  )({
    method: 'POST',
    path: '/internal/v1/continue-watching',
    body: { limit: 20, pending },
  });
  expect(res.status).toBe(200);
  return (
    (await res.json()) as {
      items: {
        contentId: string;
        seriesId: string | null;
        episodeInfo: string | null;
        progressPercent: number;
        resumePosition: number;
      }[];
    }
  ).items;
}

describe('flush', () => {
  it('writes each entry once per (profile, title) with content type, series and completion', async () => {
    const p = randomUUID();
    const ack = await flush(p, [entry(t.movie, 600, 6000, T0), entry(t.episodes[0], 1450, 1500, T0 + 1)]);
    expect(ack).toEqual({ acknowledged: 2, dropped: [] });
    const rows = await origin.deps.stores.progress.listForProfile(p);
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.titleId === t.movie)).toMatchObject({
      contentType: 'movie',
      seriesId: null,
      completed: false,
    });
    expect(rows.find((r) => r.titleId === t.episodes[0])).toMatchObject({
      contentType: 'episode',
      seriesId: t.series,
      completed: true,
    });
  });

  it('judges completion on the catalog duration, not the one the flush declares, and clamps the position', async () => {
    const p = randomUUID();
    const other = randomUUID();
    await flush(p, [entry(t.movie, 1, 1, T0)]);
    await flush(other, [entry(t.movie, 90_000, 90_000, T0)]);
    expect(await origin.deps.stores.progress.get(p, t.movie)).toMatchObject({
      positionSeconds: 1,
      durationSeconds: 6000,
      completed: false,
    });
    expect(await origin.deps.stores.progress.get(other, t.movie)).toMatchObject({
      positionSeconds: 6000,
      durationSeconds: 6000,
    });
  });

  it('drops unknown titles and series ids but acknowledges the rest', async () => {
    const unknown = randomUUID();
    const ack = await flush(randomUUID(), [
      entry(t.movie, 1, 6000, T0),
      entry(unknown, 1, 10, T0),
      entry(t.series, 1, 10, T0),
    ]);
    expect(ack.acknowledged).toBe(1);
    expect(ack.dropped.sort()).toEqual([unknown, t.series].sort());
  });

  it('never moves a position backwards when an older batch arrives late or is replayed', async () => {
    const p = randomUUID();
    await flush(p, [entry(t.movie, 900, 6000, T0 + 9000)]);
    await flush(p, [entry(t.movie, 300, 6000, T0 + 3000)]);
    await flush(p, [entry(t.movie, 900, 6000, T0 + 9000)]);
    expect((await origin.deps.stores.progress.get(p, t.movie))?.positionSeconds).toBe(900);
  });

  it('orders equal event times by the tie counter', async () => {
    const p = randomUUID();
    await flush(p, [{ ...entry(t.movie, 500, 6000, T0), tie: 1, deviceId: 'phone' }]);
    await flush(p, [{ ...entry(t.movie, 400, 6000, T0), tie: 0 }]);
    expect(await origin.deps.stores.progress.get(p, t.movie)).toMatchObject({
      positionSeconds: 500,
      deviceId: 'phone',
    });
  });

  it('clamps an event time far in the future to now, so one bad clock cannot freeze the row', async () => {
    const p = randomUUID();
    await flush(p, [entry(t.movie, 700, 6000, Date.now() + 7 * 24 * 3600_000)]);
    const stored = await origin.deps.stores.progress.get(p, t.movie);
    expect(Math.abs(stored!.lastWatchedAt.getTime() - Date.now())).toBeLessThan(60_000);
    await flush(p, [entry(t.movie, 800, 6000, Date.now() + 1000)]);
    expect((await origin.deps.stores.progress.get(p, t.movie))?.positionSeconds).toBe(800);
  });

  it('publishes one viewing event per entry, keyed by profile, with an id stable across retries', async () => {
    const p = randomUUID();
    const seen: { id: string; key: string }[] = [];
    const sub = await origin.deps.stores.events.subscribe(`test-flush-${p}`, TOPICS.viewingEvents, async (e) => {
      if (e.value['profileId'] === p) seen.push({ id: e.id, key: e.key });
    });
    try {
      const batch = [entry(t.movie, 100, 6000, T0)];
      await flush(p, batch);
      await flush(p, batch);
      const deadline = Date.now() + 30_000;
      while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(seen).toHaveLength(2);
      expect(seen[0]).toEqual(seen[1]);
      expect(seen[0]!.key).toBe(p);
    } finally {
      await sub.stop();
    }
  });

  it('refuses a credential without a profile (401) and bad batches (400/413)', async () => {
    const noProfile = await asEdge(origin, keys.serviceSecret, {
      method: 'POST',
      path: '/internal/v1/progress/flush',
      body: { batchId: 'b', entries: [entry(t.movie, 1, 10, T0)] },
      sub: account,
    });
    expect(noProfile.status).toBe(401);
    const p = asProfile(randomUUID());
    const bad = await p({
      method: 'POST',
      path: '/internal/v1/progress/flush',
      body: { batchId: 'b', entries: [{ ...entry(t.movie, -1, 10, T0) }] },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'validation_failed' });
    const big = await p({
      method: 'POST',
      path: '/internal/v1/progress/flush',
      rawBody: JSON.stringify({ batchId: 'b', entries: [], pad: 'x'.repeat(300_000) }),
    });
    expect(big.status).toBe(413);
  });
});

describe('progress query', () => {
  it("merges the buffer's unflushed state over the stored one when it is newer", async () => {
    const p = randomUUID();
    await flush(p, [entry(t.movie, 600, 6000, T0)]);
    const res = await asProfile(p)({
      method: 'POST',
      path: '/internal/v1/progress/query',
      body: { titleIds: [t.movie], pending: [entry(t.movie, 1200, 6000, T0 + 60_000)] },
    });
    const { progress } = (await res.json()) as { progress: { positionSeconds: number; progressPercent: number }[] };
    expect(progress).toEqual([expect.objectContaining({ positionSeconds: 1200, progressPercent: 20 })]);
  });

  it('reads a pending state on the catalog duration, not the one it declares', async () => {
    const res = await asProfile(randomUUID())({
      method: 'POST',
      path: '/internal/v1/progress/query',
      body: { titleIds: [t.movie], pending: [entry(t.movie, 1, 1, T0)] },
    });
    expect(((await res.json()) as { progress: unknown[] }).progress).toEqual([
      expect.objectContaining({ positionSeconds: 1, durationSeconds: 6000, completed: false }),
    ]);
  });
});

describe('stored progress, for a buffer to learn', () => {
  const stored = async (profileId: string, body: { titleIds?: string[] }) => {
    const res = await asProfile(profileId)({ method: 'POST', path: '/internal/v1/progress/stored', body });
    expect(res.status).toBe(200);
    return (await res.json()) as { entries: ProgressEntry[]; truncated: boolean };
  };

  it('answers every stored state of the profile, newest first, with its tie, and nothing for a new profile', async () => {
    const p = randomUUID();
    await flush(p, [entry(t.movie, 600, 6000, T0, 2), entry(t.matureMovie, 100, 5400, T0 + 10)]);
    expect(await stored(p, {})).toEqual({
      entries: [entry(t.matureMovie, 100, 5400, T0 + 10), entry(t.movie, 600, 6000, T0, 2)],
      truncated: false,
    });
    expect(await stored(randomUUID(), {})).toEqual({ entries: [], truncated: false });
  });

  it('answers only the titles named, when it is given some', async () => {
    const p = randomUUID();
    await flush(p, [entry(t.movie, 600, 6000, T0), entry(t.matureMovie, 100, 5400, T0 + 10)]);
    expect((await stored(p, { titleIds: [t.movie, randomUUID()] })).entries).toEqual([entry(t.movie, 600, 6000, T0)]);
  });

  it('refuses an empty or malformed list of titles with 400', async () => {
    for (const body of [{ titleIds: [] }, { titleIds: ['x'] }, { other: 1 }]) {
      const res = await asProfile(randomUUID())({ method: 'POST', path: '/internal/v1/progress/stored', body });
      expect(res.status).toBe(400);
    }
  });
});

describe('continue watching', () => {
  it('lists titles started (> 5%) and not finished (< 95%), newest first', async () => {
    const p = randomUUID();
    await flush(p, [entry(t.movie, 200, 6000, T0), entry(t.matureMovie, 2700, 5400, T0 + 10)]);
    expect((await continueWatching(p)).map((i) => i.contentId)).toEqual([t.matureMovie]);
    await flush(p, [entry(t.movie, 3000, 6000, T0 + 20)]);
    expect((await continueWatching(p)).map((i) => i.contentId)).toEqual([t.movie, t.matureMovie]);
    await flush(p, [entry(t.movie, 5900, 6000, T0 + 30)]);
    expect((await continueWatching(p)).map((i) => i.contentId)).toEqual([t.matureMovie]);
  });

  it('shows one entry per series, its latest episode labelled S1:E2', async () => {
    const p = randomUUID();
    await flush(p, [entry(t.episodes[0], 600, 1500, T0), entry(t.episodes[1], 300, 1500, T0 + 10)]);
    const items = await continueWatching(p);
    expect(items).toEqual([
      expect.objectContaining({
        contentId: t.episodes[1],
        seriesId: t.series,
        episodeInfo: 'S1:E2',
        resumePosition: 300,
      }),
    ]);
  });

  it('offers the next episode once an episode is finished', async () => {
    const p = randomUUID();
    await flush(p, [entry(t.episodes[0], 1490, 1500, T0)]);
    expect(await continueWatching(p)).toEqual([
      expect.objectContaining({
        contentId: t.episodes[1],
        episodeInfo: 'S1:E2',
        progressPercent: 0,
        resumePosition: 0,
      }),
    ]);
    await flush(p, [entry(t.episodes[2], 1499, 1500, T0 + 10)]);
    expect(await continueWatching(p)).toEqual([]);
  });

  it('hides an item without losing its progress, and new progress brings it back', async () => {
    const p = randomUUID();
    await flush(p, [entry(t.movie, 1000, 6000, Date.now() - 5000)]);
    const del = await asProfile(p)({ method: 'DELETE', path: `/internal/v1/continue-watching/${t.movie}` });
    expect(del.status).toBe(204);
    expect(await continueWatching(p)).toEqual([]);
    expect((await origin.deps.stores.progress.get(p, t.movie))?.positionSeconds).toBe(1000);
    await flush(p, [entry(t.movie, 1100, 6000, Date.now() + 1000)]);
    expect((await continueWatching(p)).map((i) => i.contentId)).toEqual([t.movie]);
  });

  it("leaves out titles above the profile's maturity level", async () => {
    const p = randomUUID();
    await flush(p, [entry(t.movie, 1000, 6000, T0), entry(t.matureMovie, 1000, 5400, T0 + 1)]);
    expect((await continueWatching(p, 20)).map((i) => i.contentId)).toEqual([t.movie]);
  });

  it('does not read the store when the buffer says its states are complete', async () => {
    const p = randomUUID();
    await flush(p, [entry(t.movie, 3000, 6000, T0)]);
    const res = await asProfile(p)({
      method: 'POST',
      path: '/internal/v1/continue-watching',
      body: { limit: 20, pending: [entry(t.matureMovie, 2700, 5400, T0 + 10)], complete: true },
    });
    const { items } = (await res.json()) as { items: { contentId: string }[] };
    expect(items.map((i) => i.contentId)).toEqual([t.matureMovie]);
  });

  it('includes what is still in the buffer', async () => {
    const p = randomUUID();
    expect((await continueWatching(p, 50, [entry(t.movie, 1000, 6000, T0)])).map((i) => i.contentId)).toEqual([
      t.movie,
    ]);
  });

  it('refuses a buffered state whose event time no date-time can name (400), rather than answering one', async () => {
    const res = await asProfile(randomUUID())({
      method: 'POST',
      path: '/internal/v1/continue-watching',
      body: { limit: 20, pending: [entry(t.movie, 1000, 6000, 3_787_903_124_553_384)] },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'validation_failed' });
  });
});

describe('completions and history', () => {
  const event = (
    profileId: string,
    titleId: string,
    completed: boolean,
    eventTime: number,
    seriesId: string | null = null,
  ) => ({
    type: 'progress_update',
    profileId,
    titleId,
    seriesId,
    contentType: seriesId ? 'episode' : 'movie',
    completed,
    eventTime,
  });

  it('records a completion once in history and preferences, however often it is delivered', async () => {
    const p = randomUUID();
    const e = event(p, t.movie, true, T0);
    await handleViewingEvent(origin.deps.stores, silentLogger, e);
    await handleViewingEvent(origin.deps.stores, silentLogger, e);
    await handleViewingEvent(origin.deps.stores, silentLogger, event(p, t.movie, true, T0 + 10_000));
    const history = await origin.deps.stores.progress.listHistory(p, { limit: 10 });
    expect(history.items.map((h) => [h.titleId, h.watchedAt.getTime()])).toEqual([[t.movie, T0]]);
    const scores = await origin.deps.stores.preferences.genreScores(p);
    expect([...scores.values()]).toEqual([1, 1]);
  });

  it('counts a rewatch as a new completion', async () => {
    const p = randomUUID();
    await handleViewingEvent(origin.deps.stores, silentLogger, event(p, t.movie, true, T0));
    await handleViewingEvent(origin.deps.stores, silentLogger, event(p, t.movie, false, T0 + 60_000));
    await handleViewingEvent(origin.deps.stores, silentLogger, event(p, t.movie, true, T0 + 120_000));
    expect((await origin.deps.stores.progress.listHistory(p, { limit: 10 })).items).toHaveLength(2);
    expect([...(await origin.deps.stores.preferences.genreScores(p)).values()]).toEqual([2, 2]);
  });

  it('pages history newest first with a cursor, and refuses a forged cursor with 400', async () => {
    const p = randomUUID();
    for (let i = 0; i < 5; i++)
      await handleViewingEvent(
        origin.deps.stores,
        silentLogger,
        event(p, t.episodes[i % 3]!, true, T0 + i * 1000 + (i > 2 ? 500_000 : 0), t.series),
      );
    const first = await asProfile(p)({ path: '/internal/v1/history?limit=2' });
    const page1 = (await first.json()) as { items: { watchedAt: string }[]; nextCursor: string | null };
    expect(page1.items).toHaveLength(2);
    expect(page1.nextCursor).not.toBeNull();
    const second = await asProfile(p)({ path: `/internal/v1/history?limit=2&cursor=${page1.nextCursor}` });
    const page2 = (await second.json()) as { items: { watchedAt: string }[] };
    expect(Date.parse(page2.items[0]!.watchedAt)).toBeLessThan(Date.parse(page1.items[1]!.watchedAt));
    const forged = await asProfile(p)({ path: '/internal/v1/history?limit=2&cursor=zz' });
    expect(forged.status).toBe(400);
  });

  it('turns flushed completions into history through the Kafka consumer group', async () => {
    const { startCompletionConsumer } = await import('../src/consumers/completions.ts');
    const sub = await startCompletionConsumer(origin.deps.stores, silentLogger);
    try {
      const p = randomUUID();
      await flush(p, [entry(t.movie, 5990, 6000, T0)]);
      const deadline = Date.now() + 45_000;
      let items: unknown[] = [];
      while (items.length === 0 && Date.now() < deadline) {
        items = (await origin.deps.stores.progress.listHistory(p, { limit: 5 })).items;
        if (items.length === 0) await new Promise((r) => setTimeout(r, 200));
      }
      expect(items).toHaveLength(1);
    } finally {
      await sub.stop();
    }
  });
});
