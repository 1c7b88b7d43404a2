/**
 * Finding something to watch in Debian's chromium, through the edge under `wrangler dev`: the
 * home page shows drawn posters, a search typed with a typo finds a series, its title page lists
 * seasons and episodes, an episode plays, and back home it waits in Continue Watching with its
 * progress bar and `S1:E2` label, with no error or warning in the console all along. Screenshots
 * go to SCREENS_DIR (default /work/coord/screens).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_REPRESENTATIONS } from '../scripts/media/ladder.ts';
import { startMediaEdge, type MediaEdge } from './media-edge.ts';

const SCREENS = process.env['SCREENS_DIR'] ?? '/work/coord/screens';
/** Short and only the first rung: enough to play a few seconds of the episode. */
const MEDIA_SECONDS = 30;
const PLAY_SECONDS = 6;
const log = (line: string) => process.stdout.write(`[e2e] ${line}\n`);

interface ClientState {
  currentTime: number;
  errors: string[];
  heartbeats: number;
  searchRequests?: number;
  searchShown?: string;
}

let setup: MediaEdge;
let edge: MediaEdge['edge'];
let browser: MediaEdge['browser'];
let series: { id: string; name: string };
let episode: { id: string; name: string };

/** A typo a person makes: one letter of the longest word left out, all in lower case. */
function typo(name: string): string {
  const words = name.split(' ');
  const longest = words.reduce((a, b) => (b.length > a.length ? b : a));
  const at = Math.floor(longest.length / 2);
  return words
    .map((w) => (w === longest ? w.slice(0, at) + w.slice(at + 1) : w))
    .join(' ')
    .toLowerCase();
}

beforeAll(async () => {
  // Media for S1:E2 of the most popular series with a typo-able name.
  setup = await startMediaEdge({
    label: 'e2e_discovery',
    pickTitle: async (sql) => {
      const [s] = await sql<{ id: string; name: string }[]>`
        SELECT id, name FROM titles
        WHERE type = 'series' AND name ~ '[A-Za-z]{6,}'
        ORDER BY popularity DESC, id LIMIT 1`;
      series = s!;
      const [e] = await sql<{ id: string; name: string }[]>`
        SELECT id, name FROM titles WHERE series_id = ${series.id} AND season_number = 1 AND episode_number = 2`;
      episode = e!;
      return episode;
    },
    media: { durationSeconds: MEDIA_SECONDS, representations: FIRST_REPRESENTATIONS },
    log,
  });
  ({ edge, browser } = setup);
  mkdirSync(SCREENS, { recursive: true });
});

afterAll(async () => {
  await setup?.stop();
});

const clientState = (page: Page) => page.evaluate(() => (globalThis as unknown as { edgeflix: ClientState }).edgeflix);

/** Waits until the first `count` images under `selector` have loaded real pixels (run in the page). */
const imagesLoaded = (page: Page, selector: string, count: number) =>
  page.waitForFunction(
    `(() => {
      const images = [...document.querySelectorAll(${JSON.stringify(selector)})].slice(0, ${count});
      return images.length === ${count} && images.every((i) => i.complete && i.naturalWidth > 0);
    })()`,
    undefined,
    { timeout: 60_000 },
  );

