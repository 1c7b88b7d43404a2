/**
 * The homepage lists that are the same for every profile of a maturity level (trending, new
 * releases, popular in a language, one genre, titles like one title, the strongest genres, genre
 * names): computed once per interval per key and shared by every request of this process.
 */
import type { HomeCandidate, HomeStore } from '../stores/types.ts';
import { SharedCache } from './shared-cache.ts';

/** A list of candidates with the poster variants of its titles (artwork experiment). */
export interface Shelf {
  items: HomeCandidate[];
  posters: Map<string, Map<string, string>>;
}

/** How long a shared list is kept by default (HOME_SHARED_TTL_SECONDS). */
export const DEFAULT_SHELF_TTL_MS = 60_000;
/** Candidates per list: enough left after dedupe and finished titles are removed. */
export const SHELF_SIZE = 40;
const TRENDING_DAYS = 7;
const TOP_GENRES = 6;

export interface Shelves {
  trending(level: number): Promise<Shelf>;
  newReleases(level: number): Promise<Shelf>;
  popularInLanguage(language: string, level: number): Promise<Shelf>;
  genre(genreId: string, level: number): Promise<Shelf>;
  similarTo(titleId: string, level: number): Promise<Shelf>;
  /** The strongest genres at a level, best first. */
  topGenres(level: number): Promise<string[]>;
  genreNames(): Promise<Map<string, string>>;
  /** Forgets every list (a title's maturity or the catalog changed): the next request recomputes. */
  invalidate(): void;
}

export function createShelves(home: HomeStore, options: { ttlMs: number; now?: () => number }): Shelves {
  const cacheOptions = { ttlMs: options.ttlMs, ...(options.now ? { now: options.now } : {}) };
  // Keys: a few lists per level and language, one per genre and level, one per "similar to" title.
  const shelves = new SharedCache<Shelf>({ ...cacheOptions, maxEntries: 5000 });
  const ids = new SharedCache<string[]>({ ...cacheOptions, maxEntries: 100 });
  const names = new SharedCache<Map<string, string>>({ ...cacheOptions, maxEntries: 1 });
  const shelf = (key: string, list: () => Promise<HomeCandidate[]>) =>
    shelves.get(key, async () => {
      const items = await list();
      return { items, posters: await home.posterVariants(items.map((i) => i.id)) };
    });
  return {
    trending: (level) =>
      shelf(`trending/${level}`, () =>
        home.trending({ days: TRENDING_DAYS, limit: SHELF_SIZE, maxMaturityLevel: level }),
      ),
    newReleases: (level) =>
      shelf(`new/${level}`, () => home.newReleases({ limit: SHELF_SIZE, maxMaturityLevel: level })),
    popularInLanguage: (language, level) =>
      shelf(`language/${language}/${level}`, () =>
        home.popularInLanguage({ language, limit: SHELF_SIZE, maxMaturityLevel: level }),
      ),
    genre: (genreId, level) =>
      shelf(`genre/${genreId}/${level}`, () =>
        home.byGenres({ genres: [genreId], limit: SHELF_SIZE, maxMaturityLevel: level }),
      ),
    similarTo: (titleId, level) =>
      shelf(`similar/${titleId}/${level}`, () =>
        home.similarTo({ titleId, limit: SHELF_SIZE, maxMaturityLevel: level }),
      ),
    topGenres: (level) =>
      ids.get(`top-genres/${level}`, () => home.topGenres({ limit: TOP_GENRES, maxMaturityLevel: level })),
    genreNames: () => names.get('genres', () => home.allGenres()),
    invalidate() {
      shelves.clear();
      ids.clear();
      names.clear();
    },
  };
}
