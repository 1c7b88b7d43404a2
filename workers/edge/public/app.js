/* global dashjs, document, window, localStorage, location, fetch, MediaSource, performance, screen, setInterval, clearInterval, setTimeout, clearTimeout, URLSearchParams, crypto, FormData, URL */
/**
 * The reference web client: sign in, pick a profile, browse, play with dash.js through signed
 * segment URLs, resume where the profile left off, send heartbeats. No framework, no build step.
 * `window.edgeflix` exposes what the end-to-end test reads (first frame, renditions, errors).
 * Staying signed in, the Devices page and being signed out live in session.js.
 */
import {
  configureSession,
  login,
  recoverFrom401,
  rememberProfile,
  resumeSession,
  sessionStatus,
  signOut,
} from './session.js';
import { artworkImage, continueWatchingRow, initDiscovery, openTitle, progressBar } from './discovery.js';
import { ENDED_MESSAGE, hideStreams, releaseStream, showTooManyStreams, streamIdOf } from './streams.js';
import { clearKeyProtection } from './protection.js';

const HEARTBEAT_MS = 10_000;
/** While any title's media is being prepared, the catalog rows are refreshed this often. */
const PREPARING_POLL_MS = 3000;
const $ = (id) => document.getElementById(id);
const state = (window.edgeflix = {
  accountToken: null,
  profileToken: null,
  profile: null,
  playing: null,
  firstFrameMs: null,
  playingFrom: null,
  currentTime: 0,
  renditions: [],
  /** The video renditions the manifest offers this device, labelled as `renditions` are. */
  ladder: [],
  errors: [],
  heartbeats: 0,
  capabilities: null,
  /** Ids of the titles whose media is being prepared, as last polled. */
  preparing: [],
  session: sessionStatus,
  /** The stream this device's lease holds while playing (streams.js). */
  streamId: null,
  /** Set when another device stopped this stream. */
  streamEnded: false,
});
let player = null;
let heartbeatTimer = null;
let pollTimer = null;

function show(section) {
  for (const id of ['login', 'profiles', 'browse', 'title', 'player', 'devices', 'signed-out'])
    $(id).hidden = id !== section;
  $('error').textContent = '';
}

function fail(message) {
  $('error').textContent = message;
  state.errors.push(message);
}

async function api(path, { token = state.profileToken, method = 'GET', body, retried = false } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = res.headers.get('content-type')?.includes('json') ? await res.json() : null;
  if (res.status === 401 && token && !retried) {
    const next = await recoverFrom401(token, json);
    if (next) return api(path, { token: next, method, body, retried: true });
  }
  return { status: res.status, ok: res.ok, json };
}

/** What this browser plays, in the X-Device-Capabilities form (core/manifest/device.ts). */
function deviceCapabilities() {
  const override = new URLSearchParams(location.search).get('codecs');
  const video = (codec) => MediaSource.isTypeSupported(`video/mp4; codecs="${codec}"`);
  const audio = (codec) => MediaSource.isTypeSupported(`audio/mp4; codecs="${codec}"`);
  const codecs = override
    ? override.split(',')
    : [
        ['avc1', video('avc1.640028')],
        ['vp09', video('vp09.00.51.08')],
        ['av01', video('av01.0.08M.08')],
        ['hev1', video('hev1.1.6.L93.B0')],
        ['hvc1', video('hvc1.1.6.L93.B0')],
        ['mp4a', true],
        ['ec-3', audio('ec-3')],
        ['opus', audio('opus')],
      ]
        .filter(([, ok]) => ok)
        .map(([name]) => name);
  const pixels = Math.max(screen.width, screen.height) * (window.devicePixelRatio || 1);
  const maxRes = pixels >= 3000 ? '3840x2160' : pixels >= 1600 ? '1920x1080' : '1280x720';
  const hdr = window.matchMedia('(dynamic-range: high)').matches ? 'hdr10,hlg' : 'none';
  return `codecs=${codecs.join(',')}; max-res=${maxRes}; hdr=${hdr}`;
}

async function signIn(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const res = await login(form.get('email'), form.get('password'));
  if (!res.ok) return fail(res.json?.detail ?? `Sign-in failed (${res.status})`);
  await listProfiles();
}

