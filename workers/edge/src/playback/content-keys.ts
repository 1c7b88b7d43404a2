/**
 * Content keys from the origin (`POST /internal/v1/content-keys/lookup`), kept in this isolate's
 * memory only (never the colo cache, which writes to disk) for `CONTENT_KEY_TTL_MS` at most, so a
 * revoked or rotated key stops being handed out within minutes. Unknown key ids are remembered as
 * unknown for as long, so a player repeating a bad id does not reach the origin each time.
 */
import { HttpError } from '../../../../core/problem.ts';
import type { Identity } from '../../../../core/tokens.ts';
import { ContentKeyLookupResponse, type ContentKeyEntry } from '../../../../core/protection/wire.ts';
import { originFetch, type OriginBindings } from '../../../shared/origin-client.ts';

export const CONTENT_KEY_TTL_MS = 5 * 60_000;
/** Bounded: an isolate holds the keys of the titles its viewers play, not the catalog's. */
const MAX_ENTRIES = 2_000;

const cache = new Map<string, { entry: ContentKeyEntry | null; until: number }>();

/** The keys with these ids the catalog has (key id → entry); unknown ids are absent. */
export async function contentKeys(
  env: OriginBindings,
  kids: readonly string[],
  request: { requestId: string; caller: Identity },
): Promise<Map<string, ContentKeyEntry>> {
  const now = Date.now();
  const found = new Map<string, ContentKeyEntry>();
  const missing: string[] = [];
  for (const kid of kids) {
    const hit = cache.get(kid);
    if (hit && hit.until > now) {
      if (hit.entry) found.set(kid, hit.entry);
    } else missing.push(kid);
  }
  if (missing.length === 0) return found;
  const res = await originFetch(env, {
    method: 'POST',
    path: '/internal/v1/content-keys/lookup',
    body: { kids: missing },
    requestId: request.requestId,
    caller: request.caller,
  });
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new HttpError('origin_unavailable', 'Content keys could not be looked up; try again shortly', {
      headers: { 'retry-after': '2' },
    });
  }
  const answer = ContentKeyLookupResponse.parse(await res.json());
  const byKid = new Map(answer.keys.map((k) => [k.kid, k]));
  if (cache.size + missing.length > MAX_ENTRIES) cache.clear();
  for (const kid of missing) {
    const entry = byKid.get(kid) ?? null;
    cache.set(kid, { entry, until: now + CONTENT_KEY_TTL_MS });
    if (entry) found.set(kid, entry);
  }
  return found;
}