describe('discovery in chromium', () => {
  it('searches with a typo, opens a series, plays an episode and finds it in Continue Watching with its bar', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const artwork: { status: number; type: string | null; cache: string | null }[] = [];
    page.on('response', (res) => {
      if (new URL(res.url()).pathname.startsWith('/v1/artwork/')) {
        artwork.push({
          status: res.status(),
          type: res.headers()['content-type'] ?? null,
          cache: res.headers()['cache-control'] ?? null,
        });
      }
    });
    // What a person would see in the console: errors and warnings (dash.js's included).
    const consoleProblems: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() !== 'error' && msg.type() !== 'warning') return;
      log(`browser ${msg.type()}: ${msg.text()}`);
      consoleProblems.push(`${msg.type()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => consoleProblems.push(`uncaught: ${err.message}`));

    await page.goto(`${edge.url}/`);
    await page.click('#login-form button[type=submit]');
    await page.click('#profile-list button:text("Alex")');

    // The home page: rows of posters, each with every fixed width in its srcset.
    await imagesLoaded(page, '#rows .card img.poster', 6);
    const srcset = await page.locator('#rows .card img.poster').first().getAttribute('srcset');
    expect(srcset).toMatch(/\?w=160 160w, .*\?w=320 320w, .*\?w=640 640w$/);
    expect(await page.locator('#rows .card img.poster').first().getAttribute('loading')).toBe('lazy');
    await page.screenshot({ path: path.join(SCREENS, 'discovery-home.png') });

    // Search, typed one key at a time with a typo: one request per pause, not per key.
    const query = typo(series.name);
    log(`searching "${query}" for "${series.name}"`);
    const box = page.getByLabel('Search titles, people and genres');
    await box.click();
    await box.pressSequentially(query, { delay: 40 });
    const hit = page.locator(`#search-results button[data-title-id="${series.id}"]`);
    await hit.waitFor({ timeout: 30_000 });
    const afterSearch = await clientState(page);
    expect(afterSearch.searchShown).toBe(query);
    expect(afterSearch.searchRequests).toBeLessThanOrEqual(3);
    await imagesLoaded(page, '#search-results img.poster', 1);
    await page.screenshot({ path: path.join(SCREENS, 'discovery-search.png') });

    // Keyboard: down to the first result; Enter on the series' result opens its title page.
    await box.press('ArrowDown');
    expect(await page.evaluate("document.activeElement?.closest('#search-results') !== null")).toBe(true);
    await hit.focus();
    await page.keyboard.press('Enter');
    await page.locator('#title-name').waitFor();
    expect(await page.locator('#title-name').textContent()).toBe(series.name);
    expect(await page.locator('#title .synopsis').first().textContent()).not.toBe('');
    expect(await page.locator('#title .cast').textContent()).toContain('Cast:');
    await imagesLoaded(page, '#title img.backdrop', 1);
    const episodeButton = page.locator(`#title button.episode[data-title-id="${episode.id}"]`);
    expect(await episodeButton.getAttribute('data-episode')).toBe('S1:E2');
    expect(await episodeButton.isDisabled()).toBe(false);
    await page.screenshot({ path: path.join(SCREENS, 'discovery-title.png'), fullPage: true });

    // Play S1:E2 for a few seconds, then back.
    await episodeButton.click();
    const deadline = Date.now() + 90_000;
    let state = await clientState(page);
    while (Date.now() < deadline && state.errors.length === 0 && state.currentTime < PLAY_SECONDS) {
      await new Promise((r) => setTimeout(r, 500));
      state = await clientState(page);
    }
    expect(state.errors).toEqual([]);
    expect(state.currentTime).toBeGreaterThanOrEqual(PLAY_SECONDS);
    await page.click('#back');

    // Continue Watching: the episode, labelled S1:E2, with a bar that shows how far it got.
    const resume = page.locator(`#rows [data-row-kind="continue_watching"] button[data-title-id="${episode.id}"]`);
    await resume.waitFor({ timeout: 30_000 });
    expect(await resume.textContent()).toContain('S1:E2');
    const bar = resume.locator('[role=progressbar]');
    const percent = Number(await bar.getAttribute('aria-valuenow'));
    log(`Continue Watching: ${await resume.getAttribute('aria-label')} (bar at ${percent}%)`);
    expect(percent).toBeGreaterThan(0);
    expect(percent).toBeLessThan(100);
    await imagesLoaded(page, '#rows [data-row-kind="continue_watching"] img.poster', 1);
    await page.screenshot({ path: path.join(SCREENS, 'discovery-continue-watching.png') });

    // Every image came from the edge as WebP with year-long immutable caching.
    expect(artwork.length).toBeGreaterThan(0);
    expect(artwork.filter((a) => a.status === 200).every((a) => a.type === 'image/webp')).toBe(true);
    expect(artwork.filter((a) => a.status === 200).every((a) => a.cache?.includes('immutable'))).toBe(true);
    expect(artwork.filter((a) => a.status >= 400)).toEqual([]);
    expect(consoleProblems).toEqual([]);
    await page.close();
  });
});
