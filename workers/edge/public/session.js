/* global document, window, localStorage, sessionStorage, navigator, location, fetch, setTimeout, clearTimeout, setInterval, clearInterval, WebSocket */
/**
 * Staying signed in, and being signed out when the account says so (docs/api.md, Sessions).
 *
 * - The refresh token lives in localStorage: the session outlasts a reload or a closed browser (a
 *   film, a week), and every tab of the browser shares one session, so one device is one entry of
 *   the device list. Refreshes are serialised across tabs with the Web Locks API and each one reads
 *   the latest token first, so two tabs never present a rotated token (that would sign the device
 *   out: reuse detection). The selected profile is per tab (sessionStorage).
 * - Access and profile tokens stay in memory and are renewed shortly before they expire; a request
 *   that still meets a 401 `token_expired` (a timer throttled in a background tab) is retried once.
 * - A revoked session (401 `session_revoked` or `invalid_refresh_token`, or a notice on the
 *   sign-out socket, `GET /v1/sessions/events`) stops everything and says "You were signed out".
 */
const SESSION_KEY = 'edgeflix.session';
const PROFILE_KEY = 'edgeflix.profile';
const DEVICE_TOKEN_KEY = 'edgeflix.deviceToken';
/** workers/session-guard/src/events.ts, by value (no build step). */
const EVENTS_PROTOCOL = 'edgeflix.session-events.v1';
const REVOKED_CLOSE_CODE = 4001;
const SOCKET_PING_MS = 30_000;
const SOCKET_RETRY_MAX_MS = 30_000;
/** A failed refresh (origin down, network gone) is tried again this soon. */
const REFRESH_RETRY_MS = 5_000;
const SIGNED_OUT_CODES = new Set(['session_revoked', 'invalid_refresh_token']);

const $ = (id) => document.getElementById(id);

/** What the end-to-end test reads (`window.edgeflix.session`). */
export const sessionStatus = { socket: 'closed', refreshes: 0, signedOut: null };

let hooks = {
  /** New tokens: `{ accountToken, profileToken }`. */
  onTokens: () => {},
  /** The session ended; stop playing. `reason` is a problem code or `signed_out` (this device asked). */
  onSignedOut: () => {},
  show: () => {},
  back: () => {},
};
/** `{ refreshToken, sessionId, accountToken, accountExpiresAt, profile, profileToken, profileExpiresAt }` */
let current = null;
let refreshTimer = null;
let refreshing = null;
let socket = null;
let socketTimer = null;
let socketFailures = 0;

/** Wires the module to the app: its token slots, how to stop playing, and how to show a section. */
export function configureSession(h) {
  hooks = { ...hooks, ...h };
  $('devices-button').addEventListener('click', () => void openDevices());
  $('devices-back').addEventListener('click', () => hooks.back());
  $('sign-out-everywhere').addEventListener('click', () => void signOutEverywhere());
  $('sign-in-again').addEventListener('click', () => hooks.show('login'));
  window.addEventListener('storage', (e) => {
    // Another tab signed this browser out: follow it.
    if (e.key === SESSION_KEY && e.newValue === null && current) end('signed_out');
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && current) schedule();
  });
}

function readStored() {
  try {
    return JSON.parse(localStorage.getItem(SESSION_KEY) ?? 'null');
  } catch {
    return null;
  }
}

function store() {
  localStorage.setItem(
    SESSION_KEY,
    JSON.stringify({ refreshToken: current.refreshToken, sessionId: current.sessionId }),
  );
  if (current.profile) sessionStorage.setItem(PROFILE_KEY, JSON.stringify(current.profile));
  else sessionStorage.removeItem(PROFILE_KEY);
}

/** "Chrome on Linux": what the device list shows for this browser. */
function deviceName() {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Firefox\//.test(ua)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(ua)
        ? 'Chrome'
        : /Safari\//.test(ua)
          ? 'Safari'
          : 'Browser';
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Windows/.test(ua)
        ? 'Windows'
        : /Mac OS X/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : null;
  return os ? `${browser} on ${os}` : browser;
}

async function post(path, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body ?? {}) });
  const json = res.headers.get('content-type')?.includes('json') ? await res.json() : null;
  return { status: res.status, ok: res.ok, json };
}

/** Signs in as this browser; on success the session starts (tokens, refresh timer, socket). */
export async function login(email, password) {
  const body = { email, password, deviceName: deviceName(), deviceType: 'browser' };
  const deviceToken = localStorage.getItem(DEVICE_TOKEN_KEY);
  if (deviceToken) body.deviceToken = deviceToken;
  const res = await post('/v1/auth/login', body);
  if (res.ok) {
    if (res.json.deviceToken) localStorage.setItem(DEVICE_TOKEN_KEY, res.json.deviceToken);
    current = { profile: null };
    sessionStatus.signedOut = null;
    adopt(res.json);
  }
  return res;
}

