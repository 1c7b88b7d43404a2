/**
 * Homepage rules, pure: row order per `homepage_row_order` variant, one appearance per title
 * across rows, poster choice per `artwork_personalization` variant.
 */
import type { ArtworkVariant, HomeItem, HomeRow, RowKind, RowOrderVariant } from './home.ts';

/** Control order; the variants move one row to the top or rank rows by the profile's signals. */
export const CONTROL_ORDER: readonly RowKind[] = [
  'top_picks',
  'continue_watching',
  'trending',
  'because_you_watched',
  'new_releases',
  'popular_in_language',
  'genre',
];

export interface RowSignals {
  /** Hours since the profile last watched anything (Infinity when never). */
  hoursSinceLastWatch: number;
  /** The profile's genre preference scores. */
  genreScores: ReadonlyMap<string, number>;
}

/** How much a row is worth to this profile, for the `personalized` order. */
function rowScore(row: HomeRow, signals: RowSignals): number {
  const affinity = (items: readonly HomeItem[]) => {
    const total = [...signals.genreScores.values()].reduce((a, b) => a + b, 0) || 1;
    const sum = items.reduce(
      (acc, item) => acc + item.genres.reduce((g, id) => g + (signals.genreScores.get(id) ?? 0), 0),
      0,
    );
    return sum / total / Math.max(1, items.length);
  };
  switch (row.kind) {
    case 'continue_watching':
      // Fresh viewing is what a profile most likely comes back for.
      return 10 / (1 + signals.hoursSinceLastWatch / 24);
    case 'because_you_watched':
      return 2 + affinity(row.items);
    case 'top_picks':
    case 'genre':
      return 1 + affinity(row.items) * 4;
    case 'trending':
      return 1.5;
    case 'new_releases':
      return 1;
    case 'popular_in_language':
      return 1.2;
  }
}

/** Rows in the order a variant asks for (stable: ties keep control order). */
export function orderRows(rows: readonly HomeRow[], variant: RowOrderVariant, signals: RowSignals): HomeRow[] {
  const control = [...rows].sort((a, b) => CONTROL_ORDER.indexOf(a.kind) - CONTROL_ORDER.indexOf(b.kind));
  const toFront = (kind: RowKind) => [
    ...control.filter((r) => r.kind === kind),
    ...control.filter((r) => r.kind !== kind),
  ];
  switch (variant) {
    case 'control':
      return control;
    case 'continue_first':
      return toFront('continue_watching');
    case 'trending_first':
      return toFront('trending');
    case 'personalized':
      return control
        .map((row, i) => ({ row, i, score: rowScore(row, signals) }))
        .sort((a, b) => b.score - a.score || a.i - b.i)
        .map((x) => x.row);
  }
}

/**
 * Each title appears once; empty rows go. Continue Watching claims its titles first, whatever the
 * row order (what the profile is watching stays where it resumes, not in a row that happens to be
 * shown above it); every other title stays in the first row, in display order, that has it.
 */
export function dedupeRows(rows: readonly HomeRow[], perRow: number): HomeRow[] {
  const seen = new Set<string>();
  const kept = new Map<HomeRow, HomeRow['items']>();
  const claim = (row: HomeRow) => {
    const items = row.items.filter((item) => !seen.has(item.id)).slice(0, perRow);
    for (const item of items) seen.add(item.id);
    kept.set(row, items);
  };
  for (const row of rows) if (row.kind === 'continue_watching') claim(row);
  for (const row of rows) if (row.kind !== 'continue_watching') claim(row);
  return rows.flatMap((row) => {
    const items = kept.get(row) ?? [];
    return items.length > 0 ? [{ ...row, items }] : [];
  });
}

/**
 * The poster to show: `default` the title's own; `genre_based` the variant cut for the title's
 * first genre; `personalized` the variant for the genre this profile likes most among those
 * the title has art for. Falls back to the default poster.
 */
export function choosePoster(
  candidate: { posterUrl: string | null; genres: readonly string[] },
  variants: ReadonlyMap<string, string> | undefined,
  artwork: ArtworkVariant,
  genreScores: ReadonlyMap<string, number>,
): string | null {
  if (artwork === 'default' || !variants || variants.size === 0) return candidate.posterUrl;
  if (artwork === 'genre_based') {
    const genre = candidate.genres.find((g) => variants.has(g));
    return (genre && variants.get(genre)) ?? candidate.posterUrl;
  }
  let best: string | undefined;
  let bestScore = 0;
  for (const [genre, url] of variants) {
    const score = genreScores.get(genre) ?? 0;
    if (score > bestScore) [best, bestScore] = [url, score];
  }
  return best ?? candidate.posterUrl;
}

/** The genres a profile likes most, strongest first. */
export function topGenres(scores: ReadonlyMap<string, number>, n: number): string[] {
  return [...scores]
    .filter(([, s]) => s > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([g]) => g);
}

/** Genre rows a page shows at most. */
export const MAX_GENRE_ROWS = 6;

/**
 * Which genres get a row, in order: the two the profile's viewing likes most, then the ones it
 * chose, then the strongest genres at its maturity level; no genre twice, `max` at most. As
 * history accumulates the first kind takes the places of the last.
 */
export function genreRowIds(
  liked: readonly string[],
  favourites: readonly string[],
  top: readonly string[],
  max = MAX_GENRE_ROWS,
): string[] {
  return [...new Set([...liked.slice(0, 2), ...favourites, ...top])].slice(0, max);
}

/** The `limit` most popular of several lists (ties by id), each title once. */
export function mergeByPopularity<T extends { id: string; popularity: number }>(
  lists: readonly (readonly T[])[],
  limit: number,
): T[] {
  const byId = new Map<string, T>();
  for (const list of lists) for (const item of list) if (!byId.has(item.id)) byId.set(item.id, item);
  return [...byId.values()]
    .sort((a, b) => b.popularity - a.popularity || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, limit);
}
