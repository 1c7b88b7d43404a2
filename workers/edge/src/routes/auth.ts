import { Hono } from 'hono';
import * as example from '../../../../core/api/examples.ts';
import { BODY_PROBLEMS, describeRoute, json, type OperationSpec } from '../../../../core/api/openapi.ts';
import { parseOrThrow, readJsonBody } from '../../../../core/validation.ts';
import { LoginRequest, RefreshRequest, SessionTokenResponse, type OriginLoginRequest } from '../../../../core/wire.ts';
import { callerIdentity, requireUser } from '../http/auth.ts';
import type { EdgeEnv } from '../http/context.ts';
import { limitedLogin } from '../http/login-limit.ts';
import { callOrigin } from '../origin.ts';

const loginDoc: OperationSpec = {
  operationId: 'login',
  summary: 'Sign in with email and password',
  description:
    'Starts a session (one entry of the device list): a short-lived account token (list the profiles with it, then select one) and a refresh token for the next ones. ' +
    'The answer also carries a `deviceToken`: send it as `deviceToken` with later sign-ins on this device, and failed sign-ins for the email from elsewhere do not lock this device out (docs/api.md, Login limits).',
  tags: ['auth'],
  security: [],
  body: {
    schema: LoginRequest,
    example: { email: 'demo@edgeflix.test', password: 'edgeflix-demo', deviceName: 'Living-room TV', deviceType: 'tv' },
  },
  responses: {
    200: json(SessionTokenResponse, 'The new session', { ...example.SESSION_TOKEN, deviceToken: example.DEVICE_TOKEN }),
  },
  problems: [...BODY_PROBLEMS, 'invalid_credentials', 'origin_unavailable', 'unavailable'],
};
const refreshDoc: OperationSpec = {
  operationId: 'refresh',
  summary: 'Trade a refresh token for a new account token and the next refresh token',
  description:
    'Each refresh token works once: presenting one again after it was rotated signs the whole session out (`session_revoked`). With `profileId`, a profile token comes along.',
  tags: ['auth'],
  security: [],
  body: { schema: RefreshRequest, example: { refreshToken: example.SESSION_TOKEN.refreshToken } },
  responses: { 200: json(SessionTokenResponse, 'The session, with its next refresh token', example.SESSION_TOKEN) },
  problems: [
    ...BODY_PROBLEMS,
    'invalid_refresh_token',
    'session_revoked',
    'forbidden',
    'origin_unavailable',
    'unavailable',
  ],
};
const logoutDoc: OperationSpec = {
  operationId: 'logout',
  summary: 'Sign out this device',
  description: "Ends the token's session; its tokens stop working at every edge.",
  tags: ['auth'],
  security: ['accountToken', 'profileToken'],
  responses: { 204: { description: 'Signed out' } },
  problems: ['origin_unavailable', 'unavailable'],
};
const logoutAllDoc: OperationSpec = {
  operationId: 'logoutAll',
  summary: 'Sign out every device of the account',
  description: 'Including this one.',
  tags: ['auth'],
  security: ['accountToken', 'profileToken'],
  responses: { 204: { description: 'Every session signed out' } },
  problems: ['origin_unavailable', 'unavailable'],
};

/** A two-letter country the edge saw, if Cloudflare named one (`XX`/`T1` are kept: they are codes too). */
function countryOf(request: Request): string | null {
  const country = (request as { cf?: { country?: unknown } }).cf?.country;
  return typeof country === 'string' && /^[A-Z0-9]{2}$/.test(country) ? country : null;
}

/**
 * Sign-in, refresh and sign-out: validated here, decided at the origin (sessions in PostgreSQL).
 * The session's country comes from the edge, never from the client.
 */
export const auth = new Hono<EdgeEnv>()
  .post('/login', describeRoute(loginDoc), async (c) => {
    const { deviceToken, ...body } = parseOrThrow(LoginRequest, await readJsonBody(c.req.raw), 'request body');
    const forwarded: OriginLoginRequest = {
      ...body,
      country: countryOf(c.req.raw),
      userAgent: c.req.header('user-agent')?.slice(0, 512) ?? null,
    };
    return limitedLogin(c, { email: body.email, deviceToken }, () =>
      callOrigin(c, { method: 'POST', path: '/v1/auth/login', body: forwarded }),
    );
  })
  .post('/refresh', describeRoute(refreshDoc), async (c) => {
    const body = parseOrThrow(RefreshRequest, await readJsonBody(c.req.raw), 'request body');
    return callOrigin(c, { method: 'POST', path: '/v1/auth/refresh', body });
  })
  .post('/logout', describeRoute(logoutDoc), requireUser('any'), (c) =>
    callOrigin(c, { method: 'POST', path: '/v1/auth/logout', body: {}, caller: callerIdentity(c) }),
  )
  .post('/logout-all', describeRoute(logoutAllDoc), requireUser('any'), (c) =>
    callOrigin(c, { method: 'POST', path: '/v1/auth/logout-all', body: {}, caller: callerIdentity(c) }),
  );
