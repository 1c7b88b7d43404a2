import { Hono } from 'hono';
import { describeRoute, type OperationSpec } from '../../../../core/api/openapi.ts';
import { HttpError } from '../../../../core/problem.ts';
import {
  BEARER_PROTOCOL_PREFIX,
  SESSION_EVENTS_PROTOCOL,
  SESSION_ID_HEADER,
} from '../../../session-guard/src/events.ts';
import { requireUser } from '../http/auth.ts';
import type { AppContext, EdgeEnv } from '../http/context.ts';
import { guardOf } from '../http/session-guard.ts';

/** The path, mounted before the `/v1/*` token check: a browser sends its token in a subprotocol. */
export const SESSION_EVENTS_PATH = '/v1/sessions/events';

const eventsDoc: OperationSpec = {
  operationId: 'sessionEvents',
  summary: 'A WebSocket that announces sign-outs of this account',
  description:
    'Send `Upgrade: websocket`. Browsers cannot set headers on a WebSocket, so the token may instead come as a ' +
    `subprotocol: offer \`${SESSION_EVENTS_PROTOCOL}\` and \`${BEARER_PROTOCOL_PREFIX}<token>\`; the server selects ` +
    `the first. Each message is \`{"type":"revoked","sessionIds":[…]}\`; when the socket's own session is among ` +
    'them, the server then closes it with code 4001. `ping` is answered with `pong`. A request without the ' +
    'upgrade answers 426. (The upgrade headers are described here rather than as parameters, so a fuzzer ' +
    'probing the document gets the 426 instead of a socket it cannot speak.)',
  tags: ['sessions'],
  security: ['accountToken', 'profileToken'],
  responses: {
    101: {
      description: 'Switching Protocols: the socket is open',
      headers: {
        'sec-websocket-protocol': {
          description: `\`${SESSION_EVENTS_PROTOCOL}\``,
          schema: { type: 'string' },
        },
      },
    },
  },
  problems: ['forbidden', 'upgrade_required', 'unavailable'],
};

/** `Bearer <token>` from the Authorization header, else from a `bearer.<token>` subprotocol. */
function authorization(c: AppContext): string | undefined {
  const header = c.req.header('authorization');
  if (header !== undefined) return header;
  const offered = (c.req.header('sec-websocket-protocol') ?? '').split(',').map((p) => p.trim());
  const token = offered.find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX))?.slice(BEARER_PROTOCOL_PREFIX.length);
  return token === undefined ? undefined : `Bearer ${token}`;
}

/**
 * The sign-out socket: verified here like any request (token, scope, not revoked), then handed to
 * the account's SessionGuard, which holds it hibernated and pushes every revocation to it.
 */
export const sessionEvents = new Hono<EdgeEnv>().get(
  '/',
  describeRoute(eventsDoc),
  requireUser('any', authorization),
  async (c) => {
    const { sub, sid } = c.get('user');
    if (sid === undefined) throw new HttpError('forbidden', 'This token belongs to no session');
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
      throw new HttpError('upgrade_required', 'Open this as a WebSocket (Upgrade: websocket)', {
        headers: { upgrade: 'websocket', connection: 'Upgrade' },
      });
    }
    // Only what the guard needs: the token (in the subprotocol) stays at the edge.
    const res = await guardOf(c.env, sub).fetch('https://session-guard/events', {
      headers: { upgrade: 'websocket', [SESSION_ID_HEADER]: sid },
    });
    if (res.status !== 101 || !res.webSocket) {
      throw new HttpError('unavailable', 'Sign-out notices cannot be opened right now', {
        headers: { 'retry-after': '5' },
      });
    }
    // Headers of a fetched response are immutable; the edge's middleware still adds its own.
    return new Response(null, { status: 101, webSocket: res.webSocket, headers: res.headers });
  },
);
