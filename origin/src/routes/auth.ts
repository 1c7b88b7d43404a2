import { Hono } from 'hono';
import { BODY_PROBLEMS, describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';
import * as example from '../../../core/api/examples.ts';
import { HttpError } from '../../../core/problem.ts';
import {
  EmptyBody,
  OriginLoginRequest,
  REVOKED_SESSIONS_HEADER,
  RefreshRequest,
  SessionTokenResponse,
} from '../../../core/wire.ts';
import { dummyPasswordHash, verifyPassword } from '../auth/passwords.ts';
import {
  accountToken,
  checkRefreshTokenShape,
  clock,
  newRefreshToken,
  profileToken,
  refreshTokenHash,
  revokedHeader,
  successorOf,
  tokenBody,
} from '../auth/sessions.ts';
import type { AppContext, OriginEnv } from '../http/context.ts';
import { jsonBody } from '../http/body.ts';
import { callerAccount } from '../http/middleware.ts';

const REVOKED_HEADER_DOC = {
  [REVOKED_SESSIONS_HEADER]: {
    description: 'The sessions just revoked, `<accountId>;<untilEpochMs>;<sessionId>,…` (the edge strips it)',
    schema: { type: 'string' },
  },
};

const loginDoc: OperationSpec = {
  operationId: 'login',
  summary: 'Check email and password; a new session with an account token and a refresh token',
  tags: ['accounts'],
  security: ['serviceCredential'],
  body: {
    schema: OriginLoginRequest,
    example: { email: 'demo@edgeflix.test', password: 'edgeflix-demo', deviceName: 'Living-room TV', country: 'DE' },
  },
  responses: { 200: json(SessionTokenResponse, 'The new session', example.SESSION_TOKEN) },
  problems: [...BODY_PROBLEMS, 'invalid_credentials'],
};
const refreshDoc: OperationSpec = {
  operationId: 'refresh',
  summary: "Rotate a session's refresh token for a new account token (and a profile token if asked)",
  description:
    'A refresh token presented again after it was rotated signs the session out (`session_revoked`, with the revocation header).',
  tags: ['accounts'],
  security: ['serviceCredential'],
  body: { schema: RefreshRequest, example: { refreshToken: example.SESSION_TOKEN.refreshToken } },
  responses: { 200: json(SessionTokenResponse, 'The session, with its next refresh token', example.SESSION_TOKEN) },
  problems: [...BODY_PROBLEMS, 'invalid_refresh_token', 'session_revoked', 'forbidden'],
};
const logoutDoc: OperationSpec = {
  operationId: 'logout',
  summary: "Sign out the calling session (the token's `sid`)",
  tags: ['accounts'],
  security: ['serviceCredential'],
  body: { schema: EmptyBody, required: false, description: 'Nothing, or `{}` (not read)' },
  responses: { 204: { description: 'Signed out', headers: REVOKED_HEADER_DOC } },
};
const logoutAllDoc: OperationSpec = {
  operationId: 'logoutAll',
  summary: 'Sign out every session of the calling account',
  tags: ['accounts'],
  security: ['serviceCredential'],
  body: { schema: EmptyBody, required: false, description: 'Nothing, or `{}` (not read)' },
  responses: { 204: { description: 'Every session signed out', headers: REVOKED_HEADER_DOC } },
};

/** The calling session (the `sid` the edge verified), or 401. */
export function callerSession(c: AppContext): { accountId: string; sessionId: string } {
  const accountId = callerAccount(c.get('caller'));
  const sessionId = c.get('sessionId');
  if (!sessionId) throw new HttpError('unauthenticated', 'This route needs a token minted for a session');
  return { accountId, sessionId };
}

/**
 * Sign-in (a new session: an account token and a refresh token), refresh (rotates the refresh
 * token; core/sessions.ts has the rules), and signing out this device or every device.
 */
export const auth = new Hono<OriginEnv>()
  .post('/login', describeRoute(loginDoc), async (c) => {
    const body = await jsonBody(c, OriginLoginRequest);
    const deps = c.get('deps');
    const { stores, log } = deps;
    const account = await stores.accounts.findAccountByEmail(body.email);
    // Hash even for unknown emails so response time does not reveal which emails exist.
    const ok = await verifyPassword(body.password, account?.passwordHash ?? (await dummyPasswordHash()));
    if (!account || !ok) {
      log.info('login_failed', { requestId: c.get('requestId') });
      throw new HttpError('invalid_credentials', 'Email or password is wrong');
    }
    const now = clock(deps);
    const sessionId = crypto.randomUUID();
    const refreshToken = newRefreshToken();
    const absoluteExpiresAt = new Date(now.getTime() + deps.sessions.absoluteS * 1000);
    const idleExpiresAt = new Date(Math.min(now.getTime() + deps.sessions.idleS * 1000, absoluteExpiresAt.getTime()));
    await stores.sessions.create({
      id: sessionId,
      accountId: account.id,
      deviceName: body.deviceName ?? null,
      deviceType: body.deviceType ?? null,
      userAgent: body.userAgent ?? null,
      country: body.country ?? null,
      createdAt: now,
      idleExpiresAt,
      absoluteExpiresAt,
      refreshHash: refreshTokenHash(refreshToken),
    });
    const access = await accountToken(deps, account, sessionId);
    log.info('login_succeeded', { requestId: c.get('requestId'), accountId: account.id });
    return c.json({
      ...tokenBody(access),
      refreshToken,
      refreshExpiresAt: idleExpiresAt.toISOString(),
      sessionId,
    } satisfies SessionTokenResponse);
  })
  .post('/refresh', describeRoute(refreshDoc), async (c) => {
    const { refreshToken, profileId } = await jsonBody(c, RefreshRequest);
    checkRefreshTokenShape(refreshToken);
    const deps = c.get('deps');
    const successor = successorOf(refreshToken, deps.serviceSecret);
    const outcome = await deps.stores.sessions.refresh(
      refreshTokenHash(refreshToken),
      refreshTokenHash(successor),
      clock(deps),
      deps.sessions,
    );
    switch (outcome.kind) {
      case 'unknown':
        throw new HttpError('invalid_refresh_token', 'Refresh token is not known');
      case 'ended':
        if (outcome.reason === 'revoked') throw new HttpError('session_revoked', 'This session was signed out');
        throw new HttpError('invalid_refresh_token', `The session has expired (${outcome.reason})`);
      case 'reused':
        deps.log.warn('refresh_token_reused', { requestId: c.get('requestId'), accountId: outcome.session.accountId });
        throw new HttpError('session_revoked', 'A used refresh token was presented again: the session is signed out', {
          headers: revokedHeader(deps, outcome.session.accountId, [outcome.session.id]),
        });
    }
    const { session } = outcome;
    const [account, profile] = await Promise.all([
      deps.stores.accounts.getAccount(session.accountId),
      profileId ? deps.stores.accounts.getProfile(session.accountId, profileId) : null,
    ]);
    if (!account) throw new HttpError('invalid_refresh_token', 'The account no longer exists');
    if (profileId && !profile) throw new HttpError('forbidden', 'That profile does not belong to this account');
    const access = await accountToken(deps, account, session.id);
    return c.json({
      ...tokenBody(access),
      refreshToken: successor,
      refreshExpiresAt: session.idleExpiresAt.toISOString(),
      sessionId: session.id,
      ...(profile ? { profile: tokenBody(await profileToken(deps, account, profile, session.id)) } : {}),
    } satisfies SessionTokenResponse);
  })
  .post('/logout', describeRoute(logoutDoc), async (c) => {
    const { accountId, sessionId } = callerSession(c);
    const deps = c.get('deps');
    const revoked = await deps.stores.sessions.revoke(accountId, { ids: [sessionId] }, clock(deps), 'logout');
    return c.body(null, 204, revokedHeader(deps, accountId, revoked));
  })
  .post('/logout-all', describeRoute(logoutAllDoc), async (c) => {
    const accountId = callerAccount(c.get('caller'));
    const deps = c.get('deps');
    const revoked = await deps.stores.sessions.revoke(accountId, { allExcept: null }, clock(deps), 'logout_all');
    return c.body(null, 204, revokedHeader(deps, accountId, revoked));
  });
