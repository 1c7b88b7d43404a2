/**
 * A title's playback source (its whole ladder) from the origin, kept in the colo's cache (Cache
 * API) for a minute: the same for every profile, so one origin call serves every viewer.
 */
import { PlaybackSource } from '../../../../core/manifest/source.ts';
import { HttpError } from '../../../../core/problem.ts';
import { originFetch } from '../origin.ts';

/** Short: a title whose media is withdrawn stops getting manifests within a minute. */
export const PLAYBACK_SOURCE_TTL_S = 60;
/** Cache keys live under a host of their own: they are never fetched, only matched. */
const CACHE_ORIGIN = 'https://playback-source.edgeflix.internal';

/** The title's source, or a 404 problem when it has no playable media. */
export async function playbackSource(
  env: Pick<Env, 'ORIGIN_URL' | 'ORIGIN_TIMEOUT_MS' | 'SERVICE_TOKEN_SECRET'>,
  titleId: string,
  requestId: string,
): Promise<PlaybackSource> {
  const key = new Request(`${CACHE_ORIGIN}/titles/${titleId}`);
  const cache = caches.default;
  const hit = await cache.match(key);
  if (hit) {
    const cached = PlaybackSource.safeParse(await hit.json());
    if (cached.success) return cached.data;
  }
  // No user on the credential: the answer is the same for every profile.
  const res = await originFetch(env, { method: 'GET', path: `/internal/v1/playback/${titleId}/source`, requestId });
  if (res.status === 404) {
    await res.body?.cancel();
    throw new HttpError('not_found', `Title ${titleId} has no playable media`);
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new HttpError('origin_unavailable', 'The catalog could not be reached; try again shortly', {
      headers: { 'retry-after': '2' },
    });
  }
  const parsed = PlaybackSource.safeParse(await res.json());
  if (!parsed.success) throw new Error('The origin answered a playback source in an unexpected shape');
  await cache.put(
    key,
    new Response(JSON.stringify(parsed.data), {
      headers: { 'content-type': 'application/json', 'cache-control': `max-age=${PLAYBACK_SOURCE_TTL_S}` },
    }),
  );
  return parsed.data;
}
