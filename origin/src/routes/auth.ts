import { Hono } from 'hono';
import { BODY_PROBLEMS, describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';
import * as example from '../../../core/api/examples.ts';
import { HttpError } from '../../../core/problem.ts';
import { signUserToken } from '../../../core/tokens.ts';
import { LoginRequest, TokenResponse } from '../../../core/wire.ts';
import { dummyPasswordHash, verifyPassword } from '../auth/passwords.ts';
import type { OriginEnv } from '../http/context.ts';
import { jsonBody } from '../http/body.ts';

const loginDoc: OperationSpec = {
  operationId: 'login',
  summary: 'Check email and password; an account token',
  tags: ['accounts'],
  security: ['serviceCredential'],
  body: { schema: LoginRequest, example: { email: 'demo@edgeflix.test', password: 'edgeflix-demo' } },
  responses: { 200: json(TokenResponse, 'An account token', example.TOKEN) },
  problems: [...BODY_PROBLEMS, 'invalid_credentials'],
};

/** Email + password in, a short-lived account token out. */
export const auth = new Hono<OriginEnv>().post('/login', describeRoute(loginDoc), async (c) => {
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
