import { Hono } from 'hono';
import { BODY_PROBLEMS, describeRoute, type OperationSpec } from '../../../core/api/openapi.ts';
import { HttpError } from '../../../core/problem.ts';
import { PasswordChangeRequest, REVOKED_SESSIONS_HEADER } from '../../../core/wire.ts';
import { hashPassword, verifyPassword } from '../auth/passwords.ts';
import { clock, revokedHeader } from '../auth/sessions.ts';
import type { OriginEnv } from '../http/context.ts';
import { jsonBody } from '../http/body.ts';
import { callerSession } from './auth.ts';

const passwordDoc: OperationSpec = {
  operationId: 'changePassword',
  summary: "Change the calling account's password; every other session is signed out",
  tags: ['accounts'],
  security: ['serviceCredential'],
  body: { schema: PasswordChangeRequest, example: { oldPassword: 'edgeflix-demo', newPassword: 'a-longer-secret' } },
  responses: {
    204: {
      description: 'Changed',
      headers: {
        [REVOKED_SESSIONS_HEADER]: {
          description: 'The sessions just revoked, `<accountId>;<untilEpochMs>;<sessionId>,…` (the edge strips it)',
          schema: { type: 'string' },
        },
      },
    },
  },
  problems: [...BODY_PROBLEMS, 'invalid_credentials'],
};

/** Account settings: changing the password signs out every other device. */
export const account = new Hono<OriginEnv>().post('/password', describeRoute(passwordDoc), async (c) => {
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