/** A session this browser kept (reload, new tab): renewed now. Resolves with `{ profile }` or null. */
export async function resumeSession() {
  const saved = readStored();
  if (!saved?.refreshToken) return null;
  let profile = null;
  try {
    profile = JSON.parse(sessionStorage.getItem(PROFILE_KEY) ?? 'null');
  } catch {
    profile = null;
  }
  current = { ...saved, profile };
  return (await refresh()) ? { profile: current.profile } : null;
}

/** The profile this tab watches as, and the token `POST /v1/profiles/{id}/select` gave for it. */
export function rememberProfile(profile, tokenResponse) {
  if (!current) return;
  current.profile = { id: profile.id, name: profile.name };
  current.profileToken = tokenResponse.token;
  current.profileExpiresAt = Date.parse(tokenResponse.expiresAt);
  current.profileIssuedAt = Date.now();
  store();
  schedule();
}

function adopt(json) {
  Object.assign(current, {
    refreshToken: json.refreshToken,
    sessionId: json.sessionId,
    accountToken: json.token,
    accountExpiresAt: Date.parse(json.expiresAt),
    accountIssuedAt: Date.now(),
  });
  if (json.profile) {
    current.profileToken = json.profile.token;
    current.profileExpiresAt = Date.parse(json.profile.expiresAt);
    current.profileIssuedAt = Date.now();
  }
  store();
  hooks.onTokens({ accountToken: current.accountToken, profileToken: current.profileToken ?? null });
  $('sign-out').hidden = false;
  $('devices-button').hidden = false;
  schedule();
  openSocket();
}

/** Renews a fifth of a token's life before it ends (at least 2 s, at most a minute before). */
function schedule() {
  clearTimeout(refreshTimer);
  if (!current) return;
  const due = [[current.accountExpiresAt, current.accountIssuedAt]];
  if (current.profile && current.profileExpiresAt) due.push([current.profileExpiresAt, current.profileIssuedAt]);
  const at = Math.min(
    ...due.map(([expires, issued]) => expires - Math.min(60_000, Math.max(2_000, (expires - issued) * 0.2))),
  );
  refreshTimer = setTimeout(() => void refresh(), Math.max(0, at - Date.now()));
}

/**
 * Trades the refresh token for the next one (and fresh access and profile tokens). One at a time
 * per tab, and per browser where Web Locks exist. Resolves true when the session goes on.
 */
