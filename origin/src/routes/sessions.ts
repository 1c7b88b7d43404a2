import { Hono } from 'hono';
import { describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';
import * as example from '../../../core/api/examples.ts';
import { HttpError } from '../../../core/problem.ts';
import { parseOrThrow } from '../../../core/validation.ts';
import { REVOKED_SESSIONS_HEADER, SessionIdParam, SessionsResponse } from '../../../core/wire.ts';
import { clock, revokedHeader } from '../auth/sessions.ts';
import type { OriginEnv } from '../http/context.ts';
import { callerAccount } from '../http/middleware.ts';

const listDoc: OperationSpec = {
  operationId: 'listSessions',
  summary: "The calling account's signed-in devices (live sessions)",
  description: '`current` marks the session the calling token belongs to.',
  tags: ['accounts'],
  security: ['serviceCredential'],
  responses: { 200: json(SessionsResponse, 'Every live session of the account', example.SESSIONS) },
};
const revokeDoc: OperationSpec = {
  operationId: 'revokeSession',
  summary: 'Sign out one device of the calling account',
  description: "Another account's session, or one already signed out, answers 404 alike.",
  tags: ['accounts'],
  security: ['serviceCredential'],
  params: SessionIdParam,
  responses: {
    204: {
      description: 'Signed out',
      headers: {
        [REVOKED_SESSIONS_HEADER]: {
          description: 'The session just revoked, `<accountId>;<untilEpochMs>;<sessionId>` (the edge strips it)',
          schema: { type: 'string' },
          required: true,
        },
      },
    },
  },
  problems: ['validation_failed', 'not_found'],
};

/** This account's signed-in devices, and signing one of them out. */
export const sessions = new Hono<OriginEnv>()
  .get('/', describeRoute(listDoc), async (c) => {
    const accountId = callerAccount(c.get('caller'));
    const deps = c.get('deps');
    const current = c.get('sessionId');
    const list = await deps.stores.sessions.listLive(accountId, clock(deps));
    return c.json({
      sessions: list.map((s) => ({
        id: s.id,
        deviceName: s.deviceName,
        deviceType: s.deviceType,
        createdAt: s.createdAt.toISOString(),
        lastUsedAt: s.lastUsedAt.toISOString(),
        country: s.country,
        userAgent: s.userAgent,
        current: s.id === current,
      })),
    } satisfies SessionsResponse);
  })
  .delete('/:sessionId', describeRoute(revokeDoc), async (c) => {
    const accountId = callerAccount(c.get('caller'));
    const { sessionId } = parseOrThrow(SessionIdParam, c.req.param(), 'path');
    const deps = c.get('deps');
    // Scoped to the caller's account: another account's session id is as unknown as a made-up one
    // (and one already signed out is gone from the list, so it is a 404 too).
    const revoked = await deps.stores.sessions.revoke(accountId, { ids: [sessionId] }, clock(deps), 'device_removed');
    if (revoked.length === 0) throw new HttpError('not_found', 'No such session on this account');
    return c.body(null, 204, revokedHeader(deps, accountId, revoked));
  });
