/**
 * Concurrent streams in the browser, on the premium demo account (4 at once). Light on the
 * 2-core machine: two of the four streams are API-level manifest requests from their own
 * sessions, two are real players (pages); the fifth page is refused with the list, stops one of
 * the real players' streams, then plays, and the stopped player stops at its next heartbeat.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, profileToken, startMediaEdge, type MediaEdge } from './media-edge.ts';

const log = (line: string) => process.stdout.write(`[e2e streams] ${line}\n`);
const TOO_MANY = 'Too many people are using your account right now';
const ENDED = 'Playback was stopped from another device of your account';

interface ClientState {
  firstFrameMs: number | null;
  currentTime: number;
  errors: string[];
  streamId: string | null;
  streamEnded: boolean;
}

let setup: MediaEdge;

beforeAll(async () => {
  setup = await startMediaEdge({ media: { durationSeconds: 60 }, log });
});
afterAll(async () => {
  await setup?.stop();
});

const clientState = (page: Page) => page.evaluate(() => (globalThis as unknown as { edgeflix: ClientState }).edgeflix);

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A stream from a device of its own: sign in (a session), pick a profile, fetch the manifest. */
async function apiStream(deviceName: string, profileName: string): Promise<string> {
  const url = setup.edge.url;
  const token = await profileToken(url, DEMO, profileName, { deviceName, deviceType: 'tv' });
  const res = await fetch(`${url}/v1/playback/${setup.titleId}/manifest.mpd`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  await res.body?.cancel();
  return res.headers.get('edgeflix-stream-id')!;
}

async function openPlayer(): Promise<Page> {
  const page = await setup.browser.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') log(`browser: ${msg.text()}`);
  });
  await page.goto(`${setup.edge.url}/`);
  await page.click('#login-form button[type=submit]');
  await page.click('#profile-list button:text("Alex")');
  await page.click(`#rows button[data-title-id="${setup.titleId}"]`);
  return page;
}

async function playing(page: Page): Promise<ClientState> {
  return until('a first frame', async () => {
    const s = await clientState(page);
    if (s.errors.length > 0) throw new Error(`player failed: ${s.errors.join('; ')}`);
    return s.firstFrameMs !== null && s.currentTime > 0 ? s : undefined;
  });
}

describe('concurrent streams in the web client', () => {
  it('refuses a fifth premium stream with the list, plays it once another is stopped, and stops that player', async () => {
    await apiStream('Living room TV', 'Sam');
    await apiStream('Bedroom TV', 'Alex');
    const first = await openPlayer();
    const second = await openPlayer();
    const [firstState] = [await playing(first), await playing(second)];
    log(`four streams: two API-level, two players (first frame ${firstState.firstFrameMs} ms)`);

    const fifth = await openPlayer();
    const panel = fifth.locator('#streams');
    await panel.waitFor({ state: 'visible', timeout: 60_000 });
    expect(await panel.locator('.streams-message').textContent()).toBe(TOO_MANY);
    const items = panel.locator('li');
    expect(await items.count()).toBe(4);
    const texts = await items.allTextContents();
    expect(texts.some((t) => t.includes('Living room TV') && t.startsWith('Sam'))).toBe(true);
    expect((await clientState(fifth)).firstFrameMs).toBeNull();

    // Stop the first player's stream from the fifth device; the fifth then plays.
    await panel.locator(`li[data-stream-id="${firstState.streamId}"] button`).click();
    await playing(fifth);
    expect(await panel.isHidden()).toBe(true);

    // The stopped player hears it at its next heartbeat (every 10 s) and stops.
    const stopped = await until(
      'the stopped player to stop',
      async () => {
        const s = await clientState(first);
        return s.streamEnded ? s : undefined;
      },
      40_000,
    );
    expect(stopped.errors).toContain(ENDED);
    const video = () =>
      first.$eval('#video', (el) => {
        const v = el as unknown as { paused: boolean; currentTime: number };
        return { paused: v.paused, currentTime: v.currentTime };
      });
    const before = await video();
    await new Promise((r) => setTimeout(r, 2_000));
    expect(before.paused).toBe(true);
    expect((await video()).currentTime).toBe(before.currentTime);
    expect((await clientState(second)).errors).toEqual([]);
    for (const page of [first, second, fifth]) await page.close();
  });
});
