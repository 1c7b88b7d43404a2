/* global document, window, fetch, setTimeout, clearTimeout, AbortController */
/**
 * Finding something to watch: posters (srcset at the edge's fixed artwork widths, lazy), search
 * as the user types, a title page (synopsis, cast, seasons and episodes, Play and Resume) and the
 * Continue Watching row with progress bars. app.js owns sign-in, rows and the player; it hands
 * this module what it needs in `initDiscovery`.
 */

/** The widths GET /v1/artwork serves (core/artwork.ts ARTWORK_WIDTHS); any other is a 400. */
export const ARTWORK_WIDTHS = [160, 320, 640, 1280];
/** Quiet time after the last keystroke before a search goes out. */
export const SEARCH_DEBOUNCE_MS = 250;
/**
 * The `search` tier allows 50 requests a minute (core/rate-limit.ts); the client keeps under 40 of
 * its own, and waits out a 429's Retry-After, so typing never runs into the limit.
 */
const SEARCH_BUDGET = { requests: 40, windowMs: 60_000 };
const MIN_QUERY = 2;

const $ = (id) => document.getElementById(id);
let deps = null;

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key in node && key !== 'list') node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

/**
 * An `<img>` for an artwork URL: every fixed width in `srcset`, `sizes` for the slot it fills,
 * loaded lazily; a text placeholder when the title has no artwork.
 */
export function artworkImage(url, { alt, sizes, widths = ARTWORK_WIDTHS.slice(0, 3), className = 'poster' }) {
  if (!url) return el('span', { className: `${className} no-art`, role: 'img', 'aria-label': alt }, alt);
  const img = el('img', {
    className,
    src: `${url}?w=${widths[Math.min(1, widths.length - 1)]}`,
    srcset: widths.map((w) => `${url}?w=${w} ${w}w`).join(', '),
    sizes,
    alt,
    loading: 'lazy',
    decoding: 'async',
  });
  // A cold image can fail while the origin is busy drawing others (a 502): try once more, later.
  img.addEventListener('error', function retry() {
    img.removeEventListener('error', retry);
    setTimeout(() => {
      const candidates = img.srcset;
      img.srcset = '';
      img.srcset = candidates;
    }, 2000);
  });
  return img;
}

/** A progress bar with an accessible value, e.g. for Continue Watching. */
export function progressBar(percent, label) {
  const value = Math.max(0, Math.min(100, Math.round(percent)));
  return el(
    'span',
    {
      className: 'progress',
      role: 'progressbar',
      'aria-valuemin': '0',
      'aria-valuemax': '100',
      'aria-valuenow': String(value),
      'aria-label': label,
    },
    el('span', { className: 'progress-fill', style: `width:${value}%` }),
  );
}

