import { Hono } from 'hono';
import { describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';
import * as example from '../../../core/api/examples.ts';
import { HttpError } from '../../../core/problem.ts';
import { parseOrThrow } from '../../../core/validation.ts';
import { EmptyBody, ProfileIdParam, type Profile, ProfilesResponse, TokenResponse } from '../../../core/wire.ts';
import { clock, profileToken, tokenBody } from '../auth/sessions.ts';
import type { OriginEnv } from '../http/context.ts';
import { optionalJsonBody } from '../http/body.ts';
import { callerAccount } from '../http/middleware.ts';
import type { ProfileRecord } from '../stores/types.ts';

const toWire = (p: ProfileRecord): Profile => ({
  id: p.id,
  name: p.name,
  language: p.language,
  maturityLevel: p.maturityLevel,
  kids: p.isKids,
  avatar: p.avatar,
});

const listDoc: OperationSpec = {
  operationId: 'listProfiles',
  summary: "The calling account's profiles",
  tags: ['accounts'],
  security: ['serviceCredential'],
  responses: { 200: json(ProfilesResponse, 'Every profile of the account', example.PROFILES) },
};
const selectDoc: OperationSpec = {
  operationId: 'selectProfile',
  summary: 'A profile token for a profile of the calling account',
  tags: ['accounts'],
  security: ['serviceCredential'],
  params: ProfileIdParam,
  body: { schema: EmptyBody, required: false },
  responses: { 200: json(TokenResponse, 'A profile token', example.TOKEN) },
  problems: [
    'malformed_json',
    'validation_failed',
    'payload_too_large',
    'unsupported_media_type',
    'forbidden',
    'session_revoked',
  ],
};

/** The caller's profiles, and selecting one for a profile token. */
export const profiles = new Hono<OriginEnv>()
  .get('/', describeRoute(listDoc), async (c) => {
    const accountId = callerAccount(c.get('caller'));
    const list = await c.get('deps').stores.accounts.listProfiles(accountId);
    return c.json({ profiles: list.map(toWire) } satisfies ProfilesResponse);
  })
  .post('/:profileId/select', describeRoute(selectDoc), async (c) => {
    const caller = c.get('caller');
    const accountId = callerAccount(caller);
    const { profileId } = parseOrThrow(ProfileIdParam, c.req.param(), 'path');
    await optionalJsonBody(c, EmptyBody);
    const deps = c.get('deps');
    const sessionId = c.get('sessionId');
    const [profile, account, session] = await Promise.all([
      deps.stores.accounts.getProfile(accountId, profileId),
      deps.stores.accounts.getAccount(accountId),
      sessionId ? deps.stores.sessions.getLive(accountId, sessionId, clock(deps)) : undefined,
    ]);
    // A profile token outlives neither its session nor a revocation the edge has not heard of yet.
    if (session === null) throw new HttpError('session_revoked', 'This session was signed out or has expired');
    // Unknown and foreign profiles answer alike, so profile ids of other accounts cannot be probed.
    if (!profile || !account) throw new HttpError('forbidden', 'That profile does not belong to this account');
    return c.json(tokenBody(await profileToken(deps, account, profile, sessionId)) satisfies TokenResponse);
  });