async function listProfiles() {
  const res = await api('/v1/profiles', { token: state.accountToken });
  if (!res.ok) return fail(`Could not list profiles (${res.status})`);
  const list = $('profile-list');
  list.replaceChildren(
    ...res.json.profiles.map((p) => {
      const button = document.createElement('button');
      button.textContent = p.name;
      button.dataset.profileId = p.id;
      button.addEventListener('click', () => selectProfile(p));
      return button;
    }),
  );
  $('sign-out').hidden = false;
  show('profiles');
}

async function selectProfile(profile) {
  const res = await api(`/v1/profiles/${profile.id}/select`, { token: state.accountToken, method: 'POST' });
  if (!res.ok) return fail(`Could not select ${profile.name} (${res.status})`);
  state.profileToken = res.json.token;
  state.profile = profile;
  rememberProfile(profile, res.json);
  $('who').textContent = profile.name;
  $('search').hidden = false;
  await browse();
}

async function browse() {
  show('browse');
  const [catalog, home, experiments, watching] = await Promise.all([
    catalogRows(),
    api('/v1/home'),
    api('/v1/experiments'),
    continueWatchingRow(),
  ]);
  const rows = [...catalog.rows];
  if (home.ok) {
    // Continue Watching is drawn from its own route (discovery.js), with progress bars.
    for (const row of home.json.rows.filter((r) => r.kind !== 'continue_watching')) {
      rows.push({
        title: row.title,
        items: row.items.map((i) => ({
          id: i.id,
          name: i.name,
          type: i.type,
          info: i.episodeInfo ?? i.maturityRating,
          posterUrl: i.posterUrl,
          details: true,
        })),
      });
    }
  }
  $('rows').replaceChildren(
    ...(watching ? [watching] : []),
    ...rows.filter((r) => r.items.length > 0 || r.hint).map(renderRow),
  );
  if (experiments.ok && experiments.json.assignments.length > 0) {
    $('experiments').textContent =
      'Experiments: ' + experiments.json.assignments.map((a) => `${a.experimentId}=${a.variantId}`).join(', ');
  }
  schedulePoll(catalog.preparing);
}

/** "Playable now" and "Being prepared": the titles with media, and those whose media is on its way. */
async function catalogRows() {
  const [playable, preparing] = await Promise.all([
    api('/v1/titles?playable=true&limit=50'),
    api('/v1/titles?preparing=true&limit=50'),
  ]);
  const card = (t, info) => ({ id: t.id, name: t.name, type: t.type, info, posterUrl: t.posterUrl });
  const waiting = preparing.ok ? preparing.json.items.filter((t) => !t.playable) : [];
  state.preparing = preparing.ok ? preparing.json.items.map((t) => t.id) : [];
  const rows = [];
  if (playable.ok) {
    rows.push({
      key: 'playable',
      title: 'Playable now',
      items: playable.json.items.map((t) =>
        card(t, t.preparing ? `${t.maturityRating} · more quality levels coming` : t.maturityRating),
      ),
      hint:
        playable.json.items.length === 0 && waiting.length === 0
          ? 'Nothing is playable yet: npm start prepares the demo titles; npm run media adds more.'
          : undefined,
    });
  }
  rows.push({
    key: 'preparing',
    title: 'Being prepared',
    items: waiting.map((t) => ({ ...card(t, `${t.maturityRating} · preparing media…`), waiting: true })),
  });
  return { rows, preparing: state.preparing.length > 0 };
}

/** Polls while something is being prepared and the catalog is on screen; stops once nothing is. */
function schedulePoll(active) {
  clearTimeout(pollTimer);
  pollTimer = active ? setTimeout(() => void refreshCatalog(), PREPARING_POLL_MS) : null;
}

async function refreshCatalog() {
  const rowsEl = $('rows');
  // Away from the catalog (playing, or a series opened): browse() starts polling again on return.
  if ($('browse').hidden || !rowsEl.querySelector('[data-row-key]')) return;
  const catalog = await catalogRows();
  for (const el of rowsEl.querySelectorAll('[data-row-key]')) el.remove();
  rowsEl.prepend(...catalog.rows.filter((r) => r.items.length > 0 || r.hint).map(renderRow));
  schedulePoll(catalog.preparing);
}

