/**
 * A title's playback source (its whole ladder) from the origin, kept in the colo's cache (Cache
 * API): the same for every profile, so one origin call serves every viewer.
 *
 * Fresh for a minute; after that the origin is asked again, but the copy is kept for a day and
 * served (marked stale) when the origin cannot answer: a viewer can start a title the colo has
 * seen even while the catalog is down. A title the origin says is gone is never served stale, and
 * its 404 is remembered for `MISSING_KEEP_S`, so repeated unknown ids do not reach the origin.
 */
import { PlaybackSource } from '../../../../core/manifest/source.ts';
import { HttpError } from '../../../../core/problem.ts';
import { originFetch, type OriginBindings } from '../../../shared/origin-client.ts';
import { coloCache, isMissing, MISSING, MISSING_KEEP_S, orMissing } from '../colo-cache.ts';

/** Short: a title whose media is withdrawn stops getting manifests within a minute. */
export const PLAYBACK_SOURCE_TTL_S = 60;
/** How long a copy may stand in for an origin that cannot answer. */
export const PLAYBACK_SOURCE_STALE_TTL_S = 24 * 3600;
const cache = coloCache('https://playback-source.edgeflix.internal', orMissing(PlaybackSource));

export interface SourceAnswer {
  source: PlaybackSource;
  /** True when the origin could not answer and a cached copy past its freshness was served. */
  stale: boolean;
}

/** The title's source, or a 404 problem when it has no playable media. */
export async function playbackSource(env: OriginBindings, titleId: string, requestId: string): Promise<SourceAnswer> {
  const key = `/titles/${titleId}`;
  const hit = await cache.get(key);
  if (hit && isMissing(hit.value)) throw noMedia(titleId);
  const cached = hit && !isMissing(hit.value) ? { value: hit.value, freshUntil: hit.freshUntil } : null;
  if (cached && cached.freshUntil > Date.now()) return { source: cached.value, stale: false };

  let res: Response;
  try {
    // No user on the credential: the answer is the same for every profile.
    res = await originFetch(env, { method: 'GET', path: `/internal/v1/playback/${titleId}/source`, requestId });
  } catch (err) {
    if (cached && err instanceof HttpError && err.status >= 500) return { source: cached.value, stale: true };
    throw err;
  }
  if (res.status === 404) {
    await res.body?.cancel();
    // Replaces any copy kept for a stale answer: a title that is gone is not served.
    await cache.put(key, MISSING, { keepSeconds: MISSING_KEEP_S });
    throw noMedia(titleId);
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    if (cached && res.status >= 500) return { source: cached.value, stale: true };
    throw new HttpError('origin_unavailable', 'The catalog could not be reached; try again shortly', {
      headers: { 'retry-after': '2' },
    });
  }
  const parsed = PlaybackSource.safeParse(await res.json());
  if (!parsed.success) throw new Error('The origin answered a playback source in an unexpected shape');
  await cache.put(key, parsed.data, {
    keepSeconds: PLAYBACK_SOURCE_STALE_TTL_S,
    freshSeconds: PLAYBACK_SOURCE_TTL_S,
  });
  return { source: parsed.data, stale: false };
}

function noMedia(titleId: string): HttpError {
  return new HttpError('not_found', `Title ${titleId} has no playable media`);
}
