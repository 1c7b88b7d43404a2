import { Hono } from 'hono';
import * as example from '../../../../core/api/examples.ts';
import { BODY_PROBLEMS, describeRoute, json, type OperationSpec } from '../../../../core/api/openapi.ts';
import { parseOrThrow, readJsonBody } from '../../../../core/validation.ts';
import { LoginRequest, TokenResponse } from '../../../../core/wire.ts';
import type { EdgeEnv } from '../http/context.ts';
import { callOrigin } from '../origin.ts';

const loginDoc: OperationSpec = {
  operationId: 'login',
  summary: 'Sign in with email and password',
  description: 'Answers a short-lived account token: list the profiles with it, then select one.',
  tags: ['auth'],
  security: [],
  body: { schema: LoginRequest, example: { email: 'demo@edgeflix.test', password: 'edgeflix-demo' } },
  responses: { 200: json(TokenResponse, 'An account token', example.TOKEN) },
  problems: [...BODY_PROBLEMS, 'invalid_credentials', 'origin_unavailable', 'unavailable'],
};

/** Sign-in: validated here, checked against the account store at the origin. */
export const auth = new Hono<EdgeEnv>().post('/login', describeRoute(loginDoc), async (c) => {
  const body = parseOrThrow(LoginRequest, await readJsonBody(c.req.raw), 'request body');
  return callOrigin(c, { method: 'POST', path: '/v1/auth/login', body });
});
