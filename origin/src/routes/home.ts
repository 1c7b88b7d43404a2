import { Hono } from 'hono';
import { BODY_PROBLEMS, describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';
import { z } from 'zod';
import { HomePage, HomePersonal, HomeQuery, HomeShared } from '../../../core/home.ts';
import { parseOrThrow } from '../../../core/validation.ts';
import { LanguageTag } from '../../../core/wire.ts';
import { DEFAULT_LANGUAGE, genericPage, personalPart, personalizedPage, sharedPart } from '../home/page.ts';
import { DEFAULT_SHELF_TTL_MS } from '../home/shelves.ts';
import type { OriginEnv } from '../http/context.ts';
import { jsonBody } from '../http/body.ts';
import { callerProfile } from '../http/middleware.ts';

const HOME_BODY_BYTES = 256 * 1024;

/** `?language=`: the profile's language, for the shared rows' language row. */
const LanguageQuery = z.strictObject({ language: LanguageTag.optional() });

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
const sharedDoc: OperationSpec = {
  operationId: 'sharedHome',
  summary: "The shared homepage rows of the calling profile's maturity level and a language",
  description:
    'Trending, new releases, popular in the language and the strongest genres at the level, each list uncut, with poster variants; the same for every profile of the level and language, computed once per interval. `cache-control: max-age` says how long a copy may be kept.',
  tags: ['internal'],
  security: ['serviceCredential'],
  query: LanguageQuery,
  responses: {
    200: {
      ...json(HomeShared, 'The shared rows'),
      headers: {
        'cache-control': { description: 'How long the rows may be kept (`max-age`)', schema: { type: 'string' } },
      },
    },
  },
  problems: ['validation_failed'],
};
const personalDoc: OperationSpec = {
  operationId: 'personalHome',
  summary: 'What the calling profile adds to the shared homepage rows',
  description:
    'Its own rows (Continue Watching merged with `pending`, Top Picks, Because You Watched, its genres), its language and what the shared rows leave out for it: one PostgreSQL query and its progress partition.',
  tags: ['internal'],
  security: ['serviceCredential'],
  body: { schema: HomeQuery },
  responses: { 200: json(HomePersonal, "The profile's part") },
  problems: [...BODY_PROBLEMS, 'unavailable'],
};

/**
 * The shared rows of a level and language (`GET /internal/v1/home/shared`) and a profile's part
 * (`POST /internal/v1/home/personal`), which the edge puts together; and the whole personalized
 * page put together here (`POST /internal/v1/home`).
 */
export const home = new Hono<OriginEnv>()
  .post('/', describeRoute(homeDoc), async (c) => {
    const profile = callerProfile(c.get('caller'));
    const query = await jsonBody(c, HomeQuery, 'home query', HOME_BODY_BYTES);
    const { stores, shelves, completion, breakers, log } = c.get('deps');
    try {
      return c.json(
        await breakers.run('personalization', () => personalizedPage(stores, shelves, profile, query, completion)),
      );
    } catch (err) {
      // Personalization failed or its breaker is open: the generic page, marked so the edge knows.
      log.warn('home_fallback_generic', { requestId: c.get('requestId'), profileId: profile.profileId, error: err });
      return c.json(await genericPage(shelves, profile.maturityLevel, DEFAULT_LANGUAGE));
    }
  })
  .get('/shared', describeRoute(sharedDoc), async (c) => {
    const { maturityLevel } = callerProfile(c.get('caller'));
    const { language } = parseOrThrow(LanguageQuery, c.req.query(), 'query');
    const { shelves, homeSharedTtlMs = DEFAULT_SHELF_TTL_MS } = c.get('deps');
    const shared = await sharedPart(shelves, maturityLevel, language ?? DEFAULT_LANGUAGE);
    c.header('cache-control', `max-age=${Math.floor(homeSharedTtlMs / 1000)}`);
    return c.json(shared);
  })
  .post('/personal', describeRoute(personalDoc), async (c) => {
    const profile = callerProfile(c.get('caller'));
    const query = await jsonBody(c, HomeQuery, 'home query', HOME_BODY_BYTES);
    const { stores, shelves, completion, breakers } = c.get('deps');
    return c.json(
      await breakers.run('personalization', () => personalPart(stores, shelves, profile, query, completion)),
    );
  });
