import { Hono } from 'hono';
import { HttpError } from '../../../core/problem.ts';
import { signUserToken } from '../../../core/tokens.ts';
import { LoginRequest, type TokenResponse } from '../../../core/wire.ts';
import { dummyPasswordHash, verifyPassword } from '../auth/passwords.ts';
import type { OriginEnv } from '../http/context.ts';
import { jsonBody } from '../http/body.ts';

/** Email + password in, a short-lived account token out. */
export const auth = new Hono<OriginEnv>().post('/login', async (c) => {
  const { email, password } = await jsonBody(c, LoginRequest);
  const { stores, signer, tokenSettings, log } = c.get('deps');
  const account = await stores.accounts.findAccountByEmail(email);
  // Hash even for unknown emails so response time does not reveal which emails exist.
  const ok = await verifyPassword(password, account?.passwordHash ?? (await dummyPasswordHash()));
  if (!account || !ok) {
    log.info('login_failed', { requestId: c.get('requestId') });
    throw new HttpError('invalid_credentials', 'Email or password is wrong');
  }
  const { token, expiresAt } = await signUserToken(
    { sub: account.id, scope: 'account', plan: account.planId, since: Math.floor(account.createdAt.getTime() / 1000) },
    signer,
    tokenSettings,
  );
  log.info('login_succeeded', { requestId: c.get('requestId'), accountId: account.id });
  return c.json({ token, tokenType: 'Bearer', expiresAt: expiresAt.toISOString() } satisfies TokenResponse);
});
