/**
 * Sessions in the web client, in Debian's chromium through the edge (wrangler dev): with access
 * and profile tokens shortened to `TOKEN_TTL_S`, a player plays for several of their lifetimes on
 * one sign-in, every heartbeat accepted; then a second browser signs the same account in and signs
 * out everywhere on its Devices page, and the first player stops, its last position saved.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, profileToken, startMediaEdge, type MediaEdge } from './media-edge.ts';

/** The same title and length as e2e/play.test.ts, so both use one cached encode. */
const MEDIA_SECONDS = 60;
/** Access and profile token lifetime (the origin's minimum is 10 s). */
const TOKEN_TTL_S = 20;
/** Wall-clock play time: four and a half token lifetimes. */
const PLAY_MS = 90_000;
/** Half speed, so 90 s of playing stays well inside the 60 s title (and short of "watched"). */
const PLAYBACK_RATE = 0.5;
const HEARTBEAT_S = 10;
const log = (line: string) => process.stdout.write(`[e2e] ${line}\n`);

interface ClientState {
  playing: unknown;
  currentTime: number;
  stoppedAtSeconds?: number;
  errors: string[];
  session: { socket: string; refreshes: number; signedOut: { reason: string; via: string; at: number } | null };
}

let setup: MediaEdge;
let edge: MediaEdge['edge'];
let browser: MediaEdge['browser'];
let titleId: string;

beforeAll(async () => {
  setup = await startMediaEdge({
    label: 'e2e_sessions',
    media: { durationSeconds: MEDIA_SECONDS },
    originConfig: { ACCOUNT_TOKEN_TTL_SECONDS: String(TOKEN_TTL_S), PROFILE_TOKEN_TTL_SECONDS: String(TOKEN_TTL_S) },
    // Two browsers and the API sign in five times within minutes: more than the auth tier's 5 per 5 min.
    edgeVars: { RATE_LIMITS: JSON.stringify({ tiers: { auth: { limit: 20 } } }) },
    log,
  });
  ({ edge, browser, titleId } = setup);
});

afterAll(async () => {
  await setup?.stop();
});

const clientState = (page: Page) => page.evaluate(() => (globalThis as unknown as { edgeflix: ClientState }).edgeflix);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every /v1 response a page saw, with the heartbeat positions it sent. */
function recordApi(page: Page) {
  const seen: { method: string; path: string; status: number; at: number; position?: number }[] = [];
  page.on('response', (res) => {
    const url = new URL(res.url());
    if (!url.pathname.startsWith('/v1/') || url.pathname.startsWith('/v1/media/')) return;
    const req = res.request();
    const entry: (typeof seen)[number] = {
      method: req.method(),
      path: url.pathname,
      status: res.status(),
      at: Date.now(),
    };
    if (entry.method === 'POST' && entry.path === '/v1/progress') {
      entry.position = (req.postDataJSON() as { positionSeconds: number }).positionSeconds;
    }
    seen.push(entry);
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') log(`browser: ${msg.text()}`);
  });
  return seen;
}

/** Signs in, picks Alex and starts the title; resolves once the video plays. */
async function startPlaying(viewer: Page): Promise<void> {
  await viewer.goto(`${edge.url}/`);
  await viewer.click('#login-form button[type=submit]');
  await viewer.click('#profile-list button:text("Alex")');
  await viewer.click(`#rows button[data-title-id="${titleId}"]`);
  const deadline = Date.now() + 60_000;
  while ((await clientState(viewer)).currentTime < 0.5 && Date.now() < deadline) await sleep(250);
  expect((await clientState(viewer)).currentTime).toBeGreaterThan(0);
}

/** Polls (bounded) until the page's session ended and its player stopped. */
async function untilStopped(page: Page, ms: number): Promise<ClientState> {
  const deadline = Date.now() + ms;
  let state = await clientState(page);
  while (!(state.session.signedOut && state.playing === null) && Date.now() < deadline) {
    await sleep(100);
    state = await clientState(page);
  }
  return state;
}

/** The demo account's Alex profile, signed in afresh through the API (for reading progress back). */
const alexToken = () => profileToken(edge.url, DEMO, 'Alex');

