import { Hono } from 'hono';
import * as example from '../../../../core/api/examples.ts';
import { BODY_PROBLEMS, describeRoute, json, type OperationSpec } from '../../../../core/api/openapi.ts';
import { parseOrThrow, readJsonBody } from '../../../../core/validation.ts';
import {
  EmptyBody,
  Profile,
  ProfileCreate,
  ProfileIdParam,
  ProfilesResponse,
  ProfileUpdate,
  TokenResponse,
} from '../../../../core/wire.ts';
import { callerIdentity, requireUser } from '../http/auth.ts';
import type { EdgeEnv } from '../http/context.ts';
import { callOrigin } from '../origin.ts';
import { forgetPersonalPart } from '../home-parts.ts';

const listDoc: OperationSpec = {
  operationId: 'listProfiles',
  summary: "The account's profiles",
  tags: ['profiles'],
  security: ['accountToken', 'profileToken'],
  responses: { 200: json(ProfilesResponse, 'Every profile of the account', example.PROFILES) },
  problems: ['origin_unavailable', 'unavailable'],
};
const createDoc: OperationSpec = {
  operationId: 'createProfile',
  summary: 'Add a profile to the account',
  description:
    'A kids profile gets maturity level 10 (kids-rated titles only) unless a lower one is given. `favouriteGenres` must be genre ids of the catalog; each gets a homepage row from the first visit on.',
  tags: ['profiles'],
  security: ['accountToken'],
  body: {
    schema: ProfileCreate,
    example: { name: 'Robin', language: 'fr', kids: true, favouriteGenres: ['animation', 'kids-family'] },
  },
  responses: { 201: json(Profile, 'The new profile') },
  problems: [...BODY_PROBLEMS, 'forbidden', 'conflict', 'unprocessable', 'origin_unavailable', 'unavailable'],
};
const updateDoc: OperationSpec = {
  operationId: 'updateProfile',
  summary: 'Change a profile of the account',
  description:
    'Any of name, language, maturity level, avatar and favourite genres. A new maturity level applies to profile tokens selected after the change.',
  tags: ['profiles'],
  security: ['accountToken'],
  params: ProfileIdParam,
  body: { schema: ProfileUpdate, example: { favouriteGenres: ['comedy', 'sci-fi'] } },
  responses: { 200: json(Profile, 'The profile as it is now') },
  problems: [
    ...BODY_PROBLEMS,
    'forbidden',
    'not_found',
    'conflict',
    'unprocessable',
    'origin_unavailable',
    'unavailable',
  ],
};
const selectDoc: OperationSpec = {
  operationId: 'selectProfile',
  summary: 'Trade the account token for a profile token',
  description: 'A profile of another account, or none, answers 403 alike (ids cannot be probed).',
  tags: ['profiles'],
  security: ['accountToken'],
  params: ProfileIdParam,
  body: { schema: EmptyBody, required: false, description: 'Nothing, or `{}`' },
  responses: { 200: json(TokenResponse, 'A profile token', example.TOKEN) },
  problems: [...BODY_PROBLEMS, 'forbidden', 'origin_unavailable', 'unavailable'],
};

/** The account's profiles, and trading an account token for a profile token. */
export const profiles = new Hono<EdgeEnv>()
  .get('/', describeRoute(listDoc), requireUser('any'), (c) =>
    callOrigin(c, { method: 'GET', path: '/v1/profiles', caller: callerIdentity(c) }),
  )
  .post('/', describeRoute(createDoc), requireUser('account'), async (c) => {
    const body = parseOrThrow(ProfileCreate, await readJsonBody(c.req.raw), 'request body');
    return callOrigin(c, { method: 'POST', path: '/v1/profiles', body, caller: callerIdentity(c) });
  })
  .patch('/:profileId', describeRoute(updateDoc), requireUser('account'), async (c) => {
    const { profileId } = parseOrThrow(ProfileIdParam, c.req.param(), 'path');
    const body = parseOrThrow(ProfileUpdate, await readJsonBody(c.req.raw), 'request body');
    // Its homepage part may change with its language or favourite genres (other isolates: docs/home.md).
    forgetPersonalPart(profileId);
    return callOrigin(c, { method: 'PATCH', path: `/v1/profiles/${profileId}`, body, caller: callerIdentity(c) });
  })
  .post('/:profileId/select', describeRoute(selectDoc), requireUser('account'), async (c) => {
    const { profileId } = parseOrThrow(ProfileIdParam, c.req.param(), 'path');
    const hasBody = (c.req.header('content-length') ?? '0') !== '0' || c.req.header('transfer-encoding') !== undefined;
    parseOrThrow(EmptyBody, hasBody ? await readJsonBody(c.req.raw) : {}, 'request body');
    return callOrigin(c, {
      method: 'POST',
      path: `/v1/profiles/${profileId}/select`,
      body: {},
      caller: callerIdentity(c),
    });
  });
