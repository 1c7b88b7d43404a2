import { afterEach, describe, expect, it, vi } from 'vitest';
import { cachedCatalog } from './cached-catalog.ts';
import { episodeKey, type CatalogStore, type EpisodeRef, type TitleSummary } from './types.ts';

const episode = (id: string, seriesId: string, episodeNumber: number): TitleSummary => ({
  id,
  type: 'episode',
  name: id,
  seriesId,
  seriesName: seriesId,
  seasonNumber: 1,
  episodeNumber,
  durationSeconds: 1500,
  maturityLevel: 30,
  maturityRating: 'TV-14',
  posterUrl: null,
  genres: [],
});

const TWO_SERIES = [episode('a1', 'a', 1), episode('a2', 'a', 2), episode('b1', 'b', 1)];

/** A catalog (by default `a` with episodes 1–2 and `b` with episode 1) counting the next episodes it is asked. */
function countingCatalog(episodes = TWO_SERIES) {
  const asked: EpisodeRef[][] = [];
  const inner = {
    titleSummaries: async (ids: readonly string[]) =>
      new Map(episodes.filter((e) => ids.includes(e.id)).map((e) => [e.id, e])),
    nextEpisodes: async (refs: readonly EpisodeRef[]) => {
      asked.push([...refs]);
      return new Map(
        refs.flatMap((r) => {
          const next = episodes.find((e) => e.seriesId === r.seriesId && e.episodeNumber === r.episodeNumber + 1);
          return next ? [[episodeKey(r), next]] : [];
        }),
      );
    },
  } as unknown as CatalogStore;
  return { inner, asked };
}

const ref = (seriesId: string, episodeNumber: number): EpisodeRef => ({ seriesId, seasonNumber: 1, episodeNumber });

afterEach(() => {
  vi.useRealTimers();
});

describe('cached catalog', () => {
  it('asks for the next episodes it does not hold, and remembers that a series has none left', async () => {
    const { inner, asked } = countingCatalog();
    const catalog = cachedCatalog(inner, { ttlMs: 60_000, maxEntries: 100 });
    const first = await catalog.nextEpisodes([ref('a', 1), ref('b', 1)]);
    expect([...first.values()].map((e) => e.id)).toEqual(['a2']);
    const again = await catalog.nextEpisodes([ref('a', 1), ref('b', 1), ref('a', 2)]);
    expect([...again.values()].map((e) => e.id)).toEqual(['a2']);
    expect(asked).toEqual([[ref('a', 1), ref('b', 1)], [ref('a', 2)]]);
    expect(await catalog.nextEpisodes([])).toEqual(new Map());
    expect(asked).toHaveLength(2);
  });

  it('asks again once an answer is older than its TTL', async () => {
    vi.useFakeTimers();
    const { inner, asked } = countingCatalog();
    const catalog = cachedCatalog(inner, { ttlMs: 60_000, maxEntries: 100 });
    await catalog.nextEpisodes([ref('a', 1)]);
    vi.advanceTimersByTime(59_000);
    await catalog.nextEpisodes([ref('a', 1)]);
    vi.advanceTimersByTime(2_000);
    await catalog.nextEpisodes([ref('a', 1)]);
    expect(asked).toHaveLength(2);
  });

  it('keeps no more answers than its bound, dropping the oldest', async () => {
    const { inner, asked } = countingCatalog();
    const catalog = cachedCatalog(inner, { ttlMs: 60_000, maxEntries: 1 });
    await catalog.nextEpisodes([ref('a', 1)]);
    await catalog.nextEpisodes([ref('b', 1)]);
    await catalog.nextEpisodes([ref('b', 1)]);
    await catalog.nextEpisodes([ref('a', 1)]);
    expect(asked).toEqual([[ref('a', 1)], [ref('b', 1)], [ref('a', 1)]]);
  });

  it('shares its cache with the same cache put in front of another store', async () => {
    const { inner } = countingCatalog();
    const catalog = cachedCatalog(inner, { ttlMs: 60_000, maxEntries: 100 });
    await catalog.nextEpisodes([ref('a', 1)]);
    await catalog.titleSummaries(['a1']);
    // An empty catalog behind it: what it answers comes from the cache.
    const other = countingCatalog([]);
    const moved = catalog.over(other.inner);
    expect(moved.inner).toBe(other.inner);
    expect((await moved.nextEpisodes([ref('a', 1)])).get(episodeKey(ref('a', 1)))?.id).toBe('a2');
    expect((await moved.titleSummaries(['a1'])).get('a1')?.id).toBe('a1');
    expect(other.asked).toEqual([]);
  });
});
