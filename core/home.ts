/** Homepage wire types: what GET /v1/home answers, and what the edge asks the origin for. */
import { z } from 'zod';
import { ProgressEntry } from './progress.ts';

export const ROW_ORDER_VARIANTS = ['control', 'continue_first', 'trending_first', 'personalized'] as const;
export const ARTWORK_VARIANTS = ['default', 'genre_based', 'personalized'] as const;
export type RowOrderVariant = (typeof ROW_ORDER_VARIANTS)[number];
export type ArtworkVariant = (typeof ARTWORK_VARIANTS)[number];

/** Experiments whose variants change the homepage (see the experiments issue). */
export const HOME_EXPERIMENTS = {
  rowOrder: 'homepage_row_order',
  artwork: 'artwork_personalization',
} as const;

export const HomeItem = z.strictObject({
  /** The browsable title: a movie, or the series of an episode. */
  id: z.uuid(),
  /** What to play: the movie, or the episode. */
  contentId: z.uuid(),
  type: z.enum(['movie', 'series']),
  name: z.string(),
  posterUrl: z.string().nullable(),
  genres: z.array(z.string()),
  maturityRating: z.string(),
  episodeInfo: z.string().nullable(),
  progressPercent: z.number().int().nullable(),
  resumePosition: z.number().nullable(),
});
export type HomeItem = z.infer<typeof HomeItem>;

export const RowKind = z.enum([
  'continue_watching',
  'trending',
  'top_picks',
  'because_you_watched',
  'new_releases',
  'popular_in_language',
  'genre',
]);
export type RowKind = z.infer<typeof RowKind>;

export const HomeRow = z.strictObject({
  id: z.string(),
  kind: RowKind,
  title: z.string(),
  items: z.array(HomeItem),
});
export type HomeRow = z.infer<typeof HomeRow>;

export const HomePage = z.strictObject({
  rows: z.array(HomeRow),
  variants: z.strictObject({ rowOrder: z.enum(ROW_ORDER_VARIANTS), artwork: z.enum(ARTWORK_VARIANTS) }),
  /** Set when this is not the profile's personalized page: its last good one, or a generic one. */
  fallback: z.enum(['last_good', 'generic']).nullable(),
  generatedAt: z.iso.datetime(),
});
export type HomePage = z.infer<typeof HomePage>;

/** POST /internal/v1/home: the buffer's unflushed states and the profile's variants. */
export const HomeQuery = z.strictObject({
  pending: z.array(ProgressEntry).max(500),
  /** `pending` is all of the profile's progress (its buffer learned it): the store is not read. */
  complete: z.boolean().optional(),
  variants: z.strictObject({ rowOrder: z.enum(ROW_ORDER_VARIANTS), artwork: z.enum(ARTWORK_VARIANTS) }),
});
export type HomeQuery = z.infer<typeof HomeQuery>;

/**
 * A title of a shared row, as the origin lists it once per interval for a maturity level: with
 * its poster per artwork variant (a genre id), so the edge applies each profile's arm.
 */
export const SharedItem = z.strictObject({
  id: z.uuid(),
  type: z.enum(['movie', 'series']),
  name: z.string(),
  posterUrl: z.string().nullable(),
  genres: z.array(z.string()),
  maturityRating: z.string(),
  posters: z.record(z.string(), z.string()),
});
export type SharedItem = z.infer<typeof SharedItem>;

export const SharedRow = z.strictObject({
  id: z.string(),
  kind: z.enum(['trending', 'new_releases', 'popular_in_language', 'genre']),
  title: z.string(),
  items: z.array(SharedItem),
});
export type SharedRow = z.infer<typeof SharedRow>;

/**
 * GET /internal/v1/home/shared: the rows every profile of a maturity level and language gets
 * (trending, new releases, popular in the language, the level's strongest genres), unfiltered
 * and uncut: each profile's page leaves out what it finished and dedupes across its rows.
 */
export const HomeShared = z.strictObject({
  maturityLevel: z.number().int(),
  /** A primary language subtag (`pt` for `pt-BR`). */
  language: z.string(),
  /** The strongest genres at the level, best first; `rows` has a `genre:{id}` row for each. */
  topGenres: z.array(z.string()),
  rows: z.array(SharedRow),
  generatedAt: z.iso.datetime(),
});
export type HomeShared = z.infer<typeof HomeShared>;

/**
 * POST /internal/v1/home/personal: what one profile adds to the shared rows of its level and
 * language. Its own rows (Continue Watching, Top Picks, Because You Watched, a row per genre
 * it likes or chose) rendered for its artwork arm, and what the shared rows need of it.
 */
export const HomePersonal = z.strictObject({
  /** Which shared rows the page takes: the primary subtag of the profile's language. */
  language: z.string(),
  rows: z.array(HomeRow),
  /** Its genres in row order (the two its viewing likes most, then the ones it chose). */
  genres: z.array(z.string()),
  genreScores: z.record(z.string(), z.number()),
  /** Movies and series it finished: left out of the shared rows. */
  finished: z.array(z.uuid()),
  lastWatchedAt: z.iso.datetime().nullable(),
  /**
   * False when nothing personal shapes the page (no progress, pending or stored, no completions,
   * no genre scores): the part then changes only when the profile watches or edits itself.
   */
  history: z.boolean(),
});
export type HomePersonal = z.infer<typeof HomePersonal>;
