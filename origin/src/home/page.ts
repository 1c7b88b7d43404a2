/**
 * One profile's homepage: the shared lists of its maturity level and language (`Shelves`, the
 * same for every such profile) around what is personal to it (Continue Watching, Top Picks,
 * Because You Watched), in the order its `homepage_row_order` variant asks for, no title twice.
 * Per request: one PostgreSQL query for the profile and its progress partition in Cassandra.
 */
import type { ArtworkVariant, HomeItem, HomePage, HomeQuery, HomeRow } from '../../../core/home.ts';
import type { CompletionThresholds } from '../../../core/progress.ts';
import { choosePoster, dedupeRows, genreRowIds, mergeByPopularity, orderRows, topGenres } from '../domain/home.ts';
import { continueWatchingFor } from '../routes/continue-watching.ts';
import type { Stores } from '../stores/types.ts';
import { SHELF_SIZE, type Shelf, type Shelves } from './shelves.ts';

export const PER_ROW = 12;
/** The language of a profile the homepage does not know (and of a title without an original name). */
export const DEFAULT_LANGUAGE = 'en';

const LANGUAGE_NAMES = new Intl.DisplayNames(['en'], { type: 'language' });

/** "Popular in French" for `fr`; the tag itself when it names no known language. */
export function languageRowTitle(language: string): string {
  let name: string | undefined;
  try {
    name = LANGUAGE_NAMES.of(language);
  } catch {
    name = undefined;
  }
  return `Popular in ${name ?? language}`;
}

/** The primary subtag of a BCP 47 tag, lower case (`pt-BR` → `pt`): what titles are matched on. */
export const primaryLanguage = (tag: string | null | undefined): string =>
  (tag ?? DEFAULT_LANGUAGE).split('-')[0]!.toLowerCase() || DEFAULT_LANGUAGE;

type Discover = (shelf: Shelf) => HomeItem[];

/** A `Discover` for one profile: its poster per the artwork arm, without what it has finished. */
function discoverer(
  artwork: ArtworkVariant,
  scores: ReadonlyMap<string, number>,
  finished: ReadonlySet<string>,
): Discover {
  return ({ items, posters }) =>
    items
      .filter((d) => !finished.has(d.id))
      .map((d) => ({
        id: d.id,
        contentId: d.id,
        type: d.type,
        name: d.name,
        posterUrl: choosePoster(d, posters.get(d.id), artwork, scores),
        genres: d.genres,
        maturityRating: d.maturityRating,
        episodeInfo: null,
        progressPercent: null,
        resumePosition: null,
      }));
}

/** The rows every profile of a level and language gets (trending, new, language, genres). */
async function sharedRows(
  shelves: Shelves,
  level: number,
  language: string,
  genreIds: readonly string[],
  discover: Discover,
): Promise<HomeRow[]> {
  const [trending, fresh, spoken, names, ...genres] = await Promise.all([
    shelves.trending(level),
    shelves.newReleases(level),
    shelves.popularInLanguage(language, level),
    shelves.genreNames(),
    ...genreIds.map((g) => shelves.genre(g, level)),
  ]);
  return [
    { id: 'trending', kind: 'trending', title: 'Trending Now', items: discover(trending) },
    { id: 'new_releases', kind: 'new_releases', title: 'New Releases', items: discover(fresh) },
    {
      id: `language:${language}`,
      kind: 'popular_in_language',
      title: languageRowTitle(language),
      items: discover(spoken),
    },
    ...genreIds.map((g, i) => ({
      id: `genre:${g}`,
      kind: 'genre' as const,
      title: names.get(g) ?? g,
      items: genres[i] ? discover(genres[i]) : [],
    })),
  ];
}

/**
 * The generic page of a level and language: what a profile with no history and no favourites
 * sees, and what the edge serves when personalization is unavailable.
 */
export async function genericPage(shelves: Shelves, level: number, language: string): Promise<HomePage> {
  const discover = discoverer('default', new Map(), new Set());
  const genreIds = genreRowIds([], [], await shelves.topGenres(level));
  return {
    rows: dedupeRows(await sharedRows(shelves, level, primaryLanguage(language), genreIds, discover), PER_ROW),
    variants: { rowOrder: 'control', artwork: 'default' },
    fallback: 'generic',
    generatedAt: new Date().toISOString(),
  };
}

/** The personalized page of one profile. */
export async function personalizedPage(
  stores: Stores,
  shelves: Shelves,
  profile: { profileId: string; maturityLevel: number },
  { pending, variants, complete }: HomeQuery,
  completion: CompletionThresholds,
): Promise<HomePage> {
  const level = profile.maturityLevel;
  const [cw, signals, top] = await Promise.all([
    continueWatchingFor(stores, profile, pending, PER_ROW, completion, complete),
    stores.home.profileSignals(profile.profileId),
    shelves.topGenres(level),
  ]);
  const scores = signals.genreScores;
  const liked = topGenres(scores, 3);
  const becauseOf = signals.lastCompleted ?? cw.items[0]?.seriesId ?? cw.items[0]?.contentId ?? null;
  const discover = discoverer(variants.artwork, scores, signals.finished);
  const [picks, similar, becauseName, shared] = await Promise.all([
    Promise.all(liked.map((g) => shelves.genre(g, level))).then((lists): Shelf => ({
      items: mergeByPopularity(
        lists.map((l) => l.items),
        SHELF_SIZE,
      ),
      posters: new Map(lists.flatMap((l) => [...l.posters])),
    })),
    becauseOf ? shelves.similarTo(becauseOf, level) : null,
    // Title summaries are kept in memory (stores/cached-catalog.ts): no query once warm.
    becauseOf ? stores.catalog.titleSummaries([becauseOf]).then((s) => s.get(becauseOf)?.name ?? null) : null,
    sharedRows(
      shelves,
      level,
      primaryLanguage(signals.language),
      genreRowIds(liked, signals.favouriteGenres, top),
      discover,
    ),
  ]);

  const rows: HomeRow[] = [
    {
      id: 'continue_watching',
      kind: 'continue_watching',
      title: 'Continue Watching',
      items: cw.items.map((item) => {
        const t = cw.titles.get(item.contentId);
        return {
          id: item.seriesId ?? item.contentId,
          contentId: item.contentId,
          type: item.seriesId ? 'series' : 'movie',
          name: item.title,
          posterUrl: item.posterUrl,
          genres: t?.genres ?? [],
          maturityRating: t?.maturityRating ?? '',
          episodeInfo: item.episodeInfo,
          progressPercent: item.progressPercent,
          resumePosition: item.resumePosition,
        } satisfies HomeItem;
      }),
    },
    { id: 'top_picks', kind: 'top_picks', title: 'Top Picks for You', items: discover(picks) },
    {
      id: 'because_you_watched',
      kind: 'because_you_watched',
      title: becauseName ? `Because You Watched ${becauseName}` : 'Because You Watched',
      items: similar ? discover(similar) : [],
    },
    ...shared,
  ];
  const lastWatch = cw.items[0] ? Date.parse(cw.items[0].lastWatchedAt) : Number.NaN;
  const ordered = orderRows(rows, variants.rowOrder, {
    hoursSinceLastWatch: Number.isNaN(lastWatch) ? Number.POSITIVE_INFINITY : (Date.now() - lastWatch) / 3_600_000,
    genreScores: scores,
  });
  return {
    rows: dedupeRows(ordered, PER_ROW),
    variants,
    fallback: null,
    generatedAt: new Date().toISOString(),
  };
}
