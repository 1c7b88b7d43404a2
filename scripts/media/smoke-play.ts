/**
 * Smoke check that generated media plays in a real browser: serves one title's files from a tiny
 * local HTTP server behind segment tokens (core/segment-token.ts), with an MPD built by
 * core/manifest/dash.ts, and plays it in headless Chromium with dash.js (or Shaka Player).
 *
 *   npx tsx scripts/media/smoke-play.ts [--title <titleId>] [--codecs avc1] [--start 20] [--player dashjs|shaka]
 *
 * Passes when the player plays at least `--seconds` (10) of media from the start position, every
 * media request carried a valid token, and (with ABR) the video rendition switched: up from the
 * lowest while the network is free, down again once it is throttled. Needs Debian's chromium
 * (`apt-get install -y chromium`) and the media from scripts/media.ts.
 */
import { createReadStream, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';

import { chromium, type Browser, type Page } from 'playwright-core';

import { buildMpd, DASH_CONTENT_TYPE } from '../../core/manifest/dash.ts';
import { filterForDevice, parseDeviceCapabilities } from '../../core/manifest/device.ts';
import type { MediaLocations } from '../../core/manifest/location.ts';
import type { PlaybackSource } from '../../core/manifest/source.ts';
import { HttpError } from '../../core/problem.ts';
import { signSegmentToken, verifySegmentToken, type SegmentKeySet } from '../../core/segment-token.ts';
import { playbackSourceOf } from './catalog.ts';
import { MEDIA_JSON, type GeneratedTitle } from './generate.ts';

const ROOT = resolve(import.meta.dirname, '../..');
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--autoplay-policy=no-user-gesture-required',
];

export type Player = 'dashjs' | 'shaka';

export interface SmokeOptions {
  /** Folder of generated titles (`.edgeflix/media`). */
  mediaDir: string;
  titleId: string;
  /** The device-capabilities header value the manifest is filtered with. */
  capabilities?: string;
  startSeconds?: number;
  /** Media seconds that must play. */
  playSeconds?: number;
  player?: Player;
  /** Path of `shaka-player.compiled.js` (Shaka is not a dependency of the project). */
  shakaScript?: string;
  /** Changes the title before filtering (e.g. to add representations a player should skip). */
  transformSource?: (source: PlaybackSource) => PlaybackSource;
  /** Throttle the network after the first up-switch, to see the player step down. */
  throttleKbps?: number;
  log?: (line: string) => void;
}

export interface SmokeResult {
  player: Player;
  played: boolean;
  startedAt: number;
  /** Where playback began: the resume position when the player honoured it. */
  playingFrom: number | null;
  currentTime: number;
  firstFrameMs: number | null;
  /** Video renditions in the order the player showed them (height@bitrate). */
  renditions: string[];
  switchedUp: boolean;
  switchedDown: boolean;
  audioLanguages: string[];
  textLanguages: string[];
  /** The video tracks (adaptation sets) the player kept, by codecs. */
  videoTracks: string[];
  requests: { ok: number; refused: number; unsigned: number };
  /** The server refused a segment request without a token and one with a tampered token, and served the real one. */
  tokenEnforced: boolean;
  errors: string[];
}

interface PageState {
  ready: boolean;
  /** Where playback actually began (the first `playing` event's currentTime). */
  playingFrom: number | null;
  firstFrameMs: number | null;
  currentTime: number;
  renditions: string[];
  errors: string[];
  audio: string[];
  text: string[];
  video: string[];
}

