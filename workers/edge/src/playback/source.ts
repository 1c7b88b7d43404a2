/**
 * A title's playback source (its whole ladder) from the origin, kept in the colo's cache (Cache
 * API): the same for every profile, so one origin call serves every viewer.
 *
 * Fresh for a minute; after that the origin is asked again, but the copy is kept for a day and
 * served (marked stale) when the origin cannot answer: a viewer can start a title the colo has
 * seen even while the catalog is down. A title the origin says is gone is never served stale.
 */
import { PlaybackSource } from '../../../../core/manifest/source.ts';
import { HttpError } from '../../../../core/problem.ts';
import { originFetch, type OriginBindings } from '../../../shared/origin-client.ts';

/** Short: a title whose media is withdrawn stops getting manifests within a minute. */
export const PLAYBACK_SOURCE_TTL_S = 60;
/** How long a copy may stand in for an origin that cannot answer. */
export const PLAYBACK_SOURCE_STALE_TTL_S = 24 * 3600;
/** Cache keys live under a host of their own: they are never fetched, only matched. */
const CACHE_ORIGIN = 'https://playback-source.edgeflix.internal';
const FRESH_UNTIL = 'x-fresh-until';

export interface SourceAnswer {
  source: PlaybackSource;
  /** True when the origin could not answer and a cached copy past its freshness was served. */
  stale: boolean;
}

/** The title's source, or a 404 problem when it has no playable media. */
export async function playbackSource(env: OriginBindings, titleId: string, requestId: string): Promise<SourceAnswer> {
  const key = new Request(`${CACHE_ORIGIN}/titles/${titleId}`);
  const cache = caches.default;
  const cached = await readCached(cache, key);
  if (cached && cached.freshUntil > Date.now()) return { source: cached.source, stale: false };

  let res: Response;
  try {
    // No user on the credential: the answer is the same for every profile.
    res = await originFetch(env, { method: 'GET', path: `/internal/v1/playback/${titleId}/source`, requestId });
  } catch (err) {
    if (cached && err instanceof HttpError && err.status >= 500) return { source: cached.source, stale: true };
    throw err;
  }
  if (res.status === 404) {
    await res.body?.cancel();
    await cache.delete(key);
    throw new HttpError('not_found', `Title ${titleId} has no playable media`);
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    if (cached && res.status >= 500) return { source: cached.source, stale: true };
    throw new HttpError('origin_unavailable', 'The catalog could not be reached; try again shortly', {
      headers: { 'retry-after': '2' },
    });
  }
  const parsed = PlaybackSource.safeParse(await res.json());
  if (!parsed.success) throw new Error('The origin answered a playback source in an unexpected shape');
  await cache.put(
    key,
    new Response(JSON.stringify(parsed.data), {
      headers: {
        'content-type': 'application/json',
        'cache-control': `max-age=${PLAYBACK_SOURCE_STALE_TTL_S}`,
        [FRESH_UNTIL]: String(Date.now() + PLAYBACK_SOURCE_TTL_S * 1000),
      },
    }),
  );
  return { source: parsed.data, stale: false };
}

async function readCached(cache: Cache, key: Request): Promise<{ source: PlaybackSource; freshUntil: number } | null> {
  const hit = await cache.match(key);
  if (!hit) return null;
  const parsed = PlaybackSource.safeParse(await hit.json());
  if (!parsed.success) return null;
  return { source: parsed.data, freshUntil: Number(hit.headers.get(FRESH_UNTIL)) || 0 };
}
