import { Hono } from 'hono';
import { HttpError } from '../../../core/problem.ts';
import { PasswordChangeRequest } from '../../../core/wire.ts';
import { hashPassword, verifyPassword } from '../auth/passwords.ts';
import { clock, revokedHeader } from '../auth/sessions.ts';
import type { OriginEnv } from '../http/context.ts';
import { jsonBody } from '../http/body.ts';
import { callerSession } from './auth.ts';

/** Account settings: changing the password signs out every other device. */
export const account = new Hono<OriginEnv>().post('/password', async (c) => {
  const { accountId, sessionId } = callerSession(c);
  const { oldPassword, newPassword } = await jsonBody(c, PasswordChangeRequest);
  const deps = c.get('deps');
  const record = await deps.stores.accounts.getAccount(accountId);
  if (!record || !(await verifyPassword(oldPassword, record.passwordHash))) {
    throw new HttpError('invalid_credentials', 'The old password is wrong');
  }
  await deps.stores.accounts.setPasswordHash(accountId, await hashPassword(newPassword));
  const revoked = await deps.stores.sessions.revoke(
    accountId,
    { allExcept: sessionId },
    clock(deps),
    'password_changed',
  );
  return c.body(null, 204, revokedHeader(deps, accountId, revoked));
});
