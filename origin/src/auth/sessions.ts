/**
 * Minting a session's tokens: the opaque refresh token (its hash is all the store keeps), its
 * derived successor (core/sessions.ts explains why derived), and the access and profile tokens
 * that carry the session id. Revocations are announced to the edge in a response header.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { HttpError } from '../../../core/problem.ts';
import { REFRESH_TOKEN_PATTERN, REVOCATION_MEMORY_S } from '../../../core/sessions.ts';
import { identityClaims, signUserToken } from '../../../core/tokens.ts';
import { REVOKED_SESSIONS_HEADER, type TokenResponse } from '../../../core/wire.ts';
import type { AppDeps } from '../http/context.ts';
import type { AccountRecord, ProfileRecord } from '../stores/types.ts';

/** A fresh refresh token: 256 random bits. */
export function newRefreshToken(): string {
  return `rt_${randomBytes(32).toString('base64url')}`;
}

/** What the store keeps of a refresh token. */
export function refreshTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The token a refresh token rotates to: fixed per token, unguessable without the server key. */
export function successorOf(token: string, serviceSecret: string): string {
  const key = createHmac('sha256', serviceSecret).update('edgeflix refresh-token rotation').digest();
  return `rt_${createHmac('sha256', key).update(token).digest('base64url')}`;
}

/** A refresh token's shape, or 401 (before any lookup). */
export function checkRefreshTokenShape(token: string): void {
  if (!REFRESH_TOKEN_PATTERN.test(token)) throw new HttpError('invalid_refresh_token', 'Refresh token is malformed');
}

export const clock = (deps: AppDeps): Date => deps.now?.() ?? new Date();

const since = (account: AccountRecord) => Math.floor(account.createdAt.getTime() / 1000);

/** An account token for a session. */
export function accountToken(deps: AppDeps, account: AccountRecord, sessionId: string) {
  return signUserToken(
    { sub: account.id, scope: 'account', plan: account.planId, since: since(account), sid: sessionId },
    deps.signer,
    deps.tokenSettings,
    clock(deps).getTime(),
    deps.sessions.accountTokenTtlS,
  );
}

/** A profile token for a session. */
export function profileToken(deps: AppDeps, account: AccountRecord, profile: ProfileRecord, sessionId?: string) {
  return signUserToken(
    {
      ...identityClaims({ accountId: account.id, profileId: profile.id, maturityLevel: profile.maturityLevel }),
      scope: 'profile',
      plan: account.planId,
      since: since(account),
      lang: profile.language,
      ...(sessionId ? { sid: sessionId } : {}),
    },
    deps.signer,
    deps.tokenSettings,
    clock(deps).getTime(),
    deps.sessions.profileTokenTtlS,
  );
}

export const tokenBody = (t: { token: string; expiresAt: Date }): TokenResponse => ({
  token: t.token,
  tokenType: 'Bearer',
  expiresAt: t.expiresAt.toISOString(),
});

/**
 * Tells the edge (which strips the header) which sessions of an account were revoked, so it
 * refuses their tokens everywhere until `REVOCATION_MEMORY_S` has passed.
 */
export function revokedHeader(deps: AppDeps, accountId: string, sessionIds: string[]): Record<string, string> {
  if (sessionIds.length === 0) return {};
  const until = clock(deps).getTime() + REVOCATION_MEMORY_S * 1000;
  return { [REVOKED_SESSIONS_HEADER]: `${accountId};${until};${sessionIds.join(',')}` };
}
