/**
 * Session rules, apart from where they are stored: lifetimes, refresh-token rotation and reuse
 * detection (RFC 9700 §4.14.2), and how long the edge must remember a revoked session.
 *
 * A session is one signed-in device. Its refresh token is opaque (256 random bits, `rt_` +
 * base64url) and stored only as a SHA-256 hash. Every refresh rotates it; the successor of a token
 * is derived from it with a server-side HMAC key, so the same token always has the same successor.
 * That makes the grace for a lost response exact: within `reuseGraceS` of a rotation, the token
 * just rotated away is answered with the same successor again (and a fresh access token), nothing
 * else changes. Past the grace, or any older token, is a reuse: the whole session is revoked.
 */
import { ACCOUNT_TOKEN_TTL_S, CLOCK_TOLERANCE_S, PROFILE_TOKEN_TTL_S } from './tokens.ts';

export interface SessionSettings {
  /** Lifetime of an account access token (at most ACCOUNT_TOKEN_TTL_S). */
  accountTokenTtlS: number;
  /** Lifetime of a profile token (at most PROFILE_TOKEN_TTL_S). */
  profileTokenTtlS: number;
  /** A session unused this long ends (sliding: every refresh extends it, up to the absolute end). */
  idleS: number;
  /** A session ends this long after sign-in, however often it is used. */
  absoluteS: number;
  /** How long after a rotation the token rotated away still answers (a response lost on the way). */
  reuseGraceS: number;
}

export const DEFAULT_SESSION_SETTINGS: SessionSettings = {
  accountTokenTtlS: 10 * 60,
  profileTokenTtlS: 15 * 60,
  idleS: 30 * 86_400,
  absoluteS: 365 * 86_400,
  reuseGraceS: 10,
};

/**
 * How long after a revocation the edge must still refuse the session's tokens: until every token
 * minted before it has expired (the longest a user token may live, plus the clock tolerance).
 */
export const REVOCATION_MEMORY_S = Math.max(ACCOUNT_TOKEN_TTL_S, PROFILE_TOKEN_TTL_S) + CLOCK_TOLERANCE_S;

/** A refresh token's shape: checked before any lookup, so garbage never reaches the database. */
export const REFRESH_TOKEN_PATTERN = /^rt_[A-Za-z0-9_-]{43}$/;

/** What the store knows about the session a presented refresh token names. */
export interface SessionState {
  refreshHash: string;
  previousRefreshHash: string | null;
  rotatedAt: Date | null;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
  revokedAt: Date | null;
}

export type RefreshDecision =
  /** The current token: rotate to its successor. */
  | { kind: 'rotate' }
  /** The token rotated away moments ago: answer the same successor again, change nothing. */
  | { kind: 'replay' }
  /** A token already rotated away, past the grace: revoke the session. */
  | { kind: 'reuse' }
  /** The session is over: revoked, idle too long, or past its absolute end. */
  | { kind: 'ended'; reason: 'revoked' | 'idle' | 'absolute' };

/**
 * What to do with a refresh token whose hash is `presented`, for the session whose current or
 * previous hash it is (a hash found only among older tokens is a `reuse` without asking this).
 */
export function refreshDecision(
  session: SessionState,
  presented: string,
  now: Date,
  settings: Pick<SessionSettings, 'reuseGraceS'>,
): RefreshDecision {
  if (session.revokedAt !== null) return { kind: 'ended', reason: 'revoked' };
  if (now >= session.absoluteExpiresAt) return { kind: 'ended', reason: 'absolute' };
  if (now >= session.idleExpiresAt) return { kind: 'ended', reason: 'idle' };
  if (presented === session.refreshHash) return { kind: 'rotate' };
  if (presented === session.previousRefreshHash && session.rotatedAt !== null) {
    const sinceRotation = now.getTime() - session.rotatedAt.getTime();
    return sinceRotation <= settings.reuseGraceS * 1000 ? { kind: 'replay' } : { kind: 'reuse' };
  }
  return { kind: 'reuse' };
}

/** The idle end after a use at `now`: slides forward, never past the absolute end. */
export function slidIdleExpiry(now: Date, absoluteExpiresAt: Date, settings: Pick<SessionSettings, 'idleS'>): Date {
  return new Date(Math.min(now.getTime() + settings.idleS * 1000, absoluteExpiresAt.getTime()));
}
