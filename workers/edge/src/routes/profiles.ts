import { Hono } from 'hono';
import * as example from '../../../../core/api/examples.ts';
import { BODY_PROBLEMS, describeRoute, json, type OperationSpec } from '../../../../core/api/openapi.ts';
import { parseOrThrow, readJsonBody } from '../../../../core/validation.ts';
import { EmptyBody, ProfileIdParam, ProfilesResponse, TokenResponse } from '../../../../core/wire.ts';
import { callerIdentity, requireUser } from '../http/auth.ts';
import type { EdgeEnv } from '../http/context.ts';
import { callOrigin } from '../origin.ts';

const listDoc: OperationSpec = {
  operationId: 'listProfiles',
  summary: "The account's profiles",
  tags: ['profiles'],
  security: ['accountToken', 'profileToken'],
  responses: { 200: json(ProfilesResponse, 'Every profile of the account', example.PROFILES) },
  problems: ['origin_unavailable', 'unavailable'],
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
