/**
 * The web client plays a title in Debian's chromium through the edge (wrangler dev, as `npm
 * start` runs it): sign in, pick a profile, play from the resume position through signed segment
 * URLs, step down a rendition when the network is throttled; a tampered token is refused.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, ROOT, profileToken, startMediaEdge, type MediaEdge } from './media-edge.ts';

const MEDIA_SECONDS = 60;
const RESUME_AT = 20;
const PLAY_SECONDS = 10;
const THROTTLE_KBPS = 250;
const log = (line: string) => process.stdout.write(`[e2e] ${line}\n`);

interface ClientState {
  firstFrameMs: number | null;
  playingFrom: number | null;
  currentTime: number;
  renditions: string[];
  ladder: string[];
  errors: string[];
  capabilities: string | null;
}

let setup: MediaEdge;
let edge: MediaEdge['edge'];
let browser: MediaEdge['browser'];
let titleId: string;

// Media for one title a kids profile may watch: generated once, then cached across runs.
beforeAll(async () => {
  setup = await startMediaEdge({ media: { durationSeconds: MEDIA_SECONDS }, log });
  ({ edge, browser, titleId } = setup);
});

afterAll(async () => {
  await setup?.stop();
});

const clientState = (page: Page) => page.evaluate(() => (globalThis as unknown as { edgeflix: ClientState }).edgeflix);

const bitrate = (r: string) => Number(r.split('@')[1] ?? 0);
const switchedUp = (rs: string[]) => rs.some((r, i) => i > 0 && bitrate(r) > bitrate(rs[i - 1]!));
const switchedDown = (rs: string[]) => rs.some((r, i) => i > 0 && bitrate(r) < bitrate(rs[i - 1]!));
const aboveLowest = (s: ClientState) =>
  s.ladder.length > 1 && bitrate(s.renditions.at(-1) ?? '@0') > Math.min(...s.ladder.map(bitrate));

describe('the web client in chromium', () => {
  it('plays from the resume position through signed URLs and steps down when the network is throttled', async () => {
    // The resume position, set the way a player sets it: a heartbeat through the edge.
    const token = await profileToken(edge.url, DEMO, 'Alex');
    const hb = await fetch(`${edge.url}/v1/progress`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        titleId,
        positionSeconds: RESUME_AT,
        durationSeconds: MEDIA_SECONDS,
        eventTime: Date.now(),
        deviceId: 'e2e-setup',
      }),
    });
    expect(hb.status).toBe(202);

    const page = await browser.newPage();
    const media: { url: string; status: number }[] = [];
    page.on('response', (res) => {
      if (new URL(res.url()).pathname.startsWith('/v1/media/')) media.push({ url: res.url(), status: res.status() });
    });
    page.on('console', (msg) => {
      if (msg.type() === 'error') log(`browser: ${msg.text()}`);
    });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');

    await page.goto(`${edge.url}/`);
    await page.click('#login-form button[type=submit]');
    await page.click('#profile-list button:text("Alex")');
    await page.click(`#rows button[data-title-id="${titleId}"]`);

    const target = RESUME_AT + PLAY_SECONDS;
    const deadline = Date.now() + 120_000;
    let state = await clientState(page);
    let throttledAt: number | null = null;
    while (Date.now() < deadline) {
      state = await clientState(page);
      if (state.errors.length > 0) break;
      // Throttle once the player renders above the lowest rendition. Usually it climbs there from
      // the low start; with fast switching, dash.js may replace the first rendition before the
      // first frame, so the climb is never rendered.
      if (throttledAt === null && state.firstFrameMs !== null && aboveLowest(state)) {
        throttledAt = state.currentTime;
        const how = switchedUp(state.renditions) ? 'up-switch seen' : 'started above the lowest';
        log(
          `${how} (${state.renditions.join(' → ')} of ${state.ladder.join(', ')}); throttling to ${THROTTLE_KBPS} kbit/s`,
        );
        const bytesPerSecond = (THROTTLE_KBPS * 1000) / 8;
        await cdp.send('Network.emulateNetworkConditions', {
          offline: false,
          latency: 40,
          downloadThroughput: bytesPerSecond,
          uploadThroughput: bytesPerSecond,
        });
      }
      if (state.currentTime >= target && switchedDown(state.renditions)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    // For the README/notes: what the client looks like mid-playback (git-ignored folder).
    await page.screenshot({ path: path.join(ROOT, '.edgeflix/e2e-player.png') });
    log(`time to first frame: ${state.firstFrameMs} ms (click → first frame, manifest and resume lookup included)`);
    log(`renditions: ${state.renditions.join(' → ')}; played ${state.playingFrom} → ${state.currentTime.toFixed(1)} s`);
    log(`device capabilities sent: ${state.capabilities}`);

    expect(state.errors).toEqual([]);
    expect(state.firstFrameMs).not.toBeNull();
    expect(Math.abs((state.playingFrom ?? -100) - RESUME_AT)).toBeLessThan(2);
    expect(state.currentTime).toBeGreaterThanOrEqual(target);
    // Above the lowest rendition before the throttle, and a step down after it.
    expect(throttledAt).not.toBeNull();
    expect(switchedDown(state.renditions)).toBe(true);
    expect(media.length).toBeGreaterThan(0);
    expect(media.every((m) => m.url.includes('token=') && (m.status === 200 || m.status === 206))).toBe(true);

    // Segment URLs work only with their token intact.
    const segment = new URL(media.find((m) => m.url.includes('.m4s'))!.url);
    const good = segment.searchParams.get('token')!;
    const [h, p, s] = good.split('.');
    segment.searchParams.set('token', `${h}.${p!.slice(0, -1)}${p!.endsWith('A') ? 'B' : 'A'}.${s}`);
    const tampered = await fetch(segment);
    expect(tampered.status).toBe(403);
    expect(((await tampered.json()) as { code: string }).code).toBe('forbidden');
    segment.searchParams.set('token', good);
    expect((await fetch(segment)).status).toBe(200);
    await page.close();
  });
});
