/**
 * The colo's cache (Cache API, `caches.default`) as a store of validated JSON documents: what the
 * edge keeps for every isolate of a colo (title summaries, playback sources, home pages, the
 * experiments config). Each cache has a host of its own, so its keys are matched, never fetched.
 */
import { z } from 'zod';

/** A document found in the cache, with when it was stored and until when it counts as fresh. */
export interface Cached<T> {
  value: T;
  storedAt: number;
  freshUntil: number;
}

export interface KeepFor {
  /** How long the colo keeps the copy (its `max-age`). */
  keepSeconds: number;
  /** How long the copy counts as fresh (default: as long as it is kept); older copies may stand in. */
  freshSeconds?: number;
}

/**
 * How long a colo remembers that the origin has no such document (a 404): long enough that a
 * caller repeating unknown ids reaches the origin twice a minute at most, short enough that a
 * title just added to the catalog is found soon after.
 */
export const MISSING_KEEP_S = 30;
/** What a cache made with `orMissing` keeps in place of a document the origin does not have. */
export const MISSING = { missing: true } as const;
export type Missing = typeof MISSING;
const MissingSchema = z.strictObject({ missing: z.literal(true) });

/** A cache's schema that also takes `MISSING`, so the same key can remember a miss. */
export function orMissing<S extends z.ZodType>(schema: S) {
  return z.union([schema, MissingSchema]);
}

export function isMissing(value: unknown): value is Missing {
  return MissingSchema.safeParse(value).success;
}

const STORED_AT = 'x-stored-at';
/** Also set by tests that age a copy. */
export const FRESH_UNTIL = 'x-fresh-until';

export interface ColoCache<T> {
  /** The cache key's URL for `path` (tests use it to age or drop a copy). */
  url(path: string): string;
  /** The document under `path`, or null when there is none or it no longer matches the schema. */
  get(path: string): Promise<Cached<T> | null>;
  put(path: string, value: T, keep: KeepFor): Promise<void>;
  delete(path: string): Promise<boolean>;
}

/** A colo cache of documents of `schema` under `origin` (e.g. `https://home.edgeflix.internal`). */
export function coloCache<S extends z.ZodType>(origin: string, schema: S): ColoCache<z.output<S>> {
  const url = (path: string) => `${origin}${path}`;
  return {
    url,
    async get(path) {
      const hit = await caches.default.match(new Request(url(path)));
      if (!hit) return null;
      let json: unknown;
      try {
        json = await hit.json();
      } catch {
        return null;
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) return null;
      return {
        value: parsed.data,
        storedAt: Number(hit.headers.get(STORED_AT)) || 0,
        freshUntil: Number(hit.headers.get(FRESH_UNTIL)) || 0,
      };
    },
    async put(path, value, { keepSeconds, freshSeconds = keepSeconds }) {
      const now = Date.now();
      const response = new Response(JSON.stringify(value), {
        headers: {
          'content-type': 'application/json',
          'cache-control': `max-age=${keepSeconds}`,
          [STORED_AT]: String(now),
          [FRESH_UNTIL]: String(now + freshSeconds * 1000),
        },
      });
      await caches.default.put(new Request(url(path)), response);
    },
    delete: (path) => caches.default.delete(new Request(url(path))),
  };
}