function formatTime(seconds) {
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

async function authed(path, init = {}) {
  const token = window.edgeflix.profileToken;
  return fetch(path, { ...init, headers: { ...(init.headers ?? {}), authorization: `Bearer ${token}` } });
}

async function json(path) {
  const res = await authed(path);
  return res.ok ? res.json() : null;
}

// ---------------------------------------------------------------------------------------------
// Continue Watching

/** The Continue Watching row from GET /v1/continue-watching, or null when there is nothing in it. */
export async function continueWatchingRow() {
  const page = await json('/v1/continue-watching?limit=20');
  if (!page || page.items.length === 0) return null;
  window.edgeflix.continueWatching = page.items;
  const cards = page.items.map((item) => {
    const label = item.episodeInfo ? `${item.title} ${item.episodeInfo}` : item.title;
    return el(
      'button',
      {
        className: 'card poster-card',
        dataset: { titleId: item.contentId, continueWatching: '' },
        'aria-label': `Resume ${label}, ${item.progressPercent}% watched`,
        onclick: () => deps.play({ id: item.contentId, name: label, type: 'episode' }),
      },
      artworkImage(item.posterUrl, { alt: '', sizes: '11rem' }),
      el(
        'span',
        { className: 'card-text' },
        el('span', { className: 'card-name' }, item.title),
        el('small', {}, item.episodeInfo ?? `${formatTime(item.resumePosition)} in`),
      ),
      progressBar(item.progressPercent, `${item.progressPercent}% watched`),
    );
  });
  return el(
    'div',
    { className: 'row', dataset: { rowKind: 'continue_watching' } },
    el('h3', {}, 'Continue Watching'),
    el('div', { className: 'cards' }, ...cards),
  );
}

// ---------------------------------------------------------------------------------------------
// Search

const search = {
  controller: null,
  timer: null,
  /** Send times of the budget window. */
  sent: [],
  /** No request before this (a 429's Retry-After). */
  pausedUntil: 0,
  results: new Map(),
  /** What the last answer was for (the end-to-end test reads it). */
  shown: '',
};

function searchStatus(text) {
  $('search-status').textContent = text;
}

function scheduleSearch() {
  clearTimeout(search.timer);
  const q = $('search-input').value.trim();
  if (q.length < MIN_QUERY) {
    search.controller?.abort();
    $('search-results').replaceChildren();
    $('search-results').hidden = true;
    searchStatus('');
    return;
  }
  const now = Date.now();
  search.sent = search.sent.filter((t) => t > now - SEARCH_BUDGET.windowMs);
  const budgetWait = search.sent.length >= SEARCH_BUDGET.requests ? search.sent[0] + SEARCH_BUDGET.windowMs - now : 0;
  const wait = Math.max(SEARCH_DEBOUNCE_MS, search.pausedUntil - now, budgetWait);
  search.timer = setTimeout(() => void runSearch(q), wait);
}

async function runSearch(q) {
  const cached = search.results.get(q.toLowerCase());
  if (cached) return showResults(q, cached);
  // A newer query makes the one in flight stale: cancel it rather than race it.
  search.controller?.abort();
  const controller = (search.controller = new AbortController());
  search.sent.push(Date.now());
  window.edgeflix.searchRequests = (window.edgeflix.searchRequests ?? 0) + 1;
  searchStatus('Searching…');
  let res;
  try {
    res = await authed(`/v1/search?q=${encodeURIComponent(q)}&limit=8`, { signal: controller.signal });
  } catch (err) {
    if (err.name === 'AbortError') return;
    return searchStatus('Search is unavailable right now.');
  }
  if (res.status === 429) {
    const seconds = Number(res.headers.get('retry-after')) || 5;
    search.pausedUntil = Date.now() + seconds * 1000;
    searchStatus(`Searching a lot — results again in ${seconds} s.`);
    search.timer = setTimeout(scheduleSearch, seconds * 1000);
    return;
  }
  if (!res.ok) return searchStatus(res.status === 400 ? 'Try other words.' : 'Search is unavailable right now.');
  const page = await res.json();
  if (controller.signal.aborted) return;
  search.results.set(q.toLowerCase(), page.items);
  showResults(q, page.items);
}

function showResults(q, items) {
  const list = $('search-results');
  search.shown = q;
  window.edgeflix.searchShown = q;
  const count = items.length === 1 ? '1 result' : `${items.length} results`;
  searchStatus(items.length === 0 ? `Nothing found for “${q}”.` : `${count} for “${q}”.`);
  list.replaceChildren(
    ...items.map((hit) => {
      const episode = hit.matchedEpisode
        ? ` · S${hit.matchedEpisode.seasonNumber}:E${hit.matchedEpisode.episodeNumber} ${hit.matchedEpisode.name}`
        : '';
      return el(
        'li',
        {},
        el(
          'button',
          {
            className: 'search-hit',
            dataset: { titleId: hit.id },
            onclick: () => {
              closeSearch();
              void openTitle(hit.id);
            },
          },
          artworkImage(hit.posterUrl, { alt: '', sizes: '3rem', widths: [160, 320] }),
          el(
            'span',
            {},
            el('span', { className: 'card-name' }, hit.name),
            el(
              'small',
              {},
              `${hit.type === 'series' ? 'Series' : 'Movie'} · ${hit.releaseYear ?? ''} · ${hit.maturityRating}${episode}`,
            ),
          ),
        ),
      );
    }),
  );
  list.hidden = items.length === 0;
}

function closeSearch() {
  $('search-results').hidden = true;
}

function searchKeys(event) {
  const list = $('search-results');
  const hits = [...list.querySelectorAll('button')];
  if (event.key === 'Escape') {
    closeSearch();
    return;
  }
  if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
  event.preventDefault();
  if (hits.length === 0) return;
  list.hidden = false;
  const at = hits.indexOf(document.activeElement);
  const next = event.key === 'ArrowDown' ? Math.min(hits.length - 1, at + 1) : at - 1;
  if (next < 0) $('search-input').focus();
  else hits[next].focus();
}

// ---------------------------------------------------------------------------------------------
// Title page

async function resumeOf(titleId) {
  const view = await json(`/v1/progress/${titleId}`);
  return view && !view.completed && view.positionSeconds > 0 ? view.positionSeconds : 0;
}

function playButtons(target, resume) {
  const buttons = [];
  if (resume > 0) {
    buttons.push(
      el(
        'button',
        { className: 'primary', id: 'title-resume', onclick: () => deps.play({ ...target, startAt: resume }) },
        `▶ Resume ${target.label ?? ''} from ${formatTime(resume)}`.replace(/\s+/g, ' '),
      ),
      el('button', { id: 'title-play', onclick: () => deps.play({ ...target, startAt: 0 }) }, 'Play from the start'),
    );
  } else {
    buttons.push(
      el(
        'button',
        { className: 'primary', id: 'title-play', onclick: () => deps.play({ ...target, startAt: 0 }) },
        `▶ Play ${target.label ?? ''}`.trim(),
      ),
    );
  }
  return el('div', { className: 'actions' }, ...buttons);
}

/** The title page of a movie or series: artwork, synopsis, cast, seasons and episodes, Play and Resume. */
export async function openTitle(titleId) {
  const detail = await json(`/v1/titles/${titleId}`);
  if (!detail) return deps.fail('Could not open this title.');
  deps.leaveBrowse();
  deps.show('title');
  window.edgeflix.titlePage = detail.id;
  const page = $('title');
  const facts = [detail.releaseYear, detail.maturityRating, detail.genres.join(', ')].filter(Boolean).join(' · ');
  const credits = detail.credits ?? [];
  const actors = credits.filter((c) => c.role === 'actor');
  const makers = credits.filter((c) => c.role === 'director' || c.role === 'creator');
  const cast = el(
    'div',
    { className: 'cast' },
    actors.length > 0
      ? el(
          'p',
          {},
          el('strong', {}, 'Cast: '),
          actors.map((a) => (a.character ? `${a.name} (${a.character})` : a.name)).join(', '),
        )
      : null,
    ...makers.map((m) => el('p', {}, el('strong', {}, m.role === 'director' ? 'Director: ' : 'Created by: '), m.name)),
  );

  let actions;
  let seasons = null;
  if (detail.type === 'movie') {
    const resume = await resumeOf(detail.id);
    actions = playButtons({ id: detail.id, name: detail.name, type: 'movie' }, resume);
  } else {
    const episodes = detail.seasons.flatMap((s) => s.episodes.map((e) => ({ ...e, seasonNumber: s.seasonNumber })));
    const watching = (window.edgeflix.continueWatching ?? []).find((i) => i.seriesId === detail.id);
    const current =
      episodes.find((e) => e.id === watching?.contentId) ?? episodes.find((e) => e.playable) ?? episodes[0];
    const label = (e) => `S${e.seasonNumber}:E${e.episodeNumber}`;
    actions = current
      ? playButtons(
          {
            id: current.id,
            name: `${detail.name} ${label(current)} ${current.name}`,
            type: 'episode',
            label: label(current),
          },
          watching?.contentId === current.id ? watching.resumePosition : 0,
        )
      : null;
    seasons = el(
      'section',
      { className: 'seasons', 'aria-label': 'Seasons and episodes' },
      ...detail.seasons.map((s) =>
        el(
          'div',
          { className: 'season' },
          el('h3', {}, s.name),
          el(
            'ol',
            { className: 'episodes' },
            ...s.episodes.map((e) => {
              const ep = { ...e, seasonNumber: s.seasonNumber };
              const inProgress = watching?.contentId === e.id ? watching : null;
              return el(
                'li',
                {},
                el(
                  'button',
                  {
                    className: 'episode',
                    dataset: { titleId: e.id, episode: label(ep) },
                    disabled: !e.playable,
                    'aria-label': `${e.playable ? 'Play' : 'Not available yet:'} ${label(ep)} ${e.name}`,
                    onclick: () =>
                      deps.play({
                        id: e.id,
                        name: `${detail.name} ${label(ep)} ${e.name}`,
                        type: 'episode',
                        startAt: inProgress ? inProgress.resumePosition : 0,
                      }),
                  },
                  el('span', { className: 'episode-label' }, label(ep)),
                  el('span', { className: 'card-name' }, e.name),
                  el(
                    'small',
                    {},
                    `${Math.round(e.durationSeconds / 60)} min${e.playable ? '' : ' · not available yet'}`,
                  ),
                  el('small', { className: 'synopsis' }, e.synopsis),
                  inProgress ? progressBar(inProgress.progressPercent, `${inProgress.progressPercent}% watched`) : null,
                ),
              );
            }),
          ),
        ),
      ),
    );
  }

  page.replaceChildren(
    el('button', { id: 'title-back', onclick: () => void deps.browse() }, '← Back'),
    el(
      'div',
      { className: 'hero' },
      artworkImage(detail.backdropUrl, {
        alt: '',
        sizes: '(max-width: 900px) 100vw, 700px',
        widths: [640, 1280],
        className: 'backdrop',
      }),
      el(
        'div',
        { className: 'hero-text' },
        el('h2', { id: 'title-name' }, detail.name),
        el('p', { className: 'facts' }, facts),
        el('p', { className: 'synopsis' }, detail.synopsis),
        cast,
        actions,
      ),
    ),
    seasons,
  );
  $('title-back').focus();
}

/** Wires the search box; `app` brings what the rest of the client owns. */
export function initDiscovery(app) {
  deps = app;
  const input = $('search-input');
  input.addEventListener('input', scheduleSearch);
  input.addEventListener('keydown', searchKeys);
  $('search-results').addEventListener('keydown', searchKeys);
  input.addEventListener('focus', () => {
    if ($('search-results').children.length > 0) $('search-results').hidden = false;
  });
  document.addEventListener('click', (e) => {
    if (!$('search').contains(e.target)) closeSearch();
  });
}
