import { Hono } from 'hono';
import { parseOrThrow, readJsonBody } from '../../../../core/validation.ts';
import { PasswordChangeRequest, SessionIdParam } from '../../../../core/wire.ts';
import { callerIdentity, requireUser } from '../http/auth.ts';
import type { EdgeEnv } from '../http/context.ts';
import { callOrigin } from '../origin.ts';

/** This account's signed-in devices, and signing one out. */
export const sessions = new Hono<EdgeEnv>()
  .get('/', requireUser('any'), (c) =>
    callOrigin(c, { method: 'GET', path: '/v1/sessions', caller: callerIdentity(c) }),
  )
  .delete('/:sessionId', requireUser('any'), (c) => {
    const { sessionId } = parseOrThrow(SessionIdParam, c.req.param(), 'path');
    return callOrigin(c, { method: 'DELETE', path: `/v1/sessions/${sessionId}`, caller: callerIdentity(c) });
  });

/** Account settings: a password change signs out every other device. */
export const account = new Hono<EdgeEnv>().post('/password', requireUser('any'), async (c) => {
  const body = parseOrThrow(PasswordChangeRequest, await readJsonBody(c.req.raw), 'request body');
  return callOrigin(c, { method: 'POST', path: '/v1/account/password', body, caller: callerIdentity(c) });
});
