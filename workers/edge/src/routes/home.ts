import { Hono } from 'hono';
import { describeRoute, json, type OperationSpec } from '../../../../core/api/openapi.ts';
import {
  ARTWORK_VARIANTS,
  HOME_EXPERIMENTS,
  HomePage,
  ROW_ORDER_VARIANTS,
  type HomeQuery,
} from '../../../../core/home.ts';
import { variantOf } from '../../../../core/experiments/allocate.ts';
import { HttpError } from '../../../../core/problem.ts';
import { MAX_FLUSH_ENTRIES } from '../../../../core/progress.ts';
import { assignmentsFor } from '../experiments.ts';
import { profileClaims, profileIdentity, requireUser } from '../http/auth.ts';
import type { AppContext, EdgeEnv } from '../http/context.ts';
import { coloCache } from '../colo-cache.ts';
import { callOrigin } from '../origin.ts';
import { allProgress } from '../progress-reads.ts';

/** Personalization gets this long; after it the profile's last good page (or a generic one) is served. */
export const HOME_BUDGET_MS = 1500;
const LAST_GOOD_TTL_S = 24 * 3600;
/**
 * The shared (generic) page of a maturity level and language: short, so a title whose maturity an
 * operator changed leaves it within a minute (docs/home.md).
 */
export const GENERIC_TTL_S = 60;
const cache = coloCache('https://home.edgeflix.internal', HomePage);

function pick<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return value !== null && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

/** The language the shared rows are keyed by: the primary subtag of the profile's, English when unknown. */
function genericLanguage(tag: string | undefined): string {
  const primary = (tag ?? '').split('-')[0]!.toLowerCase();
  return /^[a-z]{2,3}$/.test(primary) ? primary : 'en';
}

/** The colo cache key of the shared page: everything it depends on (maturity level, language). */
export const genericCacheKey = (maturityLevel: number, language: string) => `/generic/${maturityLevel}/${language}`;

/** How often an isolate refreshes a profile's last good page while the origin answers. */
const LAST_GOOD_REFRESH_S = 60;

/**
 * Per isolate: when each cache key was last refreshed, so a busy isolate does not rewrite (or
 * re-read) the same fallback copy on every request. Bounded; forgetting only costs a write.
 */