function renderRow(row) {
  const section = document.createElement('div');
  section.className = 'row';
  if (row.key) section.dataset.rowKey = row.key;
  const heading = document.createElement('h3');
  heading.textContent = row.title;
  const cards = document.createElement('div');
  cards.className = 'cards';
  for (const item of row.items) {
    const card = document.createElement('button');
    card.className = item.waiting ? 'card waiting' : 'card';
    card.dataset.titleId = item.id;
    const name = document.createElement('span');
    name.className = 'card-name';
    name.textContent = item.name;
    const small = document.createElement('small');
    small.textContent = item.info ?? '';
    card.append(artworkImage(item.posterUrl, { alt: '', sizes: '11rem' }), name, small);
    if (item.progressPercent != null)
      card.append(progressBar(item.progressPercent, `${item.progressPercent}% watched`));
    if (item.waiting) card.disabled = true;
    else
      card.addEventListener('click', () => (item.type === 'series' || item.details ? openTitle(item.id) : play(item)));
    cards.append(card);
  }
  section.append(heading);
  if (row.hint) {
    const hint = document.createElement('p');
    hint.className = 'hint';
    hint.textContent = row.hint;
    section.append(hint);
  }
  if (row.items.length > 0) section.append(cards);
  return section;
}

async function resumePosition(titleId) {
  const res = await api(`/v1/progress/${titleId}`);
  return res.ok && !res.json.completed ? res.json.positionSeconds : 0;
}

async function play(item) {
  schedulePoll(false);
  show('player');
  $('now-playing').textContent = item.name;
  Object.assign(state, {
    playing: item,
    firstFrameMs: null,
    playingFrom: null,
    currentTime: 0,
    renditions: [],
    ladder: [],
  });
  state.capabilities = deviceCapabilities();
  const video = $('video');
  const started = performance.now();
  // The title page says where to start (Resume, or Play from the start); a row's card resumes.
  const resume = item.startAt ?? (await resumePosition(item.id));
  // Absolute: dash.js's CMCD reporter parses every request URL on its own and warns on a relative one.
  const manifest = new URL(`/v1/playback/${item.id}/manifest.mpd`, location.href).href;
  // Before dash.js fetches it: a 422 (nothing playable) or 403 (maturity) is shown as is.
  const check = await fetch(manifest, {
    method: 'GET',
    headers: { authorization: `Bearer ${state.profileToken}`, 'x-device-capabilities': state.capabilities },
  });
  if (!check.ok) {
    const problem = await check.json().catch(() => null);
    if (problem?.code === 'too_many_streams') {
      return showTooManyStreams($('streams'), problem, { token: state.profileToken, retry: () => play(item) });
    }
    return fail(problem?.detail ?? `Cannot play this title (${check.status})`);
  }
  hideStreams($('streams'));
  Object.assign(state, { streamId: streamIdOf(check), streamEnded: false });

  player = dashjs.MediaPlayer().create();
  player.updateSettings({
    debug: { logLevel: dashjs.Debug.LOG_LEVEL_WARNING },
    streaming: { abr: { initialBitrate: { video: 100 } } },
  });
  // Only manifest requests carry the profile token; segment URLs carry their own signed token.
  player.addRequestInterceptor((request) => {
    if (new URL(request.url, location.href).pathname.startsWith('/v1/playback/')) {
      request.headers = {
        ...request.headers,
        authorization: `Bearer ${state.profileToken}`,
        'x-device-capabilities': state.capabilities,
      };
    }
    return Promise.resolve(request);
  });
  // Protected titles: Clear Key licences from the edge (protection.js).
  player.setProtectionData(clearKeyProtection(item.id, state.profileToken));
  // The renditions listed are the ones rendered. The one current at STREAM_INITIALIZED is only
  // the one being fetched: with fast switching, dash.js may replace it before the first frame, so
  // the first rendered change replaces that guess.
  let rendered = false;
  player.on(dashjs.MediaPlayer.events.QUALITY_CHANGE_RENDERED, (e) => {
    if (e.mediaType !== 'video') return;
    if (!rendered) state.renditions = [];
    rendered = true;
    if (e.oldRepresentation) rendition(e.oldRepresentation);
    rendition(e.newRepresentation);
  });
  player.on(dashjs.MediaPlayer.events.STREAM_INITIALIZED, () => {
    state.ladder = player.getRepresentationsByType('video').map(renditionLabel);
    const first = player.getCurrentRepresentationForType('video');
    if (first && state.renditions.length === 0) rendition(first);
  });
  player.on(dashjs.MediaPlayer.events.ERROR, (e) => fail(`dash.js: ${JSON.stringify(e.error?.message ?? e.error)}`));
  const onFrame = () => {
    if (state.firstFrameMs === null) {
      state.firstFrameMs = Math.round(performance.now() - started);
      stat('first frame', `${state.firstFrameMs} ms`);
    }
  };
  if ('requestVideoFrameCallback' in video) video.requestVideoFrameCallback(onFrame);
  else video.addEventListener('playing', onFrame, { once: true });
  video.addEventListener('playing', () => {
    if (state.playingFrom === null) state.playingFrom = video.currentTime;
  });
  video.addEventListener('timeupdate', () => (state.currentTime = video.currentTime));
  video.addEventListener('pause', () => void heartbeat(video.ended ? 'stopped' : 'paused'));
  stat('device', state.capabilities);
  stat('resume at', `${resume.toFixed(1)} s`);
  player.initialize(video, manifest, true, resume);
  heartbeatTimer = setInterval(() => void heartbeat(), HEARTBEAT_MS);
}

