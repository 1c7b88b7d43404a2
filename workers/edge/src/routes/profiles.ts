import { Hono } from 'hono';
import { parseOrThrow, readJsonBody } from '../../../../core/validation.ts';
import { EmptyBody, ProfileIdParam } from '../../../../core/wire.ts';
import { callerIdentity, requireUser } from '../http/auth.ts';
import type { EdgeEnv } from '../http/context.ts';
import { callOrigin } from '../origin.ts';

/** The account's profiles, and trading an account token for a profile token. */
export const profiles = new Hono<EdgeEnv>()
  .get('/', requireUser('any'), (c) =>
    callOrigin(c, { method: 'GET', path: '/v1/profiles', caller: callerIdentity(c) }),
  )
  .post('/:profileId/select', requireUser('account'), async (c) => {
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
