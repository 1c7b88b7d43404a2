/**
 * The sign-out socket's wire format, shared by the SessionGuard Durable Object, the edge route
 * that opens it (`GET /v1/sessions/events`) and, by value, the web client (public/session.js).
 */

/** The subprotocol the server selects; the client offers it next to `bearer.<token>`. */
export const SESSION_EVENTS_PROTOCOL = 'edgeflix.session-events.v1';
/** Prefix of the subprotocol that carries the token (browsers cannot set headers on a WebSocket). */
export const BEARER_PROTOCOL_PREFIX = 'bearer.';
/** Edge → SessionGuard only: the verified session the socket belongs to. */
export const SESSION_ID_HEADER = 'edgeflix-session-id';
/** A keep-alive the object answers without waking (`setWebSocketAutoResponse`). */
export const SESSION_PING = 'ping';
export const SESSION_PONG = 'pong';
/** Close code of a socket whose own session was revoked (4000-4999 are the application's). */
export const SESSION_REVOKED_CLOSE_CODE = 4001;

/** Sent to every open socket of the account when some of its sessions are signed out. */
export interface SessionEvent {
  type: 'revoked';
  sessionIds: string[];
}
