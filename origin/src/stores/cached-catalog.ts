import type { CatalogStore, TitleSummary } from './types.ts';

/**
 * Title summaries change rarely and every flush needs them: keep them in memory for a short
 * time (bounded; the oldest entry goes first). Unknown ids are not cached, so new titles show up.
 */
export function cachedCatalog(inner: CatalogStore, options: { ttlMs: number; maxEntries: number }): CatalogStore {
  const cache = new Map<string, { summary: TitleSummary; expires: number }>();
  return {
    ...inner,
    async titleSummaries(ids) {
      const now = Date.now();
      const out = new Map<string, TitleSummary>();
      const missing: string[] = [];
      for (const id of new Set(ids)) {
        const hit = cache.get(id);
        if (hit && hit.expires > now) out.set(id, hit.summary);
        else missing.push(id);
      }
      if (missing.length > 0) {
        for (const [id, summary] of await inner.titleSummaries(missing)) {
          out.set(id, summary);
          cache.delete(id);
          cache.set(id, { summary, expires: now + options.ttlMs });
        }
        while (cache.size > options.maxEntries) cache.delete(cache.keys().next().value as string);
      }
      return out;
    },
  };
}
