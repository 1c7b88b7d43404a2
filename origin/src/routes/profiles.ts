import { Hono } from 'hono';
import { describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';
import * as example from '../../../core/api/examples.ts';
import { HttpError } from '../../../core/problem.ts';
import { identityClaims, signUserToken } from '../../../core/tokens.ts';
import { parseOrThrow } from '../../../core/validation.ts';
import { EmptyBody, ProfileIdParam, type Profile, ProfilesResponse, TokenResponse } from '../../../core/wire.ts';
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
  problems: ['malformed_json', 'validation_failed', 'payload_too_large', 'unsupported_media_type', 'forbidden'],
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
    const { stores, signer, tokenSettings } = c.get('deps');
    const [profile, account] = await Promise.all([
      stores.accounts.getProfile(accountId, profileId),
      stores.accounts.getAccount(accountId),
    ]);
    // Unknown and foreign profiles answer alike, so profile ids of other accounts cannot be probed.
    if (!profile || !account) throw new HttpError('forbidden', 'That profile does not belong to this account');
    const { token, expiresAt } = await signUserToken(
      {
        ...identityClaims({ accountId: account.id, profileId: profile.id, maturityLevel: profile.maturityLevel }),
        scope: 'profile',
        plan: account.planId,
        since: Math.floor(account.createdAt.getTime() / 1000),
      },
      signer,
      tokenSettings,
    );
    return c.json({ token, tokenType: 'Bearer', expiresAt: expiresAt.toISOString() } satisfies TokenResponse);
  });
