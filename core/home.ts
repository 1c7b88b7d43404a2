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