export function refresh() {
  refreshing ??= (async () => {
    try {
      const run = () => refreshOnce();
      return navigator.locks ? await navigator.locks.request('edgeflix.refresh', run) : await run();
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function refreshOnce() {
  if (!current) return false;
  // Another tab may have rotated the token while this one waited for the lock.
  const refreshToken = readStored()?.refreshToken ?? current.refreshToken;
  let res;
  try {
    res = await post('/v1/auth/refresh', {
      refreshToken,
      ...(current.profile ? { profileId: current.profile.id } : {}),
    });
  } catch {
    res = { ok: false, status: 0, json: null };
  }
  if (!current) return false;
  if (res.ok) {
    sessionStatus.refreshes += 1;
    adopt(res.json);
    return true;
  }
  if (res.status === 401 && SIGNED_OUT_CODES.has(res.json?.code)) {
    end(res.json.code);
    return false;
  }
  if (res.status === 403 && current.profile) {
    // The profile is gone (deleted, or the plan changed): keep the session, ask who is watching.
    current.profile = null;
    current.profileToken = null;
    return refreshOnce();
  }
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => void refresh(), REFRESH_RETRY_MS);
  return false;
}

/**
 * After a 401 from a request made with `usedToken`: the token to retry with once (after a
 * refresh, for `token_expired`), or null. A revoked session ends here.
 */
export async function recoverFrom401(usedToken, problem) {
  if (!current) return null;
  const code = problem?.code;
  if (SIGNED_OUT_CODES.has(code)) {
    end(code);
    return null;
  }
  if (code !== 'token_expired') return null;
  const scope = usedToken === current.profileToken ? 'profileToken' : 'accountToken';
  if (!(await refresh()) || !current) return null;
  return current[scope] ?? null;
}

/** The sign-out socket: the account's SessionGuard pushes every revocation through it. */
function openSocket() {
  if (!current || socket || typeof WebSocket === 'undefined') return;
  clearTimeout(socketTimer);
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/sessions/events`;
  let ws;
  try {
    ws = new WebSocket(url, [EVENTS_PROTOCOL, `bearer.${current.accountToken}`]);
  } catch {
    return retrySocket();
  }
  socket = ws;
  sessionStatus.socket = 'connecting';
  let ping = null;
  ws.addEventListener('open', () => {
    socketFailures = 0;
    sessionStatus.socket = 'open';
    ping = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send('ping'), SOCKET_PING_MS);
  });
  ws.addEventListener('message', (e) => {
    let event = null;
    try {
      event = JSON.parse(e.data);
    } catch {
      return; // `pong`
    }
    if (event?.type !== 'revoked' || !current) return;
    if (event.sessionIds.includes(current.sessionId)) end('session_revoked', 'socket');
    else if (!$('devices').hidden) void openDevices();
  });
  ws.addEventListener('close', (e) => {
    clearInterval(ping);
    if (socket === ws) socket = null;
    sessionStatus.socket = 'closed';
    if (e.code === REVOKED_CLOSE_CODE) end('session_revoked', 'socket');
    else retrySocket();
  });
}

/** Reopens after a capped, jittered backoff; meanwhile the 401s of ordinary requests still count. */
function retrySocket() {
  if (!current) return;
  socketFailures += 1;
  const delay = Math.min(SOCKET_RETRY_MAX_MS, 1000 * 2 ** Math.min(socketFailures - 1, 5));
  socketTimer = setTimeout(openSocket, delay / 2 + (Math.random() * delay) / 2);
}

/**
 * Forgets the session here and says why (`via`: `socket` for a pushed notice, else `request`); the
 * app stops the player in `onSignedOut`.
 */
function end(reason, via = 'request') {
  if (!current) return;
  current = null;
  clearTimeout(refreshTimer);
  clearTimeout(socketTimer);
  const ws = socket;
  socket = null;
  ws?.close(1000, 'signed out');
  localStorage.removeItem(SESSION_KEY);
  sessionStorage.removeItem(PROFILE_KEY);
  sessionStatus.signedOut = { reason, via, at: Date.now() };
  $('sign-out').hidden = true;
  $('devices-button').hidden = true;
  hooks.onTokens({ accountToken: null, profileToken: null });
  hooks.onSignedOut(reason);
  if (reason === 'signed_out') return hooks.show('login');
  $('signed-out-detail').textContent =
    reason === 'signed_out_everywhere'
      ? 'You signed out every device of this account, this one included.'
      : 'This device was signed out from another device, or the session ended. Sign in again to go on watching.';
  hooks.show('signed-out');
}

/** Calls the API with the account token, renewing it once if it expired meanwhile. */
async function accountCall(path, method) {
  for (let attempt = 0; attempt < 2 && current; attempt += 1) {
    const token = current.accountToken;
    const res = await fetch(path, { method, headers: { authorization: `Bearer ${token}` } });
    const json = res.headers.get('content-type')?.includes('json') ? await res.json() : null;
    if (res.status !== 401 || attempt > 0) return { status: res.status, ok: res.ok, json };
    if (!(await recoverFrom401(token, json))) return { status: res.status, ok: false, json };
  }
  return { status: 401, ok: false, json: null };
}

/** The Sign out button: ends this device's session at the server, then here. */
export async function signOut() {
  if (current) await accountCall('/v1/auth/logout', 'POST').catch(() => null);
  end('signed_out');
}

async function signOutEverywhere() {
  const res = await accountCall('/v1/auth/logout-all', 'POST');
  if (res.ok) end('signed_out_everywhere');
  else if (current) $('devices-error').textContent = `Could not sign out everywhere (${res.status})`;
}

async function signOutDevice(device) {
  if (device.current) return signOut();
  const res = await accountCall(`/v1/sessions/${device.id}`, 'DELETE');
  if (!res.ok && res.status !== 404) $('devices-error').textContent = `Could not sign out ${label(device)}`;
  await openDevices();
}

const label = (d) => d.deviceName ?? d.deviceType ?? 'Unnamed device';

function lastUsed(iso) {
  const minutes = Math.round((Date.now() - Date.parse(iso)) / 60_000);
  if (minutes < 2) return 'just now';
  if (minutes < 120) return `${minutes} minutes ago`;
  return new Date(iso).toLocaleString();
}

/** The Devices page: every signed-in device of the account, each with a Sign out button. */
export async function openDevices() {
  if (!current) return;
  hooks.show('devices');
  const res = await accountCall('/v1/sessions', 'GET');
  if (!res.ok) {
    if (current) $('devices-error').textContent = `Could not list the devices (${res.status})`;
    return;
  }
  $('devices-error').textContent = '';
  const rows = res.json.sessions
    .toSorted((a, b) => Number(b.current) - Number(a.current) || b.lastUsedAt.localeCompare(a.lastUsedAt))
    .map((d) => {
      const tr = document.createElement('tr');
      tr.dataset.sessionId = d.id;
      if (d.current) tr.className = 'current';
      const cells = [label(d), d.deviceType ?? '—', lastUsed(d.lastUsedAt), d.country ?? 'unknown'];
      for (const text of cells) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      const mark = document.createElement('td');
      mark.textContent = d.current ? 'This device' : '';
      const action = document.createElement('td');
      const button = document.createElement('button');
      button.textContent = 'Sign out';
      button.addEventListener('click', () => void signOutDevice(d));
      action.append(button);
      tr.append(mark, action);
      return tr;
    });
  $('device-list').replaceChildren(...rows);
}
