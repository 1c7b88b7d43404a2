/**
 * The two parts the edge puts a homepage together from (docs/home.md): the shared rows of a
 * maturity level and language, kept in this isolate (and the colo) for as long as the origin's
 * `max-age` says, and one profile's part, asked of the origin on every visit except while the
 * profile has no history, when it is kept briefly.
 */
import { HomePersonal, HomeShared, type HomeQuery } from '../../../core/home.ts';
import { profileIdentity } from './http/auth.ts';
import type { AppContext } from './http/context.ts';
import { coloCache } from './colo-cache.ts';
import { callOrigin } from './origin.ts';

/** Personalization gets this long; after it the profile's last good page (or a generic one) is served. */
export const HOME_BUDGET_MS = 1500;
/** How long shared rows are kept when the origin names no `max-age`. */
export const SHARED_TTL_S = 60;
/** At most this long, whatever the origin says: a title's maturity change must reach the edge. */
const SHARED_TTL_MAX_S = 300;
/** The colo keeps a copy this long past its freshness, for when the origin is unavailable. */
const SHARED_STALE_KEEP_S = 600;
/**
 * How long the part of a profile without history is kept in an isolate: its first progress
 * shows at once (pending states skip the copy), stored progress from elsewhere within this.
 */
export const QUIET_PROFILE_TTL_S = 15;

const sharedColo = coloCache('https://home-shared.edgeflix.internal', HomeShared);

/** The cache key of the shared rows: everything they depend on (maturity level, language). */
export const sharedKey = (maturityLevel: number, language: string) => `/shared/${maturityLevel}/${language}`;

interface Kept<T> {
  value: T;
  freshUntil: number;
}

/** Shared rows per level and language (a few dozen keys at most), fresh or kept as a fallback. */
const shared = new Map<string, Kept<HomeShared>>();
const sharedInFlight = new Map<string, Promise<HomeShared | null>>();
const SHARED_KEYS_MAX = 200;

function keepShared(key: string, value: HomeShared, freshUntil: number): void {
  shared.delete(key);
  if (shared.size >= SHARED_KEYS_MAX) shared.delete(shared.keys().next().value as string);
  shared.set(key, { value, freshUntil });
}

function maxAgeOf(res: Response): number {
  const match = /max-age=(\d+)/.exec(res.headers.get('cache-control') ?? '');
  return Math.min(match ? Number(match[1]) : SHARED_TTL_S, SHARED_TTL_MAX_S);
}

async function loadShared(c: AppContext, key: string, language: string): Promise<HomeShared | null> {
  const colo = await sharedColo.get(key).catch(() => null);
  if (colo && colo.freshUntil > Date.now()) {
    keepShared(key, colo.value, colo.freshUntil);
    return colo.value;
  }
  try {
    const res = await callOrigin(c, {
      method: 'GET',
      path: `/internal/v1/home/shared?language=${encodeURIComponent(language)}`,
      caller: profileIdentity(c),
      timeoutMs: HOME_BUDGET_MS,
    });
    if (!res.ok) {
      await res.body?.cancel();
      return null;
    }
    const parsed = HomeShared.safeParse(await res.json());
    if (!parsed.success) return null;
    const maxAge = maxAgeOf(res);
    keepShared(key, parsed.data, Date.now() + maxAge * 1000);
    c.executionCtx.waitUntil(
      sharedColo
        .put(key, parsed.data, { keepSeconds: maxAge + SHARED_STALE_KEEP_S, freshSeconds: maxAge })
        .catch(() => undefined),
    );
    return parsed.data;
  } catch {
    return null;
  }
}

/**
 * The shared rows of the caller's maturity level and `language`, fresh (at most the origin's
 * `max-age` old at the edge), or null when they cannot be had within the budget. One request
 * per key and isolate asks the origin; the others wait for it.
 */
export async function sharedRows(c: AppContext, language: string): Promise<HomeShared | null> {
  const key = sharedKey(profileIdentity(c).maturityLevel, language);
  const kept = shared.get(key);
  if (kept && kept.freshUntil > Date.now()) return kept.value;
  let flight = sharedInFlight.get(key);
  if (!flight) {
    flight = loadShared(c, key, language).finally(() => sharedInFlight.delete(key));
    sharedInFlight.set(key, flight);
  }
  return flight;
}

/** An older copy of the shared rows (this isolate's or the colo's), for when the origin fails. */
export async function staleSharedRows(c: AppContext, language: string): Promise<HomeShared | null> {
  const key = sharedKey(profileIdentity(c).maturityLevel, language);
  return shared.get(key)?.value ?? (await sharedColo.get(key).catch(() => null))?.value ?? null;
}

/** Parts of profiles without history, per profile id (with the artwork arm they were made for). */
const quiet = new Map<string, { artwork: string; value: HomePersonal; until: number }>();
const QUIET_MAX = 10_000;

/** Forgets a profile's kept part (it changed its language or favourite genres here). */
export function forgetPersonalPart(profileId: string): void {
  quiet.delete(profileId);
}

/**
 * The calling profile's part of its homepage, or null when the origin fails or is slow. The one
 * place the edge gets it: one origin call (one PostgreSQL query, its progress partition).
 */
export async function personalPart(c: AppContext, query: HomeQuery): Promise<HomePersonal | null> {
  const { profileId } = profileIdentity(c);
  const now = Date.now();
  // Kept only while the profile's buffer vouches that it has no progress at all (`complete` and
  // nothing pending): a buffer that could not answer is not a profile without history.
  const quietProfile = query.pending.length === 0 && query.complete === true;
  if (quietProfile) {
    const hit = quiet.get(profileId);
    if (hit && hit.until > now && hit.artwork === query.variants.artwork) return hit.value;
  } else {
    quiet.delete(profileId);
  }
  try {
    const res = await callOrigin(c, {
      method: 'POST',
      path: '/internal/v1/home/personal',
      body: query,
      caller: profileIdentity(c),
      timeoutMs: HOME_BUDGET_MS,
    });
    if (!res.ok) {
      await res.body?.cancel();
      return null;
    }
    const parsed = HomePersonal.safeParse(await res.json());
    if (!parsed.success) return null;
    if (!parsed.data.history && quietProfile) {
      quiet.delete(profileId);
      if (quiet.size >= QUIET_MAX) quiet.delete(quiet.keys().next().value as string);
      quiet.set(profileId, {
        artwork: query.variants.artwork,
        value: parsed.data,
        until: Date.now() + QUIET_PROFILE_TTL_S * 1000,
      });
    }
    return parsed.data;
  } catch {
    return null;
  }
}
