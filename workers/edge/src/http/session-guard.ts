/**
 * Revocation at the edge without an origin call per request. Each account's revoked sessions live
 * in its SessionGuard Durable Object; an isolate asks it at most once per `GUARD_CACHE_MS` per
 * account and keeps the answer, so a sign-out anywhere is refused everywhere within that bound
 * (plus the DO write, milliseconds). An isolate that pushes a revocation also updates its own copy.
 *
 * When the guard cannot answer, the last answer is used while it is younger than
 * `GUARD_STALE_LIMIT_MS`; past that (or with no answer at all) the request fails closed with a 503
 * `unavailable` and Retry-After: a token must not outlive its sign-out by more than that bound.
 *
 * Segment tokens carry the session too (core/segment-token.ts), so HLS media playlists and media
 * segments get the same check: a Map lookup in the isolate, a guard call at most once per
 * `GUARD_CACHE_MS` per account, whatever the player's segment rate.
 */
import { HttpError } from '../../../../core/problem.ts';
import { REVOKED_SESSIONS_HEADER } from '../../../../core/wire.ts';
import type { SegmentClaims } from '../../../../core/segment-token.ts';
import type { AppContext } from './context.ts';

/** How long an isolate trusts its copy of an account's revoked sessions. */
export const GUARD_CACHE_MS = 2_000;
/** How long a copy may serve while the guard is unreachable, before requests fail closed. */
export const GUARD_STALE_LIMIT_MS = 30_000;
const MAX_CACHED_ACCOUNTS = 10_000;

interface Known {
  at: number;
  revoked: Set<string>;
}
const known = new Map<string, Known>();
/** Lookups under way, per account: requests arriving meanwhile wait for the same answer. */
const pending = new Map<string, Promise<Known>>();

/** The account's SessionGuard. */
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
  const now = Date.now();
  let entry = known.get(claims.sub);
  if (!entry || now - entry.at > GUARD_CACHE_MS) {
    try {
      entry = await lookup(c.env, claims.sub, now);
    } catch (err) {
      c.get('log').error('session_guard_unavailable', { requestId: c.get('requestId'), error: String(err) });
      if (!entry || now - entry.at > GUARD_STALE_LIMIT_MS) {
        throw new HttpError('unavailable', 'Sign-outs cannot be checked right now; retry later', {
          cause: err,
          headers: { 'retry-after': '2' },
        });
      }
    }
  }
  if (entry.revoked.has(claims.sid)) throw new HttpError('session_revoked', 'This session was signed out');
}

/** The account's revoked sessions from its guard, one call at a time per account and isolate. */
function lookup(env: Env, accountId: string, now: number): Promise<Known> {
  const under = pending.get(accountId);
  if (under) return under;
  const answer: Promise<Known> = guardOf(env, accountId)
    .revokedSessions()
    .then((ids) => {
      const entry = { at: now, revoked: new Set(ids) };
      // A revocation relayed meanwhile dropped this lookup: its answer may predate it.
      if (pending.get(accountId) === answer) {
        if (known.size >= MAX_CACHED_ACCOUNTS) known.clear();
        known.set(accountId, entry);
      }
      return entry;
    })
    .finally(() => {
      if (pending.get(accountId) === answer) pending.delete(accountId);
    });
  pending.set(accountId, answer);
  return answer;
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
 * Relays the origin's announcement of revoked sessions (`REVOKED_SESSIONS_HEADER`) to the
 * account's guard and this isolate's copy, and strips the header from what the client sees.
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
  try {
    await guardOf(c.env, accountId).revoke(sessionIds, Number(until));
    pending.delete(accountId);
    const entry = known.get(accountId);
    if (entry) for (const id of sessionIds) entry.revoked.add(id);
  } catch (err) {
    // The session is revoked at the origin (no refresh, no profile token); its live access tokens
    // are then refused only once they expire. Logged as an error for an operator to see.
    c.get('log').error('session_guard_push_failed', { requestId: c.get('requestId'), error: String(err) });
  }
  return stripped;
}
