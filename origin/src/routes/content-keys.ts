import { Hono } from 'hono';
import { BODY_PROBLEMS, describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';
import { toBase64url, unwrapContentKey } from '../../../core/protection/key-wrap.ts';
import { ContentKeyLookupRequest, ContentKeyLookupResponse } from '../../../core/protection/wire.ts';
import { jsonBody } from '../http/body.ts';
import type { OriginEnv } from '../http/context.ts';

const lookupDoc: OperationSpec = {
  operationId: 'contentKeyLookup',
  summary: 'Content keys by key id, for the edge licence server',
  description:
    'Each known key with its title, the title\u2019s maturity level and its tier, unwrapped. Unknown ids are left out; the edge decides what a profile may have.',
  tags: ['internal'],
  security: ['serviceCredential'],
  body: { schema: ContentKeyLookupRequest },
  responses: { 200: json(ContentKeyLookupResponse, 'The keys the catalog has among those asked for') },
  problems: BODY_PROBLEMS,
};

/**
 * The keys behind a licence: the edge (service credential only) asks by key id and decides itself
 * which to hand to the player (core/protection/tiers.ts). Keys are unwrapped here, in memory, and
 * never logged; the answer must not be cached by anything in between.
 */
export const contentKeys = new Hono<OriginEnv>().post('/lookup', describeRoute(lookupDoc), async (c) => {
  const { kids } = await jsonBody(c, ContentKeyLookupRequest, 'content key lookup');
  const deps = c.get('deps');
  const found = await deps.stores.contentKeys.lookup([...new Set(kids.map((k) => k.toLowerCase()))]);
  const keys = await Promise.all(
    found.map(async (k) => ({
      kid: k.kid,
      titleId: k.titleId,
      titleMaturityLevel: k.titleMaturityLevel,
      tier: k.tier,
      key: toBase64url(await unwrapContentKey(deps.contentKeyKek, k.wrappedKey)),
    })),
  );
  c.header('cache-control', 'no-store');
  return c.json({ keys } satisfies ContentKeyLookupResponse);
});
