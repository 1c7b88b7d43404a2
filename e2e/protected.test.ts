/**
 * Protected playback in Debian's chromium: a CENC-encrypted title plays through dash.js with
 * W3C Clear Key licences from the edge (wrangler dev); a basic-plan profile gets only the SD and
 * audio keys, and plays SD.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kidBytes, toBase64url } from '../core/protection/key-wrap.ts';
import { FIRST_REPRESENTATIONS } from '../scripts/media/ladder.ts';
import { BASIC, DEMO, ROOT, profileToken, startMediaEdge, type MediaEdge } from './media-edge.ts';

/** Its own cache: a shorter encode than play.test.ts's of the same title, which must not replace that one. */
const MEDIA_CACHE = path.join(ROOT, '.edgeflix/media-protected');
const MEDIA_SECONDS = 20;
const PLAY_SECONDS = 8;
/** SD and HD H.264 plus audio: enough to see the plan's key ceiling at work. */
const REPRESENTATIONS = [...FIRST_REPRESENTATIONS, 'avc1-480p-sdr', 'avc1-720p-sdr'];
const log = (line: string) => process.stdout.write(`[e2e] ${line}\n`);

interface ClientState {
  firstFrameMs: number | null;
  currentTime: number;
  renditions: string[];
  errors: string[];
}

let setup: MediaEdge;
let edge: MediaEdge['edge'];
let browser: MediaEdge['browser'];
let titleId: string;

beforeAll(async () => {
  setup = await startMediaEdge({
    media: { durationSeconds: MEDIA_SECONDS, representations: REPRESENTATIONS, cacheDir: MEDIA_CACHE, protect: true },
    log,
  });
  ({ edge, browser, titleId } = setup);
}, 600_000);

afterAll(async () => {
  await setup?.stop();
});

const clientState = (page: Page) => page.evaluate(() => (globalThis as unknown as { edgeflix: ClientState }).edgeflix);

interface Licence {
  status: number;
  withheld: string | null;
  keys: number;
}

/** Signs in as `account`, picks `profile`, plays the protected title for PLAY_SECONDS; what the licences and the player did. */
async function play(account: { email: string; password: string }, profile: string) {
  const page = await browser.newPage();
  const licences: Licence[] = [];
  page.on('response', (res) => {
    if (!new URL(res.url()).pathname.startsWith('/v1/license/')) return;
    void res
      .json()
      .then((body: { keys?: unknown[] }) =>
        licences.push({
          status: res.status(),
          withheld: res.headers()['edgeflix-keys-withheld'] ?? null,
          keys: body.keys?.length ?? 0,
        }),
      )
      .catch(() => licences.push({ status: res.status(), withheld: null, keys: 0 }));
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') log(`browser: ${msg.text()}`);
  });
  await page.goto(`${edge.url}/`);
  await page.fill('#login-form input[name=email]', account.email);
  await page.fill('#login-form input[name=password]', account.password);
  await page.click('#login-form button[type=submit]');
  await page.click(`#profile-list button:text("${profile}")`);
  await page.click(`#rows button[data-title-id="${titleId}"]`);
  const deadline = Date.now() + 120_000;
  let state = await clientState(page);
  while (Date.now() < deadline) {
    state = await clientState(page);
    if (state.errors.length > 0 || state.currentTime >= PLAY_SECONDS) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const decoded = await page.$eval('video', (element) => {
    const video = element as unknown as {
      getVideoPlaybackQuality(): { totalVideoFrames: number };
      videoHeight: number;
    };
    return { frames: video.getVideoPlaybackQuality().totalVideoFrames, height: video.videoHeight };
  });
  await page.close();
  log(
    `${account.email}: renditions ${state.renditions.join(' → ')}, ${decoded.frames} frames; licences ${JSON.stringify(licences)}`,
  );
  return { state, decoded, licences };
}

describe('protected playback in chromium', () => {
  it('plays the encrypted title through dash.js with Clear Key licences from the edge (premium)', async () => {
    const { state, decoded, licences } = await play(DEMO, 'Alex');
    expect(state.errors).toEqual([]);
    expect(state.currentTime).toBeGreaterThanOrEqual(PLAY_SECONDS);
    expect(decoded.frames).toBeGreaterThan(PLAY_SECONDS * 20);
    expect(licences.length).toBeGreaterThan(0);
    expect(licences.every((l) => l.status === 200)).toBe(true);
    expect(licences.reduce((n, l) => n + l.keys, 0)).toBeGreaterThanOrEqual(2);
  });

  it('gives a basic-plan profile only SD and audio keys, and it plays SD', async () => {
    const { state, decoded, licences } = await play(BASIC, 'Mia');
    expect(state.errors).toEqual([]);
    expect(state.currentTime).toBeGreaterThanOrEqual(PLAY_SECONDS);
    expect(decoded.height).toBeLessThanOrEqual(480);
    expect(state.renditions.every((r) => Number(r.split('p@')[0]) <= 480)).toBe(true);
    expect(licences.every((l) => l.status === 200)).toBe(true);

    // Asking for the HD key directly: withheld for the plan.
    const auth = { authorization: `Bearer ${await profileToken(edge.url, BASIC)}` };
    const manifest = (await (
      await fetch(`${edge.url}/v1/playback/${titleId}/manifest.mpd`, {
        headers: { ...auth, accept: 'application/json' },
      })
    ).json()) as { qualities: { height: number }[]; protection: { keys: { tier: string; kid: string }[] } };
    expect(Math.max(...manifest.qualities.map((q) => q.height))).toBeLessThanOrEqual(480);
    const b64 = (kid: string) => toBase64url(kidBytes(kid));
    const kids = Object.fromEntries(manifest.protection.keys.map((k) => [k.tier, b64(k.kid)]));
    const res = await fetch(`${edge.url}/v1/license/clearkey?title=${titleId}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ kids: [kids['sd'], kids['hd']], type: 'temporary' }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid)).toEqual([kids['sd']]);
    expect(res.headers.get('edgeflix-keys-withheld')).toBe(`${kids['hd']}=plan`);
  });
});
