import { Hono } from 'hono';
import { BODY_PROBLEMS, describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';
import { z } from 'zod';
import { HomePage, HomeQuery } from '../../../core/home.ts';
import { parseOrThrow } from '../../../core/validation.ts';
import { LanguageTag } from '../../../core/wire.ts';
import { DEFAULT_LANGUAGE, genericPage, personalizedPage } from '../home/page.ts';
import type { OriginEnv } from '../http/context.ts';
import { jsonBody } from '../http/body.ts';
import { callerProfile } from '../http/middleware.ts';

const HOME_BODY_BYTES = 256 * 1024;

/** `?language=`: the profile's language, for the generic page's language row. */
const GenericQuery = z.strictObject({ language: LanguageTag.optional() });

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
  summary: "A generic homepage for the calling profile's maturity level and a language",
  description:
    'What a profile with no history and no favourite genres sees: trending, new releases, popular in the language, the strongest genres at the level.',
  tags: ['internal'],
  security: ['serviceCredential'],
  query: GenericQuery,
  responses: { 200: json(HomePage, 'The shared rows') },
  problems: ['validation_failed'],
};

/**
 * The personalized homepage (`POST /internal/v1/home`) and the generic one the edge keeps for
 * when personalization is unavailable (`GET /internal/v1/home/generic`).
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
  .get('/generic', describeRoute(genericDoc), async (c) => {
    const { maturityLevel } = callerProfile(c.get('caller'));
    const { language } = parseOrThrow(GenericQuery, c.req.query(), 'query');
    return c.json(await genericPage(c.get('deps').shelves, maturityLevel, language ?? DEFAULT_LANGUAGE));
  });