const renditionLabel = (r) => `${r.height}p@${r.bandwidth}`;

function rendition(r) {
  if (state.renditions.at(-1) !== renditionLabel(r)) state.renditions.push(renditionLabel(r));
  stat('rendition', `${renditionLabel(r)} (${state.renditions.join(' → ')})`);
}

function deviceId() {
  let id = localStorage.getItem('edgeflix.deviceId');
  if (!id) localStorage.setItem('edgeflix.deviceId', (id = `web-${crypto.randomUUID().slice(0, 8)}`));
  return id;
}

/** `playback`: what the player is doing; a pause or stop lets the profile's buffer flush at once. */
async function heartbeat(playback = $('video').paused ? 'paused' : 'playing') {
  const video = $('video');
  if (!state.playing || !Number.isFinite(video.duration) || video.currentTime === 0) return;
  const res = await api('/v1/progress', {
    method: 'POST',
    body: {
      titleId: state.playing.id,
      positionSeconds: Math.round(video.currentTime * 10) / 10,
      durationSeconds: Math.max(video.duration, video.currentTime),
      eventTime: Date.now(),
      deviceId: deviceId(),
      state: playback,
    },
  });
  if (res.ok) state.heartbeats += 1;
  if (res.json?.code === 'stream_ended') {
    state.streamEnded = true;
    state.streamId = null;
    clearInterval(heartbeatTimer);
    player?.reset();
    player = null;
    fail(ENDED_MESSAGE);
  }
}

function stat(name, value) {
  const stats = $('stats');
  let dd = stats.querySelector(`[data-stat="${name}"]`);
  if (!dd) {
    const dt = document.createElement('dt');
    dt.textContent = name;
    dd = document.createElement('dd');
    dd.dataset.stat = name;
    stats.append(dt, dd);
  }
  dd.textContent = value;
}

/** Stops the player at once, without a last heartbeat (used when the session ended too). */
function stopPlayback() {
  state.playing = null;
  clearInterval(heartbeatTimer);
  releaseStream(state.profileToken, state.streamId);
  state.streamId = null;
  hideStreams($('streams'));
  player?.reset();
  player = null;
  $('stats').replaceChildren();
}

async function stop() {
  await heartbeat('stopped');
  stopPlayback();
  await browse();
}

/** A session kept from before (reload, new tab): straight back to the profile, or to the list. */
async function start() {
  const resumed = await resumeSession();
  if (!resumed) return show('login');
  if (!resumed.profile) return listProfiles();
  state.profile = resumed.profile;
  $('who').textContent = resumed.profile.name;
  $('search').hidden = false;
  await browse();
}

configureSession({
  onTokens: (tokens) => Object.assign(state, tokens),
  onSignedOut: () => {
    if (state.playing) state.stoppedAtSeconds = $('video').currentTime;
    stopPlayback();
    schedulePoll(false);
    state.profile = null;
    $('who').textContent = '';
    $('search').hidden = true;
  },
  show,
  back: () => (state.profile ? void browse() : void listProfiles()),
});
initDiscovery({ play: (item) => void play(item), browse, show, fail, leaveBrowse: () => schedulePoll(false) });
$('login-form').addEventListener('submit', (e) => void signIn(e));
$('back').addEventListener('click', () => void stop());
$('sign-out').addEventListener('click', () => void signOut());
window.addEventListener('pagehide', () => releaseStream(state.profileToken, state.streamId));
void start();
