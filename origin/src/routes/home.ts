import { Hono } from 'hono';
import { BODY_PROBLEMS, describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';
import { HomePage, HomeQuery, type HomeItem, type HomeRow } from '../../../core/home.ts';
import type { OriginDeps, OriginEnv } from '../http/context.ts';
import { jsonBody } from '../http/body.ts';
import { callerProfile } from '../http/middleware.ts';
import { continueWatchingFor } from './continue-watching.ts';
import { choosePoster, dedupeRows, orderRows, topGenres } from '../domain/home.ts';
import type { HomeCandidate, Stores } from '../stores/types.ts';

const PER_ROW = 12;
/** Candidates fetched per row: enough left after dedupe and finished titles are removed. */
const FETCH = 40;
const TRENDING_DAYS = 7;
const HOME_BODY_BYTES = 256 * 1024;

function toItem(c: HomeCandidate, posterUrl: string | null): HomeItem {
  return {
    id: c.id,
    contentId: c.id,
    type: c.type,
    name: c.name,
    posterUrl,
    genres: c.genres,
    maturityRating: c.maturityRating,
    episodeInfo: null,
    progressPercent: null,
    resumePosition: null,
  };
}

/** A generic page for any profile at this maturity level: what is trending and new. */
async function genericRows(stores: Stores, maxMaturityLevel: number): Promise<HomeRow[]> {
  const [trending, fresh] = await Promise.all([
    stores.home.trending({ days: TRENDING_DAYS, limit: FETCH, maxMaturityLevel }),
    stores.home.newReleases({ limit: FETCH, maxMaturityLevel }),
  ]);
  return dedupeRows(
    [
      { id: 'trending', kind: 'trending', title: 'Trending Now', items: trending.map((c) => toItem(c, c.posterUrl)) },
      {
        id: 'new_releases',
        kind: 'new_releases',
        title: 'New Releases',
        items: fresh.map((c) => toItem(c, c.posterUrl)),
      },
    ],
    PER_ROW,
  );
}

const homeDoc: OperationSpec = {
  operationId: 'home',
  summary: "The calling profile's personalized homepage",
  description: 'The generic page, marked `fallback: "generic"`, when personalization fails.',
  tags: ['internal'],
  security: ['serviceCredential'],
  body: { schema: HomeQuery },
  responses: { 200: json(HomePage, 'The rows') },
  problems: BODY_PROBLEMS,
};
const genericDoc: OperationSpec = {
  operationId: 'genericHome',
  summary: "A generic homepage for the calling profile's maturity level",
  tags: ['internal'],
  security: ['serviceCredential'],
  responses: { 200: json(HomePage, 'Trending and new releases') },
};

/**
 * The personalized homepage (`POST /internal/v1/home`) and the generic one the edge keeps for
 * when personalization is unavailable (`GET /internal/v1/home/generic`).
 */
export const home = new Hono<OriginEnv>()
  .post('/', describeRoute(homeDoc), async (c) => {
    const profile = callerProfile(c.get('caller'));
    const query = await jsonBody(c, HomeQuery, 'home query', HOME_BODY_BYTES);
    const { stores, completion, breakers, log } = c.get('deps');
    try {
      return c.json(await breakers.run('personalization', () => personalizedPage(stores, profile, query, completion)));
    } catch (err) {
      // Personalization failed or its breaker is open: the generic page, marked so the edge knows.
      log.warn('home_fallback_generic', { requestId: c.get('requestId'), profileId: profile.profileId, error: err });
      return c.json({
        rows: await genericRows(stores, profile.maturityLevel),
        variants: { rowOrder: 'control', artwork: 'default' },
        fallback: 'generic',
        generatedAt: new Date().toISOString(),
      } satisfies HomePage);
    }
  })
  .get('/generic', describeRoute(genericDoc), async (c) => {
    const { maturityLevel } = callerProfile(c.get('caller'));
    return c.json({
      rows: await genericRows(c.get('deps').stores, maturityLevel),
      variants: { rowOrder: 'control', artwork: 'default' },
      fallback: 'generic',
      generatedAt: new Date().toISOString(),
    } satisfies HomePage);
  });

/** The personalized rows of one profile. */
async function personalizedPage(
  stores: Stores,
  profile: ReturnType<typeof callerProfile>,
  { pending, variants }: HomeQuery,
  completion: OriginDeps['completion'],
): Promise<HomePage> {
  const max = profile.maturityLevel;
  const [cw, scores, finished, lastCompleted] = await Promise.all([
    continueWatchingFor(stores, profile, pending, PER_ROW, completion),
    stores.preferences.genreScores(profile.profileId),
    stores.home.finishedItems(profile.profileId),
    stores.home.lastCompleted(profile.profileId),
  ]);
  const liked = topGenres(scores, 3);
  const becauseOf = lastCompleted ?? cw.items[0]?.seriesId ?? cw.items[0]?.contentId ?? null;
  const [trending, picks, similar, fresh, ...genreLists] = await Promise.all([
    stores.home.trending({ days: TRENDING_DAYS, limit: FETCH, maxMaturityLevel: max }),
    stores.home.byGenres({ genres: liked, limit: FETCH, maxMaturityLevel: max }),
    becauseOf ? stores.home.similarTo({ titleId: becauseOf, limit: FETCH, maxMaturityLevel: max }) : [],
    stores.home.newReleases({ limit: FETCH, maxMaturityLevel: max }),
    ...liked.slice(0, 2).map((g) => stores.home.byGenres({ genres: [g], limit: FETCH, maxMaturityLevel: max })),
  ]);
  const discovery = [trending, picks, similar, fresh, ...genreLists].flat();
  const posters = await stores.home.posterVariants(discovery.map((d) => d.id));
  // Discovery rows leave out what the profile has already finished.
  const discover = (list: HomeCandidate[]) =>
    list
      .filter((d) => !finished.has(d.id))
      .map((d) => toItem(d, choosePoster(d, posters.get(d.id), variants.artwork, scores)));
  const genreNames = await stores.home.genreNames(liked);
  const becauseName = becauseOf
    ? ((await stores.catalog.titleSummaries([becauseOf])).get(becauseOf)?.name ?? null)
    : null;

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
    { id: 'trending', kind: 'trending', title: 'Trending Now', items: discover(trending) },
    { id: 'top_picks', kind: 'top_picks', title: 'Top Picks for You', items: discover(picks) },
    {
      id: 'because_you_watched',
      kind: 'because_you_watched',
      title: becauseName ? `Because You Watched ${becauseName}` : 'Because You Watched',
      items: discover(similar),
    },
    { id: 'new_releases', kind: 'new_releases', title: 'New Releases', items: discover(fresh) },
    ...liked.slice(0, 2).map((g, i) => ({
      id: `genre:${g}`,
      kind: 'genre' as const,
      title: genreNames.get(g) ?? g,
      items: discover(genreLists[i] ?? []),
    })),
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
