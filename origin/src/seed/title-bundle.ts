/**
 * One top-level title and everything under it: the movie or the series with its seasons and
 * episodes, genres, artwork and media rows. Each top-level title draws from its own PRNG stream
 * and gets ids named after its index, so a larger catalog is the smaller one plus more titles.
 */
import { classify } from './classification.ts';
import { titleCredits } from './credits.ts';
import { mediaProfile, playableMedia } from './title-media.ts';
import { Rng, uuidV5 } from './random.ts';
import { artworkUrl, type ArtworkKind } from '../../../core/artwork.ts';
import { emptyTitleTables, type TitleRow, type TitleTables } from './tables.ts';
import { episodeName, episodeSynopsis, styleFor, synopsisFor, uniqueName } from './title-text.ts';

const DAY_MS = 86_400_000;
const WINDOW_MS = Math.round(3 * 365.25 * DAY_MS);

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function isoAt(ms: number): string {
  return new Date(Math.round(ms / 1000) * 1000).toISOString();
}

function yearOf(ms: number): number {
  return new Date(ms).getUTCFullYear();
}

/**
 * The bundle of the index-th top-level title of a seed's catalog; `usedNames` carries the names
 * of the titles before it, so that names stay unique.
 */
export function titleBundle(
  index: number,
  seed: string,
  ns: string,
  epochMs: number,
  usedNames: Set<string>,
): TitleTables {
  const rng = new Rng(`${seed}\u0000title\u0000${index}`);
  const out = emptyTitleTables();
  const id = uuidV5(ns, `title/${index}`);
  const type: 'movie' | 'series' = rng.chance(0.7) ? 'movie' : 'series';
  const { kids, primary, genres, rating } = classify(rng, type);
  const style = styleFor(kids, primary);
  const name = uniqueName(rng, style, primary, usedNames);
  const synopsis = synopsisFor(rng, style, type);

  // Arrival on the service: over the 3 years before the epoch, a little denser recently.
  const addedMs = epochMs - WINDOW_MS * Math.pow(rng.next(), 1.15);
  const addedYear = yearOf(addedMs);
  const original = rng.chance(0.35);
  const age = original
    ? 0
    : rng.weighted<() => number>([
        [() => rng.int(0, 10), 6],
        [() => rng.int(10, 30), 3],
        [() => rng.int(30, 60), 1],
      ])();
  const releaseYear = Math.max(1925, addedYear - age);
  const recency = 1 - (epochMs - addedMs) / WINDOW_MS;
  const popularity = round2(100 * Math.pow(rng.next(), 2.5) * (0.7 + 0.3 * recency));
  const media = mediaProfile(rng, genres, kids);

  for (const genre of genres) out.title_genres.push({ title_id: id, genre_id: genre });
  const addCredits = (title: TitleRow): void => {
    const { credits, keywords, originalNames } = titleCredits(index, seed, title, primary, genres);
    out.title_credits.push(...credits);
    out.title_keywords.push(...keywords);
    out.title_original_names.push(...originalNames);
  };

  const art = (
    titleId: string,
    titleName: string,
    kind: ArtworkKind,
    variant: string | null,
    width: number,
    height: number,
  ): void => {
    out.artwork.push({
      id: uuidV5(ns, `artwork:${titleId}:${kind}:${variant ?? ''}`),
      title_id: titleId,
      kind,
      variant,
      url: artworkUrl({ titleId, kind, variant, name: titleName, genres }),
      width,
      height,
    });
  };
  art(id, name, 'poster', null, 1000, 1500);
  art(id, name, 'backdrop', null, 1920, 1080);
  if (rng.chance(0.6)) art(id, name, 'logo', null, 800, 310);
  // One poster cut per genre for every title (the artwork experiment's arms). The draw that once
  // chose which titles had them stays, so every later draw (durations, seasons) keeps its value.
  if (genres.length >= 2) rng.chance(0.4);
  for (const genre of genres) art(id, name, 'poster', genre, 1000, 1500);

  if (type === 'movie') {
    const duration = rng.int(80 * 60, 160 * 60);
    out.titles.push({
      id,
      type: 'movie',
      name,
      synopsis,
      release_year: releaseYear,
      maturity_rating: rating,
      duration_seconds: duration,
      series_id: null,
      season_number: null,
      episode_number: null,
      popularity,
      added_at: isoAt(addedMs),
    });
    addCredits(out.titles[0]!);
    playableMedia(rng, ns, id, duration, media, out);
    return out;
  }

  out.titles.push({
    id,
    type: 'series',
    name,
    synopsis,
    release_year: releaseYear,
    maturity_rating: rating,
    duration_seconds: null,
    series_id: null,
    season_number: null,
    episode_number: null,
    popularity,
    added_at: isoAt(addedMs),
  });
  addCredits(out.titles[0]!);

  const seasonCount = rng.weighted([
    [1, 40],
    [2, 30],
    [3, 18],
    [4, 12],
  ] as const);
  // Originals drop a season at a time; licensed shows arrive with every season at once.
  const gapMs = original && seasonCount > 1 ? Math.min(365 * DAY_MS, (epochMs - addedMs) / seasonCount) : 0;
  const baseMinutes = kids ? rng.int(20, 26) : rng.chance(0.35) ? rng.int(22, 32) : rng.int(42, 58);
  for (let season = 1; season <= seasonCount; season++) {
    out.seasons.push({ series_id: id, season_number: season, name: `Season ${season}` });
    const seasonAddedMs = addedMs + (season - 1) * gapMs * rng.real(0.85, 1);
    const seasonYear = original ? yearOf(seasonAddedMs) : Math.min(addedYear, releaseYear + season - 1);
    const episodes = rng.int(4, 10);
    for (let episode = 1; episode <= episodes; episode++) {
      const episodeId = uuidV5(ns, `title/${index}/s${season}/e${episode}`);
      const minutes = Math.min(60, Math.max(20, baseMinutes * rng.real(0.9, 1.1)));
      const duration = Math.min(3600, Math.max(1200, Math.round(minutes * 60)));
      out.titles.push({
        id: episodeId,
        type: 'episode',
        name: episodeName(rng, season, episode, primary),
        synopsis: episodeSynopsis(rng, style),
        release_year: seasonYear,
        maturity_rating: rating,
        duration_seconds: duration,
        series_id: id,
        season_number: season,
        episode_number: episode,
        popularity: round2(popularity * Math.pow(0.97, episode - 1) * Math.pow(0.9, season - 1) * rng.real(0.8, 1)),
        added_at: isoAt(seasonAddedMs),
      });
      art(episodeId, out.titles.at(-1)!.name, 'thumbnail', null, 640, 360);
      playableMedia(rng, ns, episodeId, duration, media, out);
    }
  }
  return out;
}
