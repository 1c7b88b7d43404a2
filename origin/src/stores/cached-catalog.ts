import { episodeKey, type CatalogStore, type EpisodeRef, type TitleSummary } from './types.ts';

/** Entries kept for a time, at most `maxEntries` of them (the oldest goes first). */
class TtlCache<V> {
  readonly #entries = new Map<string, { value: V; expires: number }>();
  constructor(readonly options: { ttlMs: number; maxEntries: number }) {}

  get(key: string, now: number): { value: V } | undefined {
    const hit = this.#entries.get(key);
    return hit && hit.expires > now ? hit : undefined;
  }

  set(key: string, value: V, now: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expires: now + this.options.ttlMs });
    while (this.#entries.size > this.options.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }
}

/** A catalog store with the cache in front of it. */
export interface CachedCatalog extends CatalogStore {
  /** The store the cache asks on a miss. */
  readonly inner: CatalogStore;
  /**
   * The same cache in front of another store: guarded-stores.ts puts it in front of the timed,
   * guarded `inner`, so a hit is no store call (no metric, no breaker) and a miss is one.
   */
  over(inner: CatalogStore): CachedCatalog;
}

export const isCachedCatalog = (store: CatalogStore): store is CachedCatalog => 'over' in store && 'inner' in store;

/**
 * Title summaries and next episodes change rarely and every flush and homepage needs them: keep
 * them in memory for a short time (bounded). A change to the catalog shows within `ttlMs`.
 * Unknown ids are not cached, so new titles show up; "no next episode" is, so a profile at the
 * end of a series costs no query per page (a new episode shows within `ttlMs`).
 */
export function cachedCatalog(inner: CatalogStore, options: { ttlMs: number; maxEntries: number }): CachedCatalog {
  return behind(inner, { summaries: new TtlCache(options), next: new TtlCache(options) });
}

function behind(
  inner: CatalogStore,
  caches: { summaries: TtlCache<TitleSummary>; next: TtlCache<TitleSummary | null> },
): CachedCatalog {
  return {
    ...inner,
    inner,
    over: (other) => behind(other, caches),
    async titleSummaries(ids) {
      const now = Date.now();
      const out = new Map<string, TitleSummary>();
      const missing: string[] = [];
      for (const id of new Set(ids)) {
        const hit = caches.summaries.get(id, now);
        if (hit) out.set(id, hit.value);
        else missing.push(id);
      }
      if (missing.length > 0) {
        for (const [id, summary] of await inner.titleSummaries(missing)) {
          out.set(id, summary);
          caches.summaries.set(id, summary, now);
        }
      }
      return out;
    },
    async nextEpisodes(refs) {
      const now = Date.now();
      const out = new Map<string, TitleSummary>();
      const missing: EpisodeRef[] = [];
      for (const ref of refs) {
        const hit = caches.next.get(episodeKey(ref), now);
        if (!hit) missing.push(ref);
        else if (hit.value) out.set(episodeKey(ref), hit.value);
      }
      if (missing.length > 0) {
        const found = await inner.nextEpisodes(missing);
        for (const ref of missing) {
          const key = episodeKey(ref);
          const next = found.get(key) ?? null;
          if (next) out.set(key, next);
          caches.next.set(key, next, now);
        }
      }
      return out;
    },
  };
}
