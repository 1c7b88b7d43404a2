/** Catalog wire types: what GET /v1/titles and GET /v1/titles/{id} answer. */
import { z } from 'zod';

/** Path parameter `titleId` (edge and origin routes): validated before anything is asked for it. */
export const TitleIdParams = z.strictObject({ titleId: z.uuid() });

export const TitleCard = z.strictObject({
  id: z.uuid(),
  type: z.enum(['movie', 'series']),
  name: z.string(),
  synopsis: z.string(),
  releaseYear: z.number().int().nullable(),
  maturityRating: z.string(),
  maturityLevel: z.number().int(),
  durationSeconds: z.number().int().nullable(),
  genres: z.array(z.string()),
  posterUrl: z.string().nullable(),
  backdropUrl: z.string().nullable(),
  /** Media is in the object store (a series: at least one episode). */
  playable: z.boolean(),
  /**
   * Media is being prepared right now (a series: for an episode): not playable yet, or playable
   * with more renditions to come. Poll while true.
   */
  preparing: z.boolean(),
});
export type TitleCard = z.infer<typeof TitleCard>;

export const EpisodeCard = z.strictObject({
  id: z.uuid(),
  episodeNumber: z.number().int(),
  name: z.string(),
  synopsis: z.string(),
  durationSeconds: z.number().int(),
  playable: z.boolean(),
});

/** One person in a title's credits, in billing order. */
export const Credit = z.strictObject({
  name: z.string(),
  role: z.enum(['actor', 'director', 'creator', 'writer']),
  /** The part an actor plays, when the catalog knows it. */
  character: z.string().nullable(),
});

export const TitleDetail = TitleCard.extend({
  credits: z.array(Credit),
  seasons: z.array(
    z.strictObject({ seasonNumber: z.number().int(), name: z.string(), episodes: z.array(EpisodeCard) }),
  ),
});
export type TitleDetail = z.infer<typeof TitleDetail>;

export const TitlePage = z.strictObject({ items: z.array(TitleCard), nextCursor: z.string().nullable() });
export type TitlePage = z.infer<typeof TitlePage>;

/** Query of GET /v1/titles. */
export const TitleListParams = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(24),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,200}$/, 'must be a cursor from a previous page')
    .optional(),
  genre: z
    .string()
    .regex(/^[a-z0-9-]{1,40}$/, 'must be a genre id such as "comedy"')
    .optional(),
  type: z.enum(['movie', 'series']).optional(),
  playable: z.enum(['true', 'false']).optional(),
  preparing: z.enum(['true', 'false']).optional(),
});
export type TitleListParams = z.infer<typeof TitleListParams>;
