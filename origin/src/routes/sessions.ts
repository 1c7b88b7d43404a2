import { Hono } from 'hono';
import { HttpError } from '../../../core/problem.ts';
import { parseOrThrow } from '../../../core/validation.ts';
import { SessionIdParam, type SessionsResponse } from '../../../core/wire.ts';
import { clock, revokedHeader } from '../auth/sessions.ts';
import type { OriginEnv } from '../http/context.ts';
import { callerAccount } from '../http/middleware.ts';

/** This account's signed-in devices, and signing one of them out. */
export const sessions = new Hono<OriginEnv>()
  .get('/', async (c) => {
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
  .delete('/:sessionId', async (c) => {
    const accountId = callerAccount(c.get('caller'));
    const { sessionId } = parseOrThrow(SessionIdParam, c.req.param(), 'path');
    const deps = c.get('deps');
    // Scoped to the caller's account: another account's session id is as unknown as a made-up one
    // (and one already signed out is gone from the list, so it is a 404 too).
    const revoked = await deps.stores.sessions.revoke(accountId, { ids: [sessionId] }, clock(deps), 'device_removed');
    if (revoked.length === 0) throw new HttpError('not_found', 'No such session on this account');
    return c.body(null, 204, revokedHeader(deps, accountId, revoked));
  });
