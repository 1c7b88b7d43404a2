/**
 * Protected playback in Debian's chromium: a CENC-encrypted title plays through dash.js with
 * W3C Clear Key licences from the edge (wrangler dev); a basic-plan profile gets only the SD and
 * audio keys, and plays SD.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importKek, kidBytes, toBase64url } from '../core/protection/key-wrap.ts';
import { listen, realStackOrigin } from '../origin/test/support/origin.ts';
import { freePort, startEdge, type EdgeProcess } from '../scripts/edge-process.ts';
import { pickDemoTitles, replaceTitleMedia } from '../scripts/media/catalog.ts';
import { titleContentKeys } from '../scripts/media/content-keys.ts';
import { generateTitle } from '../scripts/media/generate.ts';
import { objectKey, FIRST_REPRESENTATIONS } from '../scripts/media/ladder.ts';
import { protectTitle, tiersOf } from '../scripts/media/protect.ts';
import { loadMediaIntoR2 } from '../scripts/media/r2.ts';
import { CHROMIUM, CHROMIUM_FLAGS } from '../scripts/media/smoke-play.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
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

let edge: EdgeProcess;
let browser: Browser;
let titleId: string;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  const real = await realStackOrigin('e2e');
  const { keys } = real;
  cleanup.unshift(() => real.stop());
  const server = await listen(real.origin.app);
  cleanup.unshift(() => server.close());

  const sql = postgres(real.databaseUrl, { max: 1, onnotice: () => {} });
  const persist = await mkdtemp(path.join(tmpdir(), 'edgeflix-e2e-protected-'));
  cleanup.push(() => rm(persist, { recursive: true, force: true }));
  try {
    const [title] = await pickDemoTitles(sql, 1);
    titleId = title!.id;
    const { media } = await generateTitle(title!, {
      outDir: MEDIA_CACHE,
      durationSeconds: MEDIA_SECONDS,
      representations: REPRESENTATIONS,
    });
    // Packaged as the media script does: keys made here, wrapped under the origin's KEK.
    const titleKeys = await titleContentKeys(sql, titleId, tiersOf(media), await importKek(keys.contentKeyKek));
    // Fresh keys each run (a fresh database), so the encrypted files are made again; the clear encode is cached.
    const packaged = protectTitle(MEDIA_CACHE, media, titleKeys);
    log(`packaged ${packaged.encrypted.length} representations with ${titleKeys.size} keys in ${packaged.seconds} s`);
    await loadMediaIntoR2(
      persist,
      packaged.media.files.map((f) => ({
        key: objectKey(titleId, f.path),
        file: path.join(packaged.dir, f.path),
        contentType: f.contentType,
      })),
    );
    await replaceTitleMedia(sql, [packaged.media]);
  } finally {
    await sql.end();
  }

  edge = await startEdge({
    port: await freePort(),
    originUrl: server.url,
    secrets: {
      AUTH_PUBLIC_JWKS: JSON.stringify(keys.publicJwks),
      SERVICE_TOKEN_SECRET: keys.serviceSecret,
      SEGMENT_SIGNING_KEYS: keys.segmentSigningKeys,
    },
    persistTo: persist,
    stdio: 'ignore',
  });
  cleanup.unshift(() => edge.stop());
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  cleanup.unshift(() => browser.close());
}, 600_000);

afterAll(async () => {
  for (const step of cleanup) await step().catch((err: unknown) => log(`cleanup: ${String(err)}`));
});

const clientState = (page: Page) => page.evaluate(() => (globalThis as unknown as { edgeflix: ClientState }).edgeflix);

interface Licence {
  status: number;
  withheld: string | null;
  keys: number;
}

/** Signs in as `email`, picks `profile`, plays the protected title for PLAY_SECONDS; what the licences and the player did. */
async function play(email: string, password: string, profile: string) {
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
  await page.fill('#login-form input[name=email]', email);
  await page.fill('#login-form input[name=password]', password);
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
    `${email}: renditions ${state.renditions.join(' → ')}, ${decoded.frames} frames; licences ${JSON.stringify(licences)}`,
  );
  return { state, decoded, licences };
}

describe('protected playback in chromium', () => {
  it('plays the encrypted title through dash.js with Clear Key licences from the edge (premium)', async () => {
    const { state, decoded, licences } = await play('demo@edgeflix.test', 'edgeflix-demo', 'Alex');
    expect(state.errors).toEqual([]);
    expect(state.currentTime).toBeGreaterThanOrEqual(PLAY_SECONDS);
    expect(decoded.frames).toBeGreaterThan(PLAY_SECONDS * 20);
    expect(licences.length).toBeGreaterThan(0);
    expect(licences.every((l) => l.status === 200)).toBe(true);
    expect(licences.reduce((n, l) => n + l.keys, 0)).toBeGreaterThanOrEqual(2);
  });

  it('gives a basic-plan profile only SD and audio keys, and it plays SD', async () => {
    const { state, decoded, licences } = await play('basic@edgeflix.test', 'edgeflix-basic', 'Mia');
    expect(state.errors).toEqual([]);
    expect(state.currentTime).toBeGreaterThanOrEqual(PLAY_SECONDS);
    expect(decoded.height).toBeLessThanOrEqual(480);
    expect(state.renditions.every((r) => Number(r.split('p@')[0]) <= 480)).toBe(true);
    expect(licences.every((l) => l.status === 200)).toBe(true);

    // Asking for the HD key directly: withheld for the plan.
    const login = (await (
      await fetch(`${edge.url}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'basic@edgeflix.test', password: 'edgeflix-basic' }),
      })
    ).json()) as { token: string };
    const profiles = (await (
      await fetch(`${edge.url}/v1/profiles`, { headers: { authorization: `Bearer ${login.token}` } })
    ).json()) as { profiles: { id: string }[] };
    const selected = (await (
      await fetch(`${edge.url}/v1/profiles/${profiles.profiles[0]!.id}/select`, {
        method: 'POST',
        headers: { authorization: `Bearer ${login.token}` },
      })
    ).json()) as { token: string };
    const auth = { authorization: `Bearer ${selected.token}` };
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
