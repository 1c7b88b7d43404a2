/**
 * The homepage in two parts: the shared rows of a maturity level and language (`sharedPart`,
 * the same for every such profile, from `Shelves`) and what one profile adds (`personalPart`:
 * Continue Watching, Top Picks, Because You Watched, its genres' rows). The edge asks for each
 * and puts them together (core/home-page.ts); `personalizedPage` does the same here.
 * Per profile: one PostgreSQL query and its progress partition in Cassandra.
 */
import { assemblePage, discoverItems, genericPage as genericOf, genreRowId, PER_ROW } from '../../../core/home-page.ts';
import type {
  HomeItem,
  HomePage,
  HomePersonal,
  HomeQuery,
  HomeRow,
  HomeShared,
  SharedItem,
} from '../../../core/home.ts';
import type { CompletionThresholds } from '../../../core/progress.ts';
import { MAX_GENRE_ROWS, mergeByPopularity, topGenres } from '../../../core/home-rules.ts';
import { continueWatchingFor } from '../routes/continue-watching.ts';
import type { Stores } from '../stores/types.ts';
import { SHELF_SIZE, type Shelf, type Shelves } from './shelves.ts';

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

/** A shelf as the wire carries it: each title with its poster variants. */
const sharedItems = ({ items, posters }: Shelf): SharedItem[] =>
  items.map((d) => ({
    id: d.id,
    type: d.type,
    name: d.name,
    posterUrl: d.posterUrl,
    genres: d.genres,
    maturityRating: d.maturityRating,
    posters: Object.fromEntries(posters.get(d.id) ?? []),
  }));

/** The rows every profile of a level and language gets (trending, new, language, strongest genres). */
export async function sharedPart(shelves: Shelves, level: number, language: string): Promise<HomeShared> {
  const lang = primaryLanguage(language);
  const top = await shelves.topGenres(level);
  const [trending, fresh, spoken, names, ...genres] = await Promise.all([
    shelves.trending(level),
    shelves.newReleases(level),
    shelves.popularInLanguage(lang, level),
    shelves.genreNames(),
    ...top.map((g) => shelves.genre(g, level)),
  ]);
  return {
    maturityLevel: level,
    language: lang,
    topGenres: top,
    rows: [
      { id: 'trending', kind: 'trending', title: 'Trending Now', items: sharedItems(trending) },
      { id: 'new_releases', kind: 'new_releases', title: 'New Releases', items: sharedItems(fresh) },
      {
        id: `language:${lang}`,
        kind: 'popular_in_language',
        title: languageRowTitle(lang),
        items: sharedItems(spoken),
      },
      ...top.map((g, i) => ({
        id: genreRowId(g),
        kind: 'genre' as const,
        title: names.get(g) ?? g,
        items: genres[i] ? sharedItems(genres[i]) : [],
      })),
    ],
    generatedAt: new Date().toISOString(),
  };
}

/**
 * What one profile adds to the shared rows: one PostgreSQL query (its signals) and one read of its
 * progress partition in Cassandra, hidden items included; the lists behind its rows come from
 * `Shelves`, title summaries and next episodes from the cached catalog.
 */
export async function personalPart(
  stores: Stores,
  shelves: Shelves,
  profile: { profileId: string; maturityLevel: number },
  { pending, variants, complete }: HomeQuery,
  completion: CompletionThresholds,
): Promise<HomePersonal> {
  const level = profile.maturityLevel;
  const [cw, signals] = await Promise.all([
    continueWatchingFor(stores, profile, pending, PER_ROW, completion, complete),
    stores.home.profileSignals(profile.profileId),
  ]);
  const scores = signals.genreScores;
  const liked = topGenres(scores, 3);
  const genres = [...new Set([...liked.slice(0, 2), ...signals.favouriteGenres])].slice(0, MAX_GENRE_ROWS);
  const becauseOf = signals.lastCompleted ?? cw.items[0]?.seriesId ?? cw.items[0]?.contentId ?? null;
  const discover = (shelf: Shelf) => discoverItems(sharedItems(shelf), variants.artwork, scores, signals.finished);
  const [picks, similar, becauseName, names, genreShelves] = await Promise.all([
    liked.length === 0
      ? null
      : Promise.all(liked.map((g) => shelves.genre(g, level))).then((lists): Shelf => ({
          items: mergeByPopularity(
            lists.map((l) => l.items),
            SHELF_SIZE,
          ),
          posters: new Map(lists.flatMap((l) => [...l.posters])),
        })),
    becauseOf ? shelves.similarTo(becauseOf, level) : null,
    // Title summaries are kept in memory (stores/cached-catalog.ts): no query once warm.
    becauseOf ? stores.catalog.titleSummaries([becauseOf]).then((s) => s.get(becauseOf)?.name ?? null) : null,
    genres.length > 0 ? shelves.genreNames() : new Map<string, string>(),
    Promise.all(genres.map((g) => shelves.genre(g, level))),
  ]);
  const rows = (
    [
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
      { id: 'top_picks', kind: 'top_picks', title: 'Top Picks for You', items: picks ? discover(picks) : [] },
      {
        id: 'because_you_watched',
        kind: 'because_you_watched',
        title: becauseName ? `Because You Watched ${becauseName}` : 'Because You Watched',
        items: similar ? discover(similar) : [],
      },
      ...genres.map((g, i) => ({
        id: genreRowId(g),
        kind: 'genre' as const,
        title: names.get(g) ?? g,
        items: discover(genreShelves[i]!),
      })),
    ] satisfies HomeRow[]
  ).filter((row) => row.items.length > 0);
  return {
    language: primaryLanguage(signals.language),
    rows,
    genres,
    genreScores: Object.fromEntries(scores),
    finished: [...signals.finished],
    lastWatchedAt: cw.items[0]?.lastWatchedAt ?? null,
    history:
      pending.length > 0 ||
      cw.items.length > 0 ||
      scores.size > 0 ||
      signals.finished.size > 0 ||
      signals.lastCompleted !== null,
  };
}

/** The personalized page of one profile, put together here. */
export async function personalizedPage(
  stores: Stores,
  shelves: Shelves,
  profile: { profileId: string; maturityLevel: number },
  query: HomeQuery,
  completion: CompletionThresholds,
): Promise<HomePage> {
  const personal = await personalPart(stores, shelves, profile, query, completion);
  const shared = await sharedPart(shelves, profile.maturityLevel, personal.language);
  return assemblePage(shared, personal, query.variants);
}

/** The generic page of a level and language (`fallback: "generic"`). */
export async function genericPage(shelves: Shelves, level: number, language: string): Promise<HomePage> {
  return genericOf(await sharedPart(shelves, level, language));
}
