import { Hono } from 'hono';
import { BODY_PROBLEMS, describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';
import { ExperimentList, OperatorAssignments } from '../../../core/api/schemas.ts';
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
  Experiment,
  ExperimentResults,
} from '../../../core/experiments/schema.ts';
import { srmTest } from '../../../core/experiments/srm.ts';
import { HttpError } from '../../../core/problem.ts';
import { parseOrThrow } from '../../../core/validation.ts';
import { ProfileIdParam, Uuid } from '../../../core/wire.ts';
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

const EXAMPLE_DEFINITION = {
  id: 'homepage_row_order',
  name: 'Homepage row order',
  allocation: 100,
  variants: [
    { id: 'control', weight: 50, config: {} },
    { id: 'continue_first', weight: 50, config: {} },
  ],
};
const op = (spec: Omit<OperationSpec, 'tags' | 'security'>): OperationSpec => ({
  ...spec,
  tags: ['operator'],
  security: ['operatorKey'],
});
const listDoc = op({
  operationId: 'listExperiments',
  summary: 'Every experiment, optionally of one status',
  query: ListQuery,
  responses: { 200: json(ExperimentList, 'The experiments') },
  problems: ['validation_failed'],
});
const createDoc = op({
  operationId: 'createExperiment',
  summary: 'A new experiment, as a draft',
  body: { schema: ExperimentDefinition, example: EXAMPLE_DEFINITION },
  responses: {
    201: {
      ...json(Experiment, 'Created'),
      headers: { location: { description: 'The experiment', schema: { type: 'string' }, required: true } },
    },
  },
  problems: [...BODY_PROBLEMS, 'conflict', 'unprocessable'],
});
const getDoc = op({
  operationId: 'getExperiment',
  summary: 'One experiment',
  params: IdParam,
  responses: { 200: json(Experiment, 'The experiment') },
  problems: ['validation_failed', 'not_found'],
});
const patchDoc = op({
  operationId: 'editExperiment',
  summary: 'Edit an experiment (a live one only in ways that keep assignments stable)',
  params: IdParam,
  body: { schema: ExperimentPatch, example: { name: 'Homepage row order (v2)' } },
  responses: { 200: json(Experiment, 'Edited') },
  problems: [...BODY_PROBLEMS, 'not_found', 'conflict', 'unprocessable'],
});
const statusDoc = op({
  operationId: 'changeExperimentStatus',
  summary: 'Start, pause, resume or complete an experiment',
  params: IdParam,
  body: { schema: StatusChange, example: { status: 'running' } },
  responses: { 200: json(Experiment, 'Changed') },
  problems: [...BODY_PROBLEMS, 'not_found', 'conflict', 'unprocessable'],
});
const resultsDoc = op({
  operationId: 'experimentResults',
  summary: 'Exposures, completions and the sample ratio mismatch test of one version',
  params: IdParam,
  query: ResultsQuery,
  responses: { 200: json(ExperimentResults, 'The results') },
  problems: ['validation_failed', 'not_found'],
});
const getHoldoutDoc = op({
  operationId: 'getHoldout',
  summary: 'The share of profiles that get no experiment',
  responses: { 200: json(Holdout, 'The holdout', { percentage: 5 }) },
});
const putHoldoutDoc = op({
  operationId: 'setHoldout',
  summary: 'Set the holdout',
  body: { schema: Holdout, example: { percentage: 5 } },
  responses: { 200: json(Holdout, 'Set', { percentage: 5 }) },
  problems: BODY_PROBLEMS,
});
const assignmentsDoc = op({
  operationId: 'profileAssignments',
  summary: 'The allocation the edge computes for a profile, at the origin',
  params: ProfileIdParam,
  query: AssignmentQuery,
  responses: { 200: json(OperatorAssignments, 'Assignments') },
  problems: ['validation_failed'],
});

/**
 * The operator API: experiments from draft to completed, their results, and the holdout. Behind
 * `requireOperator` (the operator key), never behind the edge.
 */
export const operator = new Hono<OriginEnv>()
  .get('/experiments', describeRoute(listDoc), async (c) => {
    const { status } = parseOrThrow(ListQuery, c.req.query(), 'query');
    return c.json({ experiments: await c.get('deps').stores.experiments.list({ status }) });
  })
  .post('/experiments', describeRoute(createDoc), async (c) => {
    const definition = await jsonBody(c, ExperimentDefinition, 'experiment');
    const { experiments } = c.get('deps').stores;
    assertValidDefinition(definition, await experiments.planIds());
    const created = await experiments.write(definition.id, (current, live) => {
      if (current) throw new HttpError('conflict', `An experiment "${definition.id}" exists already`);
      return newDraft(definition, live, new Date());
    });
    return c.json(created, 201, { location: `/operator/v1/experiments/${created.id}` });
  })
  .get('/experiments/:id', describeRoute(getDoc), async (c) => c.json(await existing(c, idOf(c))))
  .patch('/experiments/:id', describeRoute(patchDoc), async (c) => {
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
  .post('/experiments/:id/status', describeRoute(statusDoc), async (c) => {
    const id = idOf(c);
    const { status } = await jsonBody(c, StatusChange, 'status change');
    const updated = await c.get('deps').stores.experiments.write(id, (current, live) => {
      if (!current) throw notFound(id);
      return applyTransition(current, status, live, new Date());
    });
    c.get('deps').log.info('experiment_status', { requestId: c.get('requestId'), experimentId: id, status });
    return c.json(updated);
  })
  .get('/experiments/:id/results', describeRoute(resultsDoc), async (c) => {
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
  .get('/holdout', describeRoute(getHoldoutDoc), async (c) =>
    c.json({ percentage: await c.get('deps').stores.experiments.holdout() }),
  )
  .put('/holdout', describeRoute(putHoldoutDoc), async (c) => {
    const { percentage } = await jsonBody(c, Holdout, 'holdout');
    await c.get('deps').stores.experiments.setHoldout(percentage);
    c.get('deps').log.info('experiment_holdout', { requestId: c.get('requestId'), percentage });
    return c.json({ percentage });
  })
  .get('/assignments/:profileId', describeRoute(assignmentsDoc), async (c) => {
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