class RecentlyDone {
  readonly #until = new Map<string, number>();
  constructor(readonly max: number) {}
  /** True (and remembered for `seconds`) when `key` was not done within its interval. */
  claim(key: string, seconds: number, now = Date.now()): boolean {
    if ((this.#until.get(key) ?? 0) > now) return false;
    this.#until.delete(key);
    if (this.#until.size >= this.max) this.#until.delete(this.#until.keys().next().value as string);
    this.#until.set(key, now + seconds * 1000);
    return true;
  }
  forget(key: string): void {
    this.#until.delete(key);
  }
}
const recently = new RecentlyDone(10_000);

/** Keeps a page after the response: the client does not wait for the cache. */
function cachePut(c: AppContext, key: string, page: HomePage, ttlSeconds: number): void {
  c.executionCtx.waitUntil(cache.put(key, page, { keepSeconds: ttlSeconds }));
}

async function cacheGet(key: string): Promise<HomePage | null> {
  return (await cache.get(key))?.value ?? null;
}

/** A page's JSON as the origin sent it, or null when that is not a page. */
function parsePage(text: string): HomePage | null {
  try {
    const parsed = HomePage.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * The origin's page as JSON text within the budget, or null when it fails or is slow. Not parsed
 * here: a page is large, and the hot path passes it through (the origin's responses are checked
 * against its document in every test); it is parsed when it is kept as a fallback.
 */
async function fetchPageText(c: AppContext, path: string, body: HomeQuery): Promise<string | null> {
  try {
    const res = await callOrigin(c, {
      method: 'POST',
      path,
      body,
      caller: profileIdentity(c),
      timeoutMs: HOME_BUDGET_MS,
    });
    if (!res.ok || !res.headers.get('content-type')?.startsWith('application/json')) {
      await res.body?.cancel();
      return null;
    }
    return await res.text();
  } catch {
    return null;
  }
}

/** Asks the origin for a page within the budget; null when it fails, is slow or answers nonsense. */
async function fetchPage(c: AppContext, path: string, body?: HomeQuery): Promise<HomePage | null> {
  try {
    const res = await callOrigin(c, {
      method: body ? 'POST' : 'GET',
      path,
      ...(body ? { body } : {}),
      caller: profileIdentity(c),
      timeoutMs: HOME_BUDGET_MS,
    });
    if (!res.ok) return null;
    const parsed = HomePage.safeParse(await res.json());
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

const homeDoc: OperationSpec = {
  operationId: 'home',
  summary: "The profile's homepage",
  description:
    "Personalized rows; when personalization fails or is slow, the profile's last good page or a generic one, marked in `fallback`.",
  tags: ['browse'],
  security: ['profileToken'],
  responses: { 200: json(HomePage, 'The rows to show') },
  problems: ['unavailable'],
};

/**
 * The profile's homepage. Its experiment variants are computed here and sent with the request;
 * if personalization fails or is slow, the profile's last good page is served, else a generic
 * trending page, each marked in `fallback`.
 */
export const home = new Hono<EdgeEnv>().get('/', describeRoute(homeDoc), requireUser('profile'), async (c) => {
  const who = profileIdentity(c);
  const [assignments, known] = await Promise.all([
    assignmentsFor(c, { only: [HOME_EXPERIMENTS.rowOrder, HOME_EXPERIMENTS.artwork] }).catch(() => []),
    // The buffer's states are the profile's progress (Continue Watching, as on its own route); when
    // it cannot answer, the page is still served, its row from what the origin has stored.
    allProgress(c, who).catch(() => ({ entries: [], complete: false })),
  ]);
  const complete = known.complete && known.entries.length <= MAX_FLUSH_ENTRIES;
  const pending = known.entries.slice(0, MAX_FLUSH_ENTRIES);
  const variants = {
    rowOrder: pick(variantOf(assignments, HOME_EXPERIMENTS.rowOrder), ROW_ORDER_VARIANTS, 'control'),
    artwork: pick(variantOf(assignments, HOME_EXPERIMENTS.artwork), ARTWORK_VARIANTS, 'default'),
  };
  const lastGoodKey = `/profiles/${who.profileId}`;
  const language = genericLanguage(profileClaims(c).lang);
  const genericKey = genericCacheKey(who.maturityLevel, language);
  const genericPath = `/internal/v1/home/generic?language=${language}`;
  const text = await fetchPageText(c, '/internal/v1/home', { pending, complete, variants });
  // Both copies are fallbacks: refreshed now and then, not on every visit (each is a write).
  const refresh = text !== null && recently.claim(lastGoodKey, LAST_GOOD_REFRESH_S);
  const page = refresh ? parsePage(text) : null;
  if (refresh && !page) recently.forget(lastGoodKey);
  if (text !== null && (page || !refresh)) {
    if (page) cachePut(c, lastGoodKey, page, LAST_GOOD_TTL_S);
    // Keep a generic page at hand for profiles that have no last good one when the origin fails.
    if (recently.claim(genericKey, GENERIC_TTL_S / 2) && !(await cache.get(genericKey))) {
      c.executionCtx.waitUntil(
        fetchPage(c, genericPath).then((g) => (g ? cachePut(c, genericKey, g, GENERIC_TTL_S) : undefined)),
      );
    }
    return c.body(text, 200, { 'content-type': 'application/json' });
  }
  const lastGood = await cacheGet(lastGoodKey);
  if (lastGood) return c.json({ ...lastGood, fallback: 'last_good' } satisfies HomePage);
  const generic = await fetchPage(c, genericPath);
  if (generic) {
    cachePut(c, genericKey, generic, GENERIC_TTL_S);
    return c.json(generic);
  }
  const cachedGeneric = await cacheGet(genericKey);
  if (cachedGeneric) return c.json(cachedGeneric);
  throw new HttpError('unavailable', 'The homepage is unavailable; try again shortly', {
    headers: { 'retry-after': '5' },
  });
});
