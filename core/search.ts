/** Search wire types: what GET /v1/search takes and answers (edge and origin alike). */
import { z } from 'zod';
import { TitleCard } from './catalog.ts';
import { textProblem } from './validation.ts';

/** Longest query accepted, in characters after trimming. */
export const MAX_SEARCH_QUERY_CHARS = 200;
/** How deep a result list goes: past this a search is refined, not paged. */
export const MAX_SEARCH_RESULTS = 500;

/** Query of GET /v1/search. */
export const SearchParams = z.strictObject({
  q: z
    .string()
    .transform((q) => q.trim())
    .pipe(
      z
        .string()
        .min(1, 'must not be empty')
        .max(MAX_SEARCH_QUERY_CHARS, `must be at most ${MAX_SEARCH_QUERY_CHARS} characters`)
        .superRefine((q, ctx) => {
          const problem = textProblem(q);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
    ),
  limit: z.coerce.number().int().min(1).max(50).default(20),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,200}$/, 'must be a cursor from a previous page')
    .optional(),
});
export type SearchParams = z.infer<typeof SearchParams>;

/** A movie or series found by a search; `matchedEpisode` when what matched was one of its episodes. */
export const SearchHit = TitleCard.extend({
  matchedEpisode: z
    .strictObject({
      id: z.uuid(),
      seasonNumber: z.number().int(),
      episodeNumber: z.number().int(),
      name: z.string(),
    })
    .nullable(),
});
export type SearchHit = z.infer<typeof SearchHit>;

/** The catalog's list shape (`TitlePage`), with search hits for items. */
export const SearchPage = z.strictObject({ items: z.array(SearchHit), nextCursor: z.string().nullable() });
export type SearchPage = z.infer<typeof SearchPage>;

/**
 * The form two queries share when they must find the same titles: no accents, lower case, one
 * space between words. The edge keys its cache on it; the database folds the same way (unaccent).
 */
export function normaliseSearchQuery(q: string): string {
  return (
    q
      .normalize('NFKD')
      // Accents of Latin and Greek letters only, as unaccent drops them: elsewhere a mark is part
      // of the letter (kana voicing, Hangul jamo, the breve of Cyrillic й).
      .replace(/(?<=[\p{Script=Latin}\p{Script=Greek}][\u0300-\u036f]*)[\u0300-\u036f]/gu, '')
      .normalize('NFC')
      .toLowerCase()
      .replace(/\s+/gu, ' ')
      .trim()
  );
}

/** The words of a query: runs of letters and digits, as the full-text index splits a document. */
export function searchWords(q: string): string[] {
  return normaliseSearchQuery(q).match(/[\p{L}\p{N}]+/gu) ?? [];
}