/** Plays one title and reports what happened. */
export async function smokePlay(options: SmokeOptions): Promise<SmokeResult> {
  const log = options.log ?? (() => {});
  const player = options.player ?? 'dashjs';
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);

  const media = JSON.parse(readFileSync(join(options.mediaDir, options.titleId, MEDIA_JSON), 'utf8')) as GeneratedTitle;
  const generated = playbackSourceOf(media, { maturityRating: 'G', maturityLevel: 10 });
  const source = options.transformSource ? options.transformSource(generated) : generated;
  const caps = parseDeviceCapabilities({ header: options.capabilities ?? 'codecs=avc1,mp4a' });
  const filtered = filterForDevice(source, caps);
  if (!filtered.playable)
    throw new Error(`nothing playable for ${options.capabilities}: ${filtered.reasons.join(', ')}`);

  const keys: SegmentKeySet = { current: 'smoke', keys: { smoke: randomBytes(32).toString('hex') } };
  const counts = { ok: 0, refused: 0, unsigned: 0 };
  const playerScript = player === 'dashjs' ? dashjsScript() : shakaScript(options.shakaScript);
  let mpd = '';
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/') return send(res, 200, 'text/html; charset=utf-8', page(player));
    if (url.pathname === '/player.js') return send(res, 200, 'text/javascript', readFileSync(playerScript));
    if (url.pathname === '/manifest.mpd') return send(res, 200, DASH_CONTENT_TYPE, mpd);
    if (url.pathname === '/favicon.ico') return send(res, 204, 'text/plain', '');
    if (url.pathname.startsWith('/media/')) {
      const key = url.pathname.slice(1);
      const token = url.searchParams.get('token');
      if (!token) {
        counts.unsigned++;
        return send(res, 403, 'text/plain', 'no token');
      }
      try {
        await verifySegmentToken(token, keys, { path: key });
      } catch (err) {
        counts.refused++;
        return send(res, 403, 'text/plain', err instanceof HttpError ? err.message : 'refused');
      }
      const file = join(options.mediaDir, key.slice('media/'.length));
      if (!existsSync(file)) return send(res, 404, 'text/plain', 'not found');
      counts.ok++;
      const type = file.endsWith('.vtt') ? 'text/vtt; charset=utf-8' : 'video/mp4';
      res.writeHead(200, {
        'content-type': type,
        'content-length': statSync(file).size,
        'access-control-allow-origin': '*',
      });
      createReadStream(file).pipe(res);
      return;
    }
    send(res, 404, 'text/plain', 'not found');
  }

  await listen(server);
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let browser: Browser | undefined;
  try {
    const locations = await signedLocations(source, filtered.kept, keys, origin);
    mpd = buildMpd(source, {
      kept: filtered.kept,
      locations,
      ...(options.startSeconds ? { resumePosition: options.startSeconds } : {}),
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    const page = await browser.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') log(`  browser: ${msg.text()}`);
    });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    const supported = await page.evaluate(
      (codecs) => {
        // Runs in the page; the Node tsconfig has no DOM types.
        const ms = (globalThis as unknown as { MediaSource: { isTypeSupported(type: string): boolean } }).MediaSource;
        return Object.fromEntries(codecs.map((c) => [c, ms.isTypeSupported(`video/mp4; codecs="${c}"`)]));
      },
      ['avc1.4d401f', 'vp09.00.31.08', 'av01.0.05M.08', 'hev1.1.6.L93.B0'],
    );
    log(`  chromium MediaSource support: ${JSON.stringify(supported)}`);
    const start = options.startSeconds ?? 0;
    await page.goto(`${origin}/?start=${start}`);

    const target = start + (options.playSeconds ?? 10);
    const deadline = Date.now() + 90_000;
    let state = await pageState(page);
    let throttled = false;
    while (Date.now() < deadline) {
      state = await pageState(page);
      if (state.errors.length > 0) break;
      if (!throttled && options.throttleKbps && switchedUp(state.renditions)) {
        // Seen an up-switch: now starve the player and expect it to step down.
        throttled = true;
        log(`  throttling the network to ${options.throttleKbps} kbit/s at ${state.currentTime.toFixed(1)} s`);
        const bytesPerSecond = (options.throttleKbps * 1000) / 8;
        await cdp.send('Network.emulateNetworkConditions', {
          offline: false,
          latency: 20,
          downloadThroughput: bytesPerSecond,
          uploadThroughput: bytesPerSecond,
        });
      }
      const downSwitch = switchedDown(state.renditions);
      const patience = Math.min(target + 25, source.durationSeconds - 1);
      if (state.currentTime >= target && (!options.throttleKbps || downSwitch || state.currentTime >= patience)) break;
      await new Promise((r) => setTimeout(r, 500));
    }

    const playerRequests = { ...counts };
    // Requests without their token, or with a tampered one, must be refused whatever the player did.
    const firstVideo = filtered.kept.encodings[0];
    const segmentUrl = firstVideo ? `${origin}/${firstVideo.storagePrefix}seg-1.m4s` : '';
    const token = firstVideo ? (locations[firstVideo.id]?.query ?? '').replace(/^token=/, '') : '';
    const [header, payload, signature] = token.split('.');
    const tampered = `${header}.${payload?.slice(0, -2)}${payload?.endsWith('A') ? 'B' : 'A'}${payload?.slice(-1)}.${signature}`;
    const refusedWithoutToken = firstVideo ? (await fetch(segmentUrl)).status === 403 : false;
    const refusedTampered = firstVideo ? (await fetch(`${segmentUrl}?token=${tampered}`)).status === 403 : false;
    const acceptedSigned = firstVideo ? (await fetch(`${segmentUrl}?token=${token}`)).status === 200 : false;

    return {
      player,
      played: state.currentTime >= target && state.playingFrom !== null && Math.abs(state.playingFrom - start) < 1,
      startedAt: start,
      playingFrom: state.playingFrom,
      currentTime: state.currentTime,
      firstFrameMs: state.firstFrameMs,
      renditions: state.renditions,
      switchedUp: switchedUp(state.renditions),
      switchedDown: switchedDown(state.renditions),
      audioLanguages: state.audio,
      textLanguages: state.text,
      videoTracks: state.video,
      requests: playerRequests,
      tokenEnforced: refusedWithoutToken && refusedTampered && acceptedSigned,
      errors: state.errors,
    };
  } finally {
    await browser?.close();
    server.close();
  }
}

