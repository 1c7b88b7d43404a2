import { Hono } from 'hono';
import { describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';
import * as example from '../../../core/api/examples.ts';
import { HttpError } from '../../../core/problem.ts';
import { parseOrThrow } from '../../../core/validation.ts';
import { isProfile, type AccountIdentity, type Identity } from '../../../core/tokens.ts';
import {
  EmptyBody,
  Profile,
  ProfileCreate,
  ProfileIdParam,
  ProfilesResponse,
  ProfileUpdate,
  TokenResponse,
} from '../../../core/wire.ts';
import { clock, profileToken, tokenBody } from '../auth/sessions.ts';
import type { OriginEnv } from '../http/context.ts';
import { jsonBody, optionalJsonBody } from '../http/body.ts';
import { callerAccount } from '../http/middleware.ts';
import type { ProfileRecord, Stores } from '../stores/types.ts';

const toWire = (p: ProfileRecord): Profile => ({
  id: p.id,
  name: p.name,
  language: p.language,
  maturityLevel: p.maturityLevel,
  kids: p.isKids,
  avatar: p.avatar,
  favouriteGenres: p.favouriteGenres,
});

/** The highest level a kids profile may have: kids-rated titles only (G, TV-G, TV-Y7 and below). */
export const KIDS_MAX_MATURITY_LEVEL = 10;
const ADULT_DEFAULT_MATURITY_LEVEL = 50;

/** Profile changes are the account holder's: a profile token (a child's, say) may not make them. */
function accountOnly(caller: Identity | AccountIdentity | undefined): string {
  if (isProfile(caller)) throw new HttpError('forbidden', 'Profiles are managed with an account token');
  return callerAccount(caller);
}

/** 422 naming the genres the catalog does not know. */
async function assertKnownGenres(stores: Stores, ids: readonly string[] | undefined): Promise<void> {
  if (!ids || ids.length === 0) return;
  const known = await stores.home.genreNames(ids);
  const unknown = ids.filter((g) => !known.has(g));
  if (unknown.length > 0) throw new HttpError('unprocessable', `Unknown genres: ${unknown.join(', ')}`);
}

function assertKidsLevel(isKids: boolean, level: number): void {
  if (isKids && level > KIDS_MAX_MATURITY_LEVEL) {
    throw new HttpError('unprocessable', `A kids profile's maturity level is at most ${KIDS_MAX_MATURITY_LEVEL}`);
  }
}

const listDoc: OperationSpec = {
  operationId: 'listProfiles',
  summary: "The calling account's profiles",
  tags: ['accounts'],
  security: ['serviceCredential'],
  responses: { 200: json(ProfilesResponse, 'Every profile of the account', example.PROFILES) },
};
const PROFILE_BODY_PROBLEMS = [
  'malformed_json',
  'validation_failed',
  'payload_too_large',
  'unsupported_media_type',
] as const;
const createDoc: OperationSpec = {
  operationId: 'createProfile',
  summary: 'A new profile of the calling account',
  description:
    'A kids profile gets maturity level 10 unless a lower one is given; favourite genres must be genres of the catalog.',
  tags: ['accounts'],
  security: ['serviceCredential'],
  body: { schema: ProfileCreate },
  responses: { 201: json(Profile, 'The profile') },
  problems: [...PROFILE_BODY_PROBLEMS, 'forbidden', 'conflict', 'unprocessable'],
};
const updateDoc: OperationSpec = {
  operationId: 'updateProfile',
  summary: 'Changes a profile of the calling account',
  description: 'A changed maturity level applies to profile tokens selected after the change.',
  tags: ['accounts'],
  security: ['serviceCredential'],
  params: ProfileIdParam,
  body: { schema: ProfileUpdate },
  responses: { 200: json(Profile, 'The profile as it is now') },
  problems: [...PROFILE_BODY_PROBLEMS, 'forbidden', 'not_found', 'conflict', 'unprocessable'],
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
  .post('/', describeRoute(createDoc), async (c) => {
    const accountId = accountOnly(c.get('caller'));
    const body = await jsonBody(c, ProfileCreate, 'profile');
    const { stores } = c.get('deps');
    const maturityLevel = body.maturityLevel ?? (body.kids ? KIDS_MAX_MATURITY_LEVEL : ADULT_DEFAULT_MATURITY_LEVEL);
    assertKidsLevel(body.kids, maturityLevel);
    await assertKnownGenres(stores, body.favouriteGenres);
    const created = await stores.accounts.createProfile(accountId, {
      name: body.name,
      language: body.language,
      maturityLevel,
      isKids: body.kids,
      avatar: body.avatar,
      favouriteGenres: body.favouriteGenres,
    });
    if (!created) throw new HttpError('conflict', 'This account already has a profile of that name');
    return c.json(toWire(created) satisfies Profile, 201);
  })
  .patch('/:profileId', describeRoute(updateDoc), async (c) => {
    const accountId = accountOnly(c.get('caller'));
    const { profileId } = parseOrThrow(ProfileIdParam, c.req.param(), 'path');
    const changes = await jsonBody(c, ProfileUpdate, 'profile changes');
    const { stores } = c.get('deps');
    const current = await stores.accounts.getProfile(accountId, profileId);
    if (!current) throw new HttpError('not_found', 'This account has no such profile');
    if (changes.maturityLevel !== undefined) assertKidsLevel(current.isKids, changes.maturityLevel);
    await assertKnownGenres(stores, changes.favouriteGenres);
    const updated = await stores.accounts.updateProfile(accountId, profileId, changes);
    if (updated === 'name_taken') throw new HttpError('conflict', 'This account already has a profile of that name');
    if (!updated) throw new HttpError('not_found', 'This account has no such profile');
    return c.json(toWire(updated) satisfies Profile);
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
