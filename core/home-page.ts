/**
 * A homepage put together from the shared rows of a maturity level and language and one
 * profile's part: the same rules wherever it happens (the edge for GET /v1/home, the origin for
 * its own full page).
 */
import type {
  ArtworkVariant,
  HomeItem,
  HomePage,
  HomePersonal,
  HomeRow,
  HomeShared,
  SharedItem,
  SharedRow,
} from './home.ts';
import { choosePoster, dedupeRows, genreRowIds, orderRows } from './home-rules.ts';

/** Titles a row shows at most. */
export const PER_ROW = 12;

/** A shared list as one profile sees it: its poster per the artwork arm, without what it finished. */
export function discoverItems(
  items: readonly SharedItem[],
  artwork: ArtworkVariant,
  scores: ReadonlyMap<string, number>,
  finished: ReadonlySet<string>,
): HomeItem[] {
  return items
    .filter((d) => !finished.has(d.id))
    .map((d) => ({
      id: d.id,
      contentId: d.id,
      type: d.type,
      name: d.name,
      posterUrl:
        artwork === 'default' ? d.posterUrl : choosePoster(d, new Map(Object.entries(d.posters)), artwork, scores),
      genres: d.genres,
      maturityRating: d.maturityRating,
      episodeInfo: null,
      progressPercent: null,
      resumePosition: null,
    }));
}

/** The row id of a genre's row. */
export const genreRowId = (genreId: string) => `genre:${genreId}`;

/**
 * The page of one profile: its own rows, the shared rows (without what it finished, posters per
 * its arm), the genre rows its genres and then the level's strongest ones ask for, ordered per
 * its `homepage_row_order` variant, no title twice.
 */
export function assemblePage(
  shared: HomeShared,
  personal: HomePersonal,
  variants: HomePage['variants'],
  now = Date.now(),
): HomePage {
  const scores = new Map(Object.entries(personal.genreScores));
  const finished = new Set(personal.finished);
  const render = (row: SharedRow): HomeRow => ({
    id: row.id,
    kind: row.kind,
    title: row.title,
    items: discoverItems(row.items, variants.artwork, scores, finished),
  });
  const own = new Map(personal.rows.filter((r) => r.kind === 'genre').map((r) => [r.id, r]));
  const common = new Map(shared.rows.filter((r) => r.kind === 'genre').map((r) => [r.id, r]));
  const genreRows = genreRowIds([], personal.genres, shared.topGenres).flatMap((g): HomeRow[] => {
    const id = genreRowId(g);
    const mine = own.get(id);
    if (mine) return [mine];
    const theirs = common.get(id);
    return theirs ? [render(theirs)] : [];
  });
  const rows: HomeRow[] = [
    ...personal.rows.filter((r) => r.kind !== 'genre'),
    ...shared.rows.filter((r) => r.kind !== 'genre').map(render),
    ...genreRows,
  ];
  const lastWatch = personal.lastWatchedAt ? Date.parse(personal.lastWatchedAt) : Number.NaN;
  const ordered = orderRows(rows, variants.rowOrder, {
    hoursSinceLastWatch: Number.isNaN(lastWatch) ? Number.POSITIVE_INFINITY : (now - lastWatch) / 3_600_000,
    genreScores: scores,
  });
  return { rows: dedupeRows(ordered, PER_ROW), variants, fallback: null, generatedAt: new Date(now).toISOString() };
}

/** True when the part adds nothing to the shared rows: the page is then the same for every such profile. */
export const addsNothing = (p: HomePersonal): boolean =>
  p.rows.length === 0 &&
  p.genres.length === 0 &&
  p.finished.length === 0 &&
  p.lastWatchedAt === null &&
  Object.keys(p.genreScores).length === 0;

/** What a profile without history or favourite genres adds: nothing but its language. */
export const noPersonalPart = (language: string): HomePersonal => ({
  language,
  rows: [],
  genres: [],
  genreScores: {},
  finished: [],
  lastWatchedAt: null,
  history: false,
});

/**
 * The generic page of a level and language: what a profile with no history and no favourites
 * sees, marked, and what is served when personalization is unavailable.
 */
export function genericPage(shared: HomeShared, now = Date.now()): HomePage {
  const page = assemblePage(shared, noPersonalPart(shared.language), { rowOrder: 'control', artwork: 'default' }, now);
  return { ...page, fallback: 'generic' };
}
