import { Hono } from 'hono';
import * as example from '../../../../core/api/examples.ts';
import { BODY_PROBLEMS, describeRoute, json, type OperationSpec } from '../../../../core/api/openapi.ts';
import { parseOrThrow, readJsonBody } from '../../../../core/validation.ts';
import { PasswordChangeRequest, SessionIdParam, SessionsResponse } from '../../../../core/wire.ts';
import { callerIdentity, requireUser } from '../http/auth.ts';
import type { EdgeEnv } from '../http/context.ts';
import { callOrigin } from '../origin.ts';

const listDoc: OperationSpec = {
  operationId: 'listSessions',
  summary: "The account's signed-in devices",
  description: '`current` marks the session of the calling token.',
  tags: ['sessions'],
  security: ['accountToken', 'profileToken'],
  responses: { 200: json(SessionsResponse, 'Every live session of the account', example.SESSIONS) },
  problems: ['origin_unavailable', 'unavailable'],
};
const revokeDoc: OperationSpec = {
  operationId: 'revokeSession',
  summary: 'Sign out one device',
  description:
    "Its tokens stop working at every edge. Another account's session, or one already signed out, answers 404.",
  tags: ['sessions'],
  security: ['accountToken', 'profileToken'],
  params: SessionIdParam,
  responses: { 204: { description: 'Signed out' } },
  problems: ['validation_failed', 'not_found', 'origin_unavailable', 'unavailable'],
};
const passwordDoc: OperationSpec = {
  operationId: 'changePassword',
  summary: 'Change the password',
  description: 'Every other device is signed out; this session stays.',
  tags: ['sessions'],
  security: ['accountToken', 'profileToken'],
  body: { schema: PasswordChangeRequest, example: { oldPassword: 'edgeflix-demo', newPassword: 'a-longer-secret' } },
  responses: { 204: { description: 'Changed' } },
  problems: [...BODY_PROBLEMS, 'invalid_credentials', 'origin_unavailable', 'unavailable'],
};

/** This account's signed-in devices, and signing one out. */
export const sessions = new Hono<EdgeEnv>()
  .get('/', describeRoute(listDoc), requireUser('any'), (c) =>
    callOrigin(c, { method: 'GET', path: '/v1/sessions', caller: callerIdentity(c) }),
  )
  .delete('/:sessionId', describeRoute(revokeDoc), requireUser('any'), (c) => {
    const { sessionId } = parseOrThrow(SessionIdParam, c.req.param(), 'path');
    return callOrigin(c, { method: 'DELETE', path: `/v1/sessions/${sessionId}`, caller: callerIdentity(c) });
  });

/** Account settings: a password change signs out every other device. */
export const account = new Hono<EdgeEnv>().post(
  '/password',
  describeRoute(passwordDoc),
  requireUser('any'),
  async (c) => {
    const body = parseOrThrow(PasswordChangeRequest, await readJsonBody(c.req.raw), 'request body');
    return callOrigin(c, { method: 'POST', path: '/v1/account/password', body, caller: callerIdentity(c) });
  },
);
