import { Hono } from 'hono';
import { parseOrThrow, readJsonBody } from '../../../../core/validation.ts';
import { LoginRequest, RefreshRequest, type OriginLoginRequest } from '../../../../core/wire.ts';
import { callerIdentity, requireUser } from '../http/auth.ts';
import type { EdgeEnv } from '../http/context.ts';
import { callOrigin } from '../origin.ts';

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
  .post('/login', async (c) => {
    const { deviceToken: _deviceToken, ...body } = parseOrThrow(
      LoginRequest,
      await readJsonBody(c.req.raw),
      'request body',
    );
    const forwarded: OriginLoginRequest = {
      ...body,
      country: countryOf(c.req.raw),
      userAgent: c.req.header('user-agent')?.slice(0, 512) ?? null,
    };
    return callOrigin(c, { method: 'POST', path: '/v1/auth/login', body: forwarded });
  })
  .post('/refresh', async (c) => {
    const body = parseOrThrow(RefreshRequest, await readJsonBody(c.req.raw), 'request body');
    return callOrigin(c, { method: 'POST', path: '/v1/auth/refresh', body });
  })
  .post('/logout', requireUser('any'), (c) =>
    callOrigin(c, { method: 'POST', path: '/v1/auth/logout', body: {}, caller: callerIdentity(c) }),
  )
  .post('/logout-all', requireUser('any'), (c) =>
    callOrigin(c, { method: 'POST', path: '/v1/auth/logout-all', body: {}, caller: callerIdentity(c) }),
  );
