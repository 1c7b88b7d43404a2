import { Hono } from 'hono';
import { parseOrThrow, readJsonBody } from '../../../../core/validation.ts';
import { LoginRequest } from '../../../../core/wire.ts';
import type { EdgeEnv } from '../http/context.ts';
import { callOrigin } from '../origin.ts';

/** Sign-in: validated here, checked against the account store at the origin. */
export const auth = new Hono<EdgeEnv>().post('/login', async (c) => {
  const body = parseOrThrow(LoginRequest, await readJsonBody(c.req.raw), 'request body');
  return callOrigin(c, { method: 'POST', path: '/v1/auth/login', body });
});
