/**
 * SessionGuard: one Durable Object per account, holding the ids of its revoked sessions until
 * every token minted for them has expired (`REVOCATION_MEMORY_S`). The edge tells it when the origin
 * announces a revocation (workers/edge/src/http/session-guard.ts). Requests are not checked here:
 * every isolate checks its view of the RevocationFeed (workers/revocation-feed), which has every
 * account's revocations; this object keeps its list for the sockets that open after a sign-out.
 *
 * The list lives in memory and is written through to storage (KV API on the SQLite backend), so
 * an evicted or restarted object still refuses what it refused before.
 *
 * It also holds the account's open sign-out sockets (`GET /v1/sessions/events`, Hibernation API:
 * an idle socket costs no running object). A revocation is pushed to every one of them at once
 * (`SessionEvent`), and the revoked sessions' own sockets are then closed with
 * `SESSION_REVOKED_CLOSE_CODE`, so a player stops within a round trip instead of at its next request.
 */
import { DurableObject } from 'cloudflare:workers';
import {
  SESSION_EVENTS_PROTOCOL,
  SESSION_ID_HEADER,
  SESSION_PING,
  SESSION_PONG,
  SESSION_REVOKED_CLOSE_CODE,
  type SessionEvent,
} from './events.ts';

/** Most ids one call may name (an account signs out at most this many devices at once). */
const MAX_IDS_PER_CALL = 256;
/** Open sockets kept per session (tabs of one browser); a new one beyond this closes the oldest. */
const MAX_SOCKETS_PER_SESSION = 16;

export class SessionGuard extends DurableObject<Env> {
  /** Session id → epoch ms until which its tokens are refused. */
  #revoked = new Map<string, number>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(() => this.#load());
  }

  async #load(): Promise<void> {
    const stored = await this.ctx.storage.list<number>();
    for (const [id, until] of stored) this.#revoked.set(id, until);
    this.#prune(Date.now());
  }

  /** Refuses these sessions' tokens until `until` (epoch ms). */
  async revoke(sessionIds: string[], until: number): Promise<void> {
    if (sessionIds.length > MAX_IDS_PER_CALL) throw new RangeError(`At most ${MAX_IDS_PER_CALL} ids per call`);
    const entries: Record<string, number> = {};
    for (const id of sessionIds) {
      const kept = Math.max(until, this.#revoked.get(id) ?? 0);
      this.#revoked.set(id, kept);
      entries[id] = kept;
    }
    await this.ctx.storage.put(entries);
    this.#prune(Date.now());
    this.#announce(sessionIds);
  }

  /**
   * Opens a sign-out socket for the session the edge verified (`SESSION_ID_HEADER`). A WebSocket
   * upgrade cannot travel over RPC, so this one call is a `fetch`. A session already revoked here
   * gets its notice at once: the edge's view of the feed may be up to `FEED_MAX_AGE_MS` older.
   */
  override async fetch(request: Request): Promise<Response> {
    const sessionId = request.headers.get(SESSION_ID_HEADER);
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket' || !sessionId) {
      return new Response('Expected a WebSocket upgrade for a session', { status: 400 });
    }
    const open = this.ctx.getWebSockets(sessionId);
    for (const old of open.slice(0, Math.max(0, open.length - MAX_SOCKETS_PER_SESSION + 1))) {
      try {
        old.close(1008, 'too many sockets for this session');
      } catch {
        // Already closing.
      }
    }
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [sessionId]);
    this.ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(SESSION_PING, SESSION_PONG));
    if (this.#revoked.has(sessionId)) this.#notify(server, [sessionId], true);
    return new Response(null, {
      status: 101,
      webSocket: client,
      headers: { 'sec-websocket-protocol': SESSION_EVENTS_PROTOCOL },
    });
  }

  /** Clients only listen (pings are answered without waking the object); anything else is ignored. */
  override webSocketMessage(): void {}

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // Already closed from this side.
    }
  }

  /** Tells every open socket of the account which sessions ended; closes those sessions' own. */
  #announce(sessionIds: string[]): void {
    const ended = new Set(sessionIds);
    for (const ws of this.ctx.getWebSockets()) {
      const own = this.ctx.getTags(ws).some((tag) => ended.has(tag));
      this.#notify(ws, sessionIds, own);
    }
  }

  #notify(ws: WebSocket, sessionIds: string[], close: boolean): void {
    const event: SessionEvent = { type: 'revoked', sessionIds };
    try {
      ws.send(JSON.stringify(event));
      if (close) ws.close(SESSION_REVOKED_CLOSE_CODE, 'session_revoked');
    } catch {
      // A socket closing under us: its client falls back on the 401s of its next request.
    }
  }

  #prune(now: number): void {
    const gone = [...this.#revoked].filter(([, until]) => until <= now).map(([id]) => id);
    for (const id of gone) this.#revoked.delete(id);
    if (gone.length > 0) void this.ctx.storage.delete(gone.slice(0, 128));
  }
}
