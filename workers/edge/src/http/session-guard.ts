/**
 * Revocation at the edge without an origin call per request, and without a Durable Object call per
 * request either. Every isolate keeps a view of the RevocationFeed (workers/revocation-feed: the
 * log of every revoked session, all accounts): a request whose token names a session is a Map
 * lookup in that view. A view older than `FEED_MAX_AGE_MS` is refreshed first (one call for the
 * whole isolate, shared by the requests that arrive meanwhile), so a sign-out anywhere is refused
 * everywhere within `FEED_MAX_AGE_MS` plus one feed call. An isolate that relays a revocation also
 * updates its own view at once.
 *
 * When the feed cannot answer, the last view is used while it is younger than
 * `FEED_STALE_LIMIT_MS`; past that (or with no view at all) the request fails closed with a 503
 * `unavailable` and Retry-After: a token must not outlive its sign-out by more than that bound.
 *
 * Segment tokens carry the session too (core/segment-token.ts), so HLS media playlists and media
 * segments get the same check, whatever the player's segment rate.
 *
 * The account's SessionGuard (workers/session-guard) still gets every revocation: it pushes it to
 * the account's open sign-out sockets (`GET /v1/sessions/events`).
 */
import {
  FeedUnavailableError,
  MAX_APPEND,
  REVOCATION_FEED_MEMORY_MS,
  RevocationView,
  type Revocation,
} from '../../../../core/revocation-feed.ts';
import { HttpError } from '../../../../core/problem.ts';
import { REVOKED_SESSIONS_HEADER } from '../../../../core/wire.ts';
import type { SegmentClaims } from '../../../../core/segment-token.ts';
import { feedOf } from '../../../revocation-feed/src/rpc.ts';
import { edgeLogger } from '../log.ts';
import type { AppContext } from './context.ts';

/** How old an isolate's view of the feed may be before a request waits for a refresh. */
export const FEED_MAX_AGE_MS = 1_000;
/** How long a view may serve while the feed is unreachable, before requests fail closed. */
export const FEED_STALE_LIMIT_MS = 30_000;
/** Tries of an append while the sign-out waits; then it answers 503 and retries in the background. */
const APPEND_TRIES = 2;
/** Background retries of an append that failed while the client waited (1, 2, 4, 8, 16 s apart). */
const BACKGROUND_APPEND_TRIES = 5;

/** The bindings the view calls the feed with: the latest request's (the same for the isolate's life). */
let feedEnv: Env | undefined;
let view: RevocationView | undefined;

/** This isolate's view of the revocation feed. */
export function revocationView(env: Env): RevocationView {
  feedEnv = env;
  view ??= new RevocationView({
    // A stub per call: stubs belong to the request that made them.
    fetchPage: (seq) => feedOf(feedEnv!).since(seq),
    maxAgeMs: FEED_MAX_AGE_MS,
    staleLimitMs: FEED_STALE_LIMIT_MS,
    onRefreshError: (err) => edgeLogger(feedEnv!).warn('revocation_feed_unavailable', { error: String(err) }),
  });
  return view;
}

/** The account's SessionGuard (its sign-out sockets). */
export function guardOf(env: Env, accountId: string) {
  return env.SESSION_GUARD.get(env.SESSION_GUARD.idFromName(accountId));
}

/** The account (`sub`) and session (`sid`) a verified user or segment token names. */
export interface SessionRef {
  sub: string;
  sid?: string | undefined;
}

/** Refuses (401 `session_revoked`) a verified token whose session was signed out. */
export async function checkSession(c: AppContext, claims: SessionRef): Promise<void> {
  if (claims.sid === undefined) return;
  let revoked: boolean;
  try {
    revoked = await revocationView(c.env).isRevoked(claims.sid);
  } catch (err) {
    if (!(err instanceof FeedUnavailableError)) throw err;
    c.get('log').error('revocation_feed_stale', { requestId: c.get('requestId'), error: String(err.cause) });
    throw new HttpError('unavailable', 'Sign-outs cannot be checked right now; retry later', {
      cause: err,
      headers: { 'retry-after': '2' },
    });
  }
  if (revoked) throw new HttpError('session_revoked', 'This session was signed out');
}

/**
 * The same check for a verified segment token (HLS media playlists and segments), whose session is
 * the profile token's the manifest was signed for. A token naming no session passes.
 */
export async function checkSegmentSession(c: AppContext, claims: SegmentClaims): Promise<void> {
  if (claims.sub === undefined || claims.sid === undefined) return;
  await checkSession(c, { sub: claims.sub, sid: claims.sid });
}

/**
 * Relays the origin's announcement of revoked sessions (`REVOKED_SESSIONS_HEADER`) to the feed,
 * this isolate's view and the account's guard, and strips the header from what the client sees.
 *
 * The feed append finishes before the client gets its answer, so a sign-out that answered success
 * has reached the log every edge reads. If the feed cannot take it, the sign-out answers 503
 * `unavailable` (the session is revoked at the origin, so no refresh or profile token is granted,
 * but other locations would still accept its live tokens): the client must not be told "signed out
 * everywhere" when that is not under way. The append is then retried in the background.
 */
export async function relayRevocations(c: AppContext, response: Response): Promise<Response> {
  const announced = response.headers.get(REVOKED_SESSIONS_HEADER);
  if (announced === null) return response;
  const headers = new Headers(response.headers);
  headers.delete(REVOKED_SESSIONS_HEADER);
  const stripped = new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  const [accountId, until, ids] = announced.split(';');
  const sessionIds = (ids ?? '').split(',').filter((id) => id !== '');
  if (!accountId || !until || sessionIds.length === 0) return stripped;
  const revokedAt = Date.now();
  revocationView(c.env).add(sessionIds, revokedAt + REVOCATION_FEED_MEMORY_MS);
  const revocations = sessionIds.map((sessionId) => ({ sessionId, accountId, revokedAt }));
  const log = c.get('log');
  const [appended, pushed] = await Promise.allSettled([
    appendWithRetry(c.env, revocations, APPEND_TRIES, 0),
    guardOf(c.env, accountId).revoke(sessionIds, Number(until)),
  ]);
  if (pushed.status === 'rejected') {
    // Open sign-out sockets then learn of it from the 401 of their player's next request.
    log.error('session_guard_push_failed', { requestId: c.get('requestId'), error: String(pushed.reason) });
  }
  if (appended.status === 'rejected') {
    log.error('revocation_feed_append_failed', { requestId: c.get('requestId'), error: String(appended.reason) });
    await stripped.body?.cancel();
    c.executionCtx.waitUntil(
      appendWithRetry(c.env, revocations, BACKGROUND_APPEND_TRIES, 1_000).catch((err: unknown) =>
        log.error('revocation_feed_append_lost', { requestId: c.get('requestId'), error: String(err) }),
      ),
    );
    throw new HttpError('unavailable', 'Signed out here, but other locations could not be told yet; retry shortly', {
      headers: { 'retry-after': '2' },
    });
  }
  return stripped;
}

async function appendWithRetry(
  env: Env,
  revocations: Revocation[],
  tries: number,
  firstDelayMs: number,
): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    if (attempt > 0 || firstDelayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, (firstDelayMs || 100) * 2 ** attempt));
    }
    try {
      for (let i = 0; i < revocations.length; i += MAX_APPEND) {
        await feedOf(env).append(revocations.slice(i, i + MAX_APPEND));
      }
      return;
    } catch (err) {
      if (attempt + 1 >= tries) throw err;
    }
  }
}
