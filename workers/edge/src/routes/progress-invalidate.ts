/**
 * The HTTP entry to a profile's ProgressBuffer for writes that did not pass through it (imports,
 * migrations, operator repairs): after its write is durable, the writer tells the buffer to forget
 * what it learned (docs/progress.md). Called with a service credential naming the profile, minted
 * with `SERVICE_TOKEN_SECRET` for this method, path and body, as the edge's calls to the origin are.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { BODY_PROBLEMS, describeRoute, json, type OperationSpec } from '../../../../core/api/openapi.ts';
import { HttpError } from '../../../../core/problem.ts';
import { bearerToken, identityOf, isProfile, verifyServiceToken } from '../../../../core/tokens.ts';
import { parseOrThrow, readJsonBody } from '../../../../core/validation.ts';
import { Uuid } from '../../../../core/wire.ts';
import type { EdgeEnv } from '../http/context.ts';
import { bufferOf, callBuffer } from '../progress-client.ts';

/** Where it is mounted. */
export const INVALIDATE_PATH = '/internal/v1/progress/invalidate';

const InvalidateRequest = z.strictObject({ titleIds: z.array(Uuid).min(1).max(1000).optional() });
const InvalidateResponse = z.strictObject({
  /** Flushed states the buffer forgot (unflushed ones are kept and merged by the rule). */
  dropped: z.number().int().nonnegative(),
});

const invalidateDoc: OperationSpec = {
  operationId: 'invalidateProgressBuffer',
  summary: "Make the profile's buffer forget what it learned of the stored progress",
  description:
    'For writes that bypass the buffer. `titleIds`: those titles are read from the origin when next asked; none: the buffer learns the whole profile again. Idempotent: a replayed credential only costs a read.',
  tags: ['progress'],
  security: ['serviceCredential'],
  body: { schema: InvalidateRequest },
  responses: { 200: json(InvalidateResponse, 'Forgotten') },
  problems: ['unauthenticated', 'invalid_token', 'token_expired', ...BODY_PROBLEMS, 'unavailable'],
};

/** `POST /internal/v1/progress/invalidate`: the profile is the credential's, never a body field. */
export const progressInvalidate = new Hono<EdgeEnv>().post('/', describeRoute(invalidateDoc), async (c) => {
  const token = bearerToken(c.req.header('authorization'));
  const claims = await verifyServiceToken(token, c.env.SERVICE_TOKEN_SECRET, {
    method: 'POST',
    pathAndQuery: new URL(c.req.url).pathname,
    // Read only once the signature holds: nobody without the secret makes the edge read a body.
    body: async () => new Uint8Array(await c.req.raw.clone().arrayBuffer()),
  });
  const who = identityOf(claims);
  if (!isProfile(who)) throw new HttpError('invalid_token', 'The credential names no profile');
  const { titleIds } = parseOrThrow(InvalidateRequest, await readJsonBody(c.req.raw), 'invalidation');
  const result = await callBuffer(() => bufferOf(c.env, who.profileId).invalidate(titleIds));
  return c.json(result satisfies z.infer<typeof InvalidateResponse>);
});
