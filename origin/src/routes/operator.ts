import { Hono } from 'hono';
import { z } from 'zod';
import { allocate } from '../../../core/experiments/allocate.ts';
import {
  DEVICE_TYPES,
  EXPERIMENT_STATUSES,
  ExperimentDefinition,
  ExperimentId,
  ExperimentPatch,
  ExperimentVersion,
  Holdout,
  StatusChange,
  TENURES,
  type Experiment,
  type ExperimentResults,
} from '../../../core/experiments/schema.ts';
import { srmTest } from '../../../core/experiments/srm.ts';
import { HttpError } from '../../../core/problem.ts';
import { parseOrThrow } from '../../../core/validation.ts';
import { Uuid } from '../../../core/wire.ts';
import { applyEdit, applyTransition, assertValidDefinition, configDocument, newDraft } from '../domain/experiments.ts';
import { jsonBody } from '../http/body.ts';
import type { AppContext, OriginEnv } from '../http/context.ts';

const IdParam = z.strictObject({ id: ExperimentId });
const ListQuery = z.strictObject({ status: z.enum(EXPERIMENT_STATUSES).optional() });
const ResultsQuery = z.strictObject({ version: z.coerce.number().pipe(ExperimentVersion).optional() });
const AssignmentQuery = z.strictObject({
  country: z
    .string()
    .regex(/^[A-Z]{2}$/)
    .optional(),
  device: z.enum(DEVICE_TYPES).optional(),
  plan: z.string().min(1).max(64).optional(),
  tenure: z.enum(TENURES).optional(),
});

const idOf = (c: AppContext) => parseOrThrow(IdParam, c.req.param(), 'path').id;
const notFound = (id: string) => new HttpError('not_found', `No experiment "${id}"`);

async function existing(c: AppContext, id: string): Promise<Experiment> {
  const e = await c.get('deps').stores.experiments.get(id);
  if (!e) throw notFound(id);
  return e;
}

/**
 * The operator API: experiments from draft to completed, their results, and the holdout. Behind
 * `requireOperator` (the operator key), never behind the edge.
 */
export const operator = new Hono<OriginEnv>()
  .get('/experiments', async (c) => {
    const { status } = parseOrThrow(ListQuery, c.req.query(), 'query');
    return c.json({ experiments: await c.get('deps').stores.experiments.list({ status }) });
  })
  .post('/experiments', async (c) => {
    const definition = await jsonBody(c, ExperimentDefinition, 'experiment');
    const { experiments } = c.get('deps').stores;
    assertValidDefinition(definition, await experiments.planIds());
    const created = await experiments.write(definition.id, (current, live) => {
      if (current) throw new HttpError('conflict', `An experiment "${definition.id}" exists already`);
      return newDraft(definition, live, new Date());
    });
    return c.json(created, 201, { location: `/operator/v1/experiments/${created.id}` });
  })
  .get('/experiments/:id', async (c) => c.json(await existing(c, idOf(c))))
  .patch('/experiments/:id', async (c) => {
    const id = idOf(c);
    const patch = await jsonBody(c, ExperimentPatch, 'experiment edit');
    const { experiments } = c.get('deps').stores;
    const plans = await experiments.planIds();
    return c.json(
      await experiments.write(id, (current, live) => {
        if (!current) throw notFound(id);
        return applyEdit(current, patch, live, plans, new Date());
      }),
    );
  })
  .post('/experiments/:id/status', async (c) => {
    const id = idOf(c);
    const { status } = await jsonBody(c, StatusChange, 'status change');
    const updated = await c.get('deps').stores.experiments.write(id, (current, live) => {
      if (!current) throw notFound(id);
      return applyTransition(current, status, live, new Date());
    });
    c.get('deps').log.info('experiment_status', { requestId: c.get('requestId'), experimentId: id, status });
    return c.json(updated);
  })
  .get('/experiments/:id/results', async (c) => {
    const experiment = await existing(c, idOf(c));
    const { version } = parseOrThrow(ResultsQuery, c.req.query(), 'query');
    const counts = await c.get('deps').stores.experiments.variantCounts(experiment.id, version);
    const observed = experiment.variants.map((v) => counts.get(v.id)?.exposed ?? 0);
    const srm = srmTest(
      observed,
      experiment.variants.map((v) => v.weight),
    );
    return c.json({
      experimentId: experiment.id,
      status: experiment.status,
      version: version ?? experiment.version,
      exposures: observed.reduce((a, b) => a + b, 0),
      variants: experiment.variants.map((v, i) => {
        const n = counts.get(v.id);
        return {
          variantId: v.id,
          weight: v.weight,
          expected: srm.expected[i]!,
          observed: observed[i]!,
          completions: n?.completed ?? 0,
          completionRate: n && n.exposed > 0 ? n.completed / n.exposed : null,
        };
      }),
      srm: {
        chiSquared: srm.chiSquared,
        degreesOfFreedom: srm.degreesOfFreedom,
        pValue: srm.pValue,
        threshold: srm.threshold,
        mismatch: srm.mismatch,
      },
      computedAt: new Date().toISOString(),
    } satisfies ExperimentResults);
  })
  .get('/holdout', async (c) => c.json({ percentage: await c.get('deps').stores.experiments.holdout() }))
  .put('/holdout', async (c) => {
    const { percentage } = await jsonBody(c, Holdout, 'holdout');
    await c.get('deps').stores.experiments.setHoldout(percentage);
    c.get('deps').log.info('experiment_holdout', { requestId: c.get('requestId'), percentage });
    return c.json({ percentage });
  })
  .get('/assignments/:profileId', async (c) => {
    // The same allocation the edge computes, at the origin: for support and for checking the two agree.
    const { profileId } = parseOrThrow(z.strictObject({ profileId: Uuid }), c.req.param(), 'path');
    const q = parseOrThrow(AssignmentQuery, c.req.query(), 'query');
    const { holdoutPercentage, experiments } = await c.get('deps').stores.experiments.live();
    const config = configDocument(holdoutPercentage, experiments);
    const context = {
      country: q.country ?? null,
      device: q.device ?? null,
      plan: q.plan ?? null,
      tenure: q.tenure ?? null,
    };
    return c.json({ assignments: allocate(profileId, config, context, Date.now()), configVersion: config.version });
  });