function bitrateOf(rendition: string): number {
  return Number(rendition.split('@')[1] ?? 0);
}

function switchedUp(renditions: readonly string[]): boolean {
  return renditions.some((r, i) => i > 0 && bitrateOf(r) > bitrateOf(renditions[i - 1] ?? ''));
}

function switchedDown(renditions: readonly string[]): boolean {
  return renditions.some((r, i) => i > 0 && bitrateOf(r) < bitrateOf(renditions[i - 1] ?? ''));
}

async function pageState(page: Page): Promise<PageState> {
  return page.evaluate(() => (globalThis as unknown as { smoke: PageState }).smoke);
}

/** One token per representation, bound to its prefix (or its file, for subtitles). */
async function signedLocations(
  source: PlaybackSource,
  kept: {
    encodings: { id: string; storagePrefix: string }[];
    audioTracks: { id: string; storagePrefix: string }[];
    subtitleTracks: { id: string; storageKey: string }[];
  },
  keys: SegmentKeySet,
  origin: string,
): Promise<MediaLocations> {
  const out: Record<string, { baseUrl: string; query: string }> = {};
  const grant = async (id: string, prefix: string) => {
    const { token } = await signSegmentToken(
      { titleId: source.titleId, representationId: id, prefix, profileId: '00000000-0000-4000-8000-000000000000' },
      keys,
    );
    out[id] = { baseUrl: `${origin}/${prefix}`, query: `token=${token}` };
  };
  for (const r of [...kept.encodings, ...kept.audioTracks]) await grant(r.id, r.storagePrefix);
  for (const s of kept.subtitleTracks) await grant(s.id, s.storageKey);
  return out;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function listen(server: Server): Promise<void> {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
}

function dashjsScript(): string {
  // The package's "require" export is the UMD build, which defines window.dashjs.
  return createRequire(join(ROOT, 'package.json')).resolve('dashjs');
}

function shakaScript(path: string | undefined): string {
  const candidates = [path, process.env['SHAKA_JS']].filter((p): p is string => Boolean(p));
  for (const candidate of candidates) if (existsSync(candidate)) return candidate;
  throw new Error('Shaka Player is not a project dependency: pass --shaka-js <path to dist/shaka-player.compiled.js>');
}

/** The test page: a muted video element, the player, and `window.smoke` for the driver to read. */
function page(player: Player): string {
  const common = `
    const params = new URLSearchParams(location.search);
    const start = Number(params.get('start') || 0);
    const video = document.querySelector('video');
    const shown = (r) => { if (smoke.renditions[smoke.renditions.length - 1] !== r) smoke.renditions.push(r); };
    const smoke = (window.smoke = { ready: false, playingFrom: null, firstFrameMs: null, currentTime: 0, renditions: [], errors: [], audio: [], text: [], video: [] });
    const t0 = performance.now();
    video.addEventListener('timeupdate', () => { smoke.currentTime = video.currentTime; });
    video.addEventListener('playing', () => { if (smoke.playingFrom === null) smoke.playingFrom = video.currentTime; });
    const onFrame = () => { if (smoke.firstFrameMs === null) smoke.firstFrameMs = Math.round(performance.now() - t0); };
    if ('requestVideoFrameCallback' in video) video.requestVideoFrameCallback(onFrame); else video.addEventListener('playing', onFrame, { once: true });
    video.addEventListener('error', () => smoke.errors.push('video element: ' + (video.error && video.error.message)));
  `;
  const dashjs = `
    const p = dashjs.MediaPlayer().create();
    p.updateSettings({ debug: { logLevel: dashjs.Debug.LOG_LEVEL_WARNING }, streaming: { abr: { initialBitrate: { video: 100 } } } });
    p.on(dashjs.MediaPlayer.events.QUALITY_CHANGE_RENDERED, (e) => {
      if (e.mediaType === 'video') shown(e.newRepresentation.height + 'p@' + e.newRepresentation.bandwidth);
    });
    p.on(dashjs.MediaPlayer.events.ERROR, (e) => smoke.errors.push('dash.js: ' + JSON.stringify(e.error && (e.error.message || e.error.code || e.error))));
    p.on(dashjs.MediaPlayer.events.STREAM_INITIALIZED, () => {
      smoke.ready = true;
      smoke.audio = p.getTracksFor('audio').map((t) => t.lang);
      smoke.text = p.getTracksFor('text').map((t) => t.lang);
      smoke.video = p.getTracksFor('video').map((t) => t.codec);
      const first = p.getCurrentRepresentationForType('video');
      if (first && smoke.renditions.length === 0) shown(first.height + 'p@' + first.bandwidth);
    });
    p.initialize(video, '/manifest.mpd', true, start);
  `;
  const shaka = `
    shaka.polyfill.installAll();
    const p = new shaka.Player();
    p.configure({ abr: { defaultBandwidthEstimate: 100000 } });
    p.addEventListener('error', (e) => smoke.errors.push('shaka: ' + e.detail.code));
    p.addEventListener('adaptation', () => {
      const v = p.getVariantTracks().find((t) => t.active);
      if (v) shown(v.height + 'p@' + v.videoBandwidth);
    });
    p.attach(video).then(() => p.load('/manifest.mpd', start)).then(() => {
      smoke.ready = true;
      smoke.audio = [...new Set(p.getVariantTracks().map((t) => t.language))];
      smoke.text = p.getTextTracks().map((t) => t.language);
      smoke.video = [...new Set(p.getVariantTracks().map((t) => t.videoCodec + (t.hdr ? ' ' + t.hdr : '')))];
      const v = p.getVariantTracks().find((t) => t.active);
      if (v && smoke.renditions.length === 0) shown(v.height + 'p@' + v.videoBandwidth);
      return video.play();
    }).catch((e) => smoke.errors.push('shaka: ' + (e.code || e.message || e)));
  `;
  return `<!doctype html><html><head><meta charset="utf-8"><title>smoke</title></head><body>
<video muted playsinline width="640" height="360"></video>
<script src="/player.js"></script>
<script>${common}${player === 'dashjs' ? dashjs : shaka}</script>
</body></html>`;
}

/** The first generated title in `mediaDir` (by id), for running without `--title`. */
export function firstGeneratedTitle(mediaDir: string): string | undefined {
  if (!existsSync(mediaDir)) return undefined;
  return readdirSync(mediaDir)
    .filter((d) => existsSync(join(mediaDir, d, MEDIA_JSON)))
    .sort()[0];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      title: { type: 'string' },
      media: { type: 'string' },
      codecs: { type: 'string' },
      start: { type: 'string' },
      seconds: { type: 'string' },
      player: { type: 'string' },
      'shaka-js': { type: 'string' },
      throttle: { type: 'string' },
    },
    strict: true,
  });
  const mediaDir = resolve(ROOT, values.media ?? '.edgeflix/media');
  const titleId = values.title ?? firstGeneratedTitle(mediaDir);
  if (!titleId) throw new Error(`no generated media in ${mediaDir}: run scripts/media.ts first`);
  const player = (values.player ?? 'dashjs') as Player;
  if (player !== 'dashjs' && player !== 'shaka') throw new Error('--player must be dashjs or shaka');
  const codecs = values.codecs ?? 'avc1';
  const log = (line: string) => console.log(line);
  log(`smoke: ${player} plays ${titleId} with codecs=${codecs}`);
  const result = await smokePlay({
    mediaDir,
    titleId,
    capabilities: `codecs=${codecs}`,
    startSeconds: Number(values.start ?? 0),
    playSeconds: Number(values.seconds ?? 10),
    player,
    ...(values['shaka-js'] ? { shakaScript: values['shaka-js'] } : {}),
    throttleKbps: Number(values.throttle ?? 500),
    log,
  });
  log(JSON.stringify(result, null, 2));
  const ok =
    result.played &&
    result.errors.length === 0 &&
    result.requests.refused === 0 &&
    result.requests.unsigned === 0 &&
    result.tokenEnforced;
  log(ok ? 'smoke: PASS' : 'smoke: FAIL');
  if (!ok) process.exitCode = 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  });
}
