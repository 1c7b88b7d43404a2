import { Hono } from 'hono';
import { z } from 'zod';
import { BODY_PROBLEMS, describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';
import { ExposureReceipt } from '../../../core/api/schemas.ts';
import { ExperimentsConfig, ExposureBatch } from '../../../core/experiments/schema.ts';
import { HttpError } from '../../../core/problem.ts';
import { configDocument } from '../domain/experiments.ts';
import { jsonBody } from '../http/body.ts';
import type { OriginEnv } from '../http/context.ts';
import { callerProfile } from '../http/middleware.ts';
import { TOPICS } from '../stores/names.ts';
import type { EventMessage } from '../stores/types.ts';

/** One exposure per profile, experiment and version: a repeat carries the same id and is dropped downstream. */
export const exposureEventId = (profileId: string, experimentId: string, version: number) =>
  `exposure:${profileId}:${experimentId}:${version}`;

const configDoc: OperationSpec = {
  operationId: 'experimentsConfig',
  summary: 'Running experiments and the holdout, for the edge to allocate with',
  tags: ['internal'],
  security: ['serviceCredential'],
  headers: [{ name: 'if-none-match', description: 'The ETag of a config the edge has', schema: z.string() }],
  responses: {
    200: {
      ...json(ExperimentsConfig, 'The config'),
      headers: { etag: { description: 'The config version, quoted', schema: { type: 'string' }, required: true } },
    },
    304: { description: 'The edge has this version already' },
  },
};
const exposuresDoc: OperationSpec = {
  operationId: 'recordExposures',
  summary: 'Variants the calling profile was shown, published for the exposures consumer',
  tags: ['internal'],
  security: ['serviceCredential'],
  body: { schema: ExposureBatch },
  responses: { 202: json(ExposureReceipt, 'Published (unknown experiments dropped)') },
  problems: BODY_PROBLEMS,
};

/**
 * What the edge needs for experiments: the config it allocates with (`GET /config`, with an ETag),
 * and the exposures it saw (`POST /exposures`, published to Kafka for the exposures consumer).
 */
export const experiments = new Hono<OriginEnv>()
  .get('/config', describeRoute(configDoc), async (c) => {
    const { holdoutPercentage, experiments: running } = await c.get('deps').stores.experiments.live();
    const config = configDocument(holdoutPercentage, running);
    const etag = `"${config.version}"`;
    c.header('etag', etag);
    c.header('cache-control', 'no-cache');
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    return c.json(config);
  })
  .post('/exposures', describeRoute(exposuresDoc), async (c) => {
    const { profileId } = callerProfile(c.get('caller'));
    const { exposures } = await jsonBody(c, ExposureBatch, 'exposures');
    const { stores, log } = c.get('deps');
    const known = await stores.experiments.existing(exposures.map((e) => e.experimentId));
    const accepted = exposures.filter((e) => known.has(e.experimentId));
    const messages: EventMessage[] = accepted.map((e) => {
      const id = exposureEventId(profileId, e.experimentId, e.version);
      return {
        id,
        key: profileId,
        value: {
          type: 'experiment_exposure',
          eventId: id,
          profileId,
          experimentId: e.experimentId,
          version: e.version,
          variantId: e.variantId,
          exposedAt: e.exposedAt,
        },
      };
    });
    try {
      await stores.events.publish(TOPICS.experimentExposures, messages);
    } catch (err) {
      throw new HttpError('unavailable', 'The event log is unavailable; retry later', {
        cause: err,
        headers: { 'retry-after': '5' },
      });
    }
    for (const e of accepted) {
      c.get('deps').metrics.experimentAllocations.inc({
        source: 'origin',
        experiment: e.experimentId,
        variant: e.variantId,
      });
    }
    const dropped = exposures.filter((e) => !known.has(e.experimentId)).map((e) => e.experimentId);
    if (dropped.length > 0) log.warn('exposures_unknown_experiment', { requestId: c.get('requestId'), dropped });
    return c.json({ accepted: accepted.length, dropped }, 202);
  });
