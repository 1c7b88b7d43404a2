import { Hono } from 'hono';
import { describeRoute, json, type OperationSpec } from '../../../../core/api/openapi.ts';
import {
  ARTWORK_VARIANTS,
  HOME_EXPERIMENTS,
  HomePage,
  ROW_ORDER_VARIANTS,
  type HomePersonal,
  type HomeShared,
} from '../../../../core/home.ts';
import { addsNothing, assemblePage, genericPage } from '../../../../core/home-page.ts';
import { variantOf } from '../../../../core/experiments/allocate.ts';
import { HttpError } from '../../../../core/problem.ts';
import { MAX_FLUSH_ENTRIES } from '../../../../core/progress.ts';
import { assignmentsFor } from '../experiments.ts';
import { personalPart, sharedRows, staleSharedRows } from '../home-parts.ts';
import { profileClaims, profileIdentity, requireUser } from '../http/auth.ts';
import type { AppContext, EdgeEnv } from '../http/context.ts';
import { coloCache } from '../colo-cache.ts';
import { allProgress } from '../progress-reads.ts';

const LAST_GOOD_TTL_S = 24 * 3600;
const cache = coloCache('https://home.edgeflix.internal', HomePage);

function pick<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return value !== null && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

/** The language the shared rows are keyed by: the primary subtag of the profile's, English when unknown. */
function genericLanguage(tag: string | undefined): string {
  const primary = (tag ?? '').split('-')[0]!.toLowerCase();
  return /^[a-z]{2,3}$/.test(primary) ? primary : 'en';
}

/** How often an isolate refreshes a profile's last good page while the origin answers. */
const LAST_GOOD_REFRESH_S = 60;

/**
 * Per isolate: when each cache key was last refreshed, so a busy isolate does not rewrite the
 * same fallback copy on every request. Bounded; forgetting only costs a write.
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
}
const recently = new RecentlyDone(10_000);

/** Keeps a page after the response: the client does not wait for the cache. */
function cachePut(c: AppContext, key: string, page: HomePage, ttlSeconds: number): void {
  c.executionCtx.waitUntil(cache.put(key, page, { keepSeconds: ttlSeconds }).catch(() => undefined));
}

/**
 * Pages of profiles whose part adds nothing (no history, no favourite genres), per shared rows
 * and variants: the same for every such profile, so put together once per copy of the rows.
 */
const plainPages = new WeakMap<HomeShared, Map<string, { page: HomePage; text: string }>>();

function pageFor(
  shared: HomeShared,
  personal: HomePersonal,
  variants: HomePage['variants'],
): { page: HomePage; text: string } {
  if (!addsNothing(personal)) {
    const page = assemblePage(shared, personal, variants);
    return { page, text: JSON.stringify(page) };
  }
  let byVariants = plainPages.get(shared);
  if (!byVariants) plainPages.set(shared, (byVariants = new Map()));
  const key = `${variants.rowOrder}/${variants.artwork}`;
  let made = byVariants.get(key);
  if (!made) {
    const page = assemblePage(shared, personal, variants);
    made = { page, text: JSON.stringify(page) };
    byVariants.set(key, made);
  }
  return made;
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
 * The profile's homepage, put together here from the shared rows of its level and language
 * (kept at the edge) and its own part (asked of the origin), with the variants its experiments
 * assign. If personalization fails or is slow, the profile's last good page is served, else a
 * generic page from the shared rows, each marked in `fallback`.
 */
export const home = new Hono<EdgeEnv>().get('/', describeRoute(homeDoc), requireUser('profile'), async (c) => {
  const who = profileIdentity(c);
  const language = genericLanguage(profileClaims(c).lang);
  // Most profiles' shared rows are the token's language's: asked for while the rest is gathered.
  const guessed = sharedRows(c, language);
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
  const personal = await personalPart(c, { pending, complete, variants });
  let shared: HomeShared | null = await guessed;
  if (personal && personal.language !== language) shared = await sharedRows(c, personal.language);
  // Asked again once: what timed out here is still being computed, and kept, at the origin.
  if (personal && !shared) shared = await sharedRows(c, personal.language);
  const lastGoodKey = `/profiles/${who.profileId}`;
  if (personal && shared) {
    const { page, text } = pageFor(shared, personal, variants);
    // A fallback copy: refreshed now and then, not on every visit (each is a write).
    if (recently.claim(lastGoodKey, LAST_GOOD_REFRESH_S)) cachePut(c, lastGoodKey, page, LAST_GOOD_TTL_S);
    return c.body(text, 200, { 'content-type': 'application/json' });
  }
  const lastGood = (await cache.get(lastGoodKey).catch(() => null))?.value;
  if (lastGood) return c.json({ ...lastGood, fallback: 'last_good' } satisfies HomePage);
  const fallbackRows = shared ?? (await staleSharedRows(c, language));
  if (fallbackRows) return c.json(genericPage(fallbackRows));
  throw new HttpError('unavailable', 'The homepage is unavailable; try again shortly', {
    headers: { 'retry-after': '5' },
  });
});
