import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { SessionTokenResponse } from '../../../core/wire.ts';
import {
  SESSION_EVENTS_PROTOCOL,
  SESSION_REVOKED_CLOSE_CODE,
  type SessionEvent,
} from '../../session-guard/src/events.ts';

/** No other edge test signs this account out everywhere, so only this file's sessions end here. */
const DEMO = { email: 'demo@edgeflix.test', password: 'edgeflix-demo' };
const EVENTS = 'https://edge.test/v1/sessions/events';
const api = (path: string, init: RequestInit = {}) => SELF.fetch(`https://edge.test${path}`, init);
const bearer = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}` } });

async function login(deviceName: string): Promise<SessionTokenResponse> {
  const res = await api('/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...DEMO, deviceName, deviceType: 'browser' }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as SessionTokenResponse;
}

interface OpenSocket {
  ws: WebSocket;
  protocol: string | null;
  events: SessionEvent[];
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the first event that names `sessionId`, or rejects after `ms`. */
  eventFor(sessionId: string, ms?: number): Promise<SessionEvent>;
}

/** Opens the socket as a browser does: the token in a `bearer.` subprotocol, no Authorization header. */
async function open(token: string): Promise<OpenSocket> {
  const res = await SELF.fetch(EVENTS, {
    headers: { upgrade: 'websocket', 'sec-websocket-protocol': `${SESSION_EVENTS_PROTOCOL}, bearer.${token}` },
  });
  expect(res.status).toBe(101);
  const ws = res.webSocket!;
  ws.accept();
  const events: SessionEvent[] = [];
  const waiters: (() => void)[] = [];
  ws.addEventListener('message', (e) => {
    events.push(JSON.parse(String(e.data)) as SessionEvent);
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason })),
  );
  const eventFor = async (sessionId: string, ms = 5_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = events.find((e) => e.sessionIds.includes(sessionId));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no event for ${sessionId} within ${ms} ms`);
      await new Promise<void>((wake) => {
        waiters.push(wake);
        setTimeout(wake, 100);
      });
    }
  };
  return { ws, protocol: res.headers.get('sec-websocket-protocol'), events, closed, eventFor };
}

describe('the sign-out socket', () => {
  it('answers a plain GET with 426 upgrade_required problem+json, and no token with 401', async () => {
    const a = await login('Plain GET');
    const plain = await api('/v1/sessions/events', bearer(a.token));
    expect(plain.status).toBe(426);
    expect(plain.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await plain.json()) as { code: string }).code).toBe('upgrade_required');
    const anonymous = await SELF.fetch(EVENTS, { headers: { upgrade: 'websocket' } });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { code: string }).code).toBe('unauthenticated');
    await api('/v1/auth/logout', { method: 'POST', ...bearer(a.token) });
  });

  it('selects its subprotocol and pushes the revoked session id to the open socket, then closes it with 4001', async () => {
    const victim = await login('Living-room TV');
    const socket = await open(victim.token);
    expect(socket.protocol).toBe(SESSION_EVENTS_PROTOCOL);
    const other = await login('Phone');
    const started = Date.now();
    expect((await api(`/v1/sessions/${victim.sessionId}`, { method: 'DELETE', ...bearer(other.token) })).status).toBe(
      204,
    );
    const event = await socket.eventFor(victim.sessionId);
    console.warn(`revocation reached the open socket ${Date.now() - started} ms after DELETE was sent`);
    expect(event).toEqual({ type: 'revoked', sessionIds: [victim.sessionId] });
    expect((await socket.closed).code).toBe(SESSION_REVOKED_CLOSE_CODE);
    await api('/v1/auth/logout', { method: 'POST', ...bearer(other.token) });
  });

  it('tells the account’s other devices which session ended and keeps their sockets open', async () => {
    const leaving = await login('Old tablet');
    const staying = await login('Laptop');
    const stayingSocket = await open(staying.token);
    expect((await api('/v1/auth/logout', { method: 'POST', ...bearer(leaving.token) })).status).toBe(204);
    expect(await stayingSocket.eventFor(leaving.sessionId)).toEqual({
      type: 'revoked',
      sessionIds: [leaving.sessionId],
    });
    expect(stayingSocket.ws.readyState).toBe(WebSocket.OPEN);
    stayingSocket.ws.close(1000, 'done');
    await api('/v1/auth/logout', { method: 'POST', ...bearer(staying.token) });
  });

  it('refuses to open for a session already signed out', async () => {
    const gone = await login('Gone');
    expect((await api('/v1/auth/logout', { method: 'POST', ...bearer(gone.token) })).status).toBe(204);
    const res = await SELF.fetch(EVENTS, {
      headers: { upgrade: 'websocket', 'sec-websocket-protocol': `${SESSION_EVENTS_PROTOCOL}, bearer.${gone.token}` },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('session_revoked');
  });
});