describe('sessions in the web client', () => {
  it(
    'plays through several token lifetimes on one sign-in, then stops when another browser signs out everywhere',
    { timeout: 300_000 },
    async () => {
      const viewer = await (await browser.newContext()).newPage();
      const viewerApi = recordApi(viewer);
      // Playing: then at half speed, for PLAY_MS of wall-clock time.
      await startPlaying(viewer);
      await viewer.evaluate((rate) => {
        (
          globalThis as unknown as { document: { querySelector(s: string): { playbackRate: number } } }
        ).document.querySelector('#video').playbackRate = rate;
      }, PLAYBACK_RATE);
      const playStarted = Date.now();
      while (Date.now() - playStarted < PLAY_MS) {
        const state = await clientState(viewer);
        if (state.errors.length > 0 || state.session.signedOut) break;
        await sleep(1_000);
      }
      const played = await clientState(viewer);
      const heartbeats = viewerApi.filter((r) => r.method === 'POST' && r.path === '/v1/progress');
      const refreshes = viewerApi.filter((r) => r.path === '/v1/auth/refresh');
      log(
        `played ${((Date.now() - playStarted) / 1000).toFixed(0)} s (to ${played.currentTime.toFixed(1)} s of media) ` +
          `with ${TOKEN_TTL_S} s tokens: ${heartbeats.length} heartbeats (${heartbeats.filter((h) => h.status === 202).length} × 202), ` +
          `${refreshes.length} refreshes, socket ${played.session.socket}`,
      );
      expect(played.errors).toEqual([]);
      expect(played.session.signedOut).toBeNull();
      expect(heartbeats.length).toBeGreaterThanOrEqual(Math.floor(PLAY_MS / 1000 / HEARTBEAT_S) - 2);
      expect(heartbeats.map((h) => h.status).filter((s) => s !== 202)).toEqual([]);
      // Several lifetimes, one sign-in: each token renewed before it expired, nothing ever refused.
      expect(refreshes.length).toBeGreaterThanOrEqual(Math.floor(PLAY_MS / 1000 / TOKEN_TTL_S));
      expect(refreshes.every((r) => r.status === 200)).toBe(true);
      expect(viewerApi.filter((r) => r.path === '/v1/auth/login')).toHaveLength(1);
      expect(viewerApi.filter((r) => r.status === 401)).toEqual([]);
      expect(played.currentTime).toBeGreaterThan(10);
      expect(played.session.socket).toBe('open');

      // A second browser signs the account in and signs out everywhere on its Devices page.
      const other = await (await browser.newContext()).newPage();
      recordApi(other);
      await other.goto(`${edge.url}/`);
      await other.click('#login-form button[type=submit]');
      // As a person would: signed in (the profiles are on screen), then to the Devices page.
      await other.locator('#profile-list button').first().waitFor();
      await other.click('#devices-button');
      await other.locator('#device-list tr').nth(1).waitFor();
      const rows = await other.locator('#device-list tr').allInnerTexts();
      log(`devices: ${rows.map((r) => r.replace(/\s+/g, ' ').trim()).join(' | ')}`);
      expect(rows.filter((r) => r.includes('This device'))).toHaveLength(1);
      expect(rows.every((r) => r.includes('Chrome on Linux') && r.includes('browser'))).toBe(true);

      const clickedAt = Date.now();
      await other.click('#sign-out-everywhere');
      const stopped = await untilStopped(viewer, 20_000);
      expect(stopped.session.signedOut).toMatchObject({ reason: 'session_revoked', via: 'socket' });
      expect(stopped.playing).toBeNull();
      log(
        `sign out everywhere: click → player stopped in ${stopped.session.signedOut!.at - clickedAt} ms ` +
          `(${stopped.session.signedOut!.via}); goal 5000 ms`,
      );
      await viewer.locator('#signed-out').waitFor({ state: 'visible' });
      expect(await viewer.locator('#video').evaluate((v: { paused: boolean }) => v.paused)).toBe(true);
      await other.locator('#signed-out').waitFor({ state: 'visible' });

      // The last position is the last accepted heartbeat's, at most one heartbeat of media behind the stop.
      const lastSaved = viewerApi.filter((r) => r.path === '/v1/progress' && r.status === 202).at(-1)!.position!;
      const progress = await fetch(`${edge.url}/v1/progress/${titleId}`, {
        headers: { authorization: `Bearer ${await alexToken()}` },
      });
      expect(progress.status).toBe(200);
      const saved = ((await progress.json()) as { positionSeconds: number }).positionSeconds;
      log(`position at stop ${stopped.stoppedAtSeconds?.toFixed(1)} s, saved ${saved} s`);
      expect(saved).toBeCloseTo(lastSaved, 1);
      expect(stopped.stoppedAtSeconds! - saved).toBeGreaterThanOrEqual(0);
      expect(stopped.stoppedAtSeconds! - saved).toBeLessThan(HEARTBEAT_S * PLAYBACK_RATE + 3);
      await viewer.context().close();
      await other.context().close();
    },
  );

  it(
    'without its socket, still stops at its next heartbeat after a sign-out elsewhere',
    { timeout: 120_000 },
    async () => {
      const context = await browser.newContext();
      // The socket cannot be opened: every attempt is closed before it reaches the edge.
      let blocked = 0;
      await context.routeWebSocket(/\/v1\/sessions\/events$/, (ws) => {
        blocked += 1;
        void ws.close({ code: 1011, reason: 'blocked by the test' });
      });
      const viewer = await context.newPage();
      const viewerApi = recordApi(viewer);
      await startPlaying(viewer);
      const heartbeatDeadline = Date.now() + 3 * HEARTBEAT_S * 1000;
      while (!viewerApi.some((r) => r.path === '/v1/progress' && r.status === 202) && Date.now() < heartbeatDeadline) {
        await sleep(250);
      }
      expect(viewerApi.filter((r) => r.path === '/v1/progress').map((r) => r.status)).toContain(202);
      expect(blocked).toBeGreaterThan(0);

      const signedOutAt = Date.now();
      const logoutAll = await fetch(`${edge.url}/v1/auth/logout-all`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await alexToken()}` },
      });
      expect(logoutAll.status).toBe(204);
      const stopped = await untilStopped(viewer, 3 * HEARTBEAT_S * 1000);
      expect(stopped.session.signedOut).toMatchObject({ reason: 'session_revoked', via: 'request' });
      expect(stopped.playing).toBeNull();
      log(
        `without the socket (${blocked} attempts blocked): sign-out → player stopped in ` +
          `${stopped.session.signedOut!.at - signedOutAt} ms, at its next refused request (heartbeats every ${HEARTBEAT_S} s)`,
      );
      await viewer.locator('#signed-out').waitFor({ state: 'visible' });
      await context.close();
    },
  );
});
