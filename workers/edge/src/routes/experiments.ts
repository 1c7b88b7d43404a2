import { Hono } from 'hono';
import { describeRoute, json, type OperationSpec } from '../../../../core/api/openapi.ts';
import { z } from 'zod';
import { DEVICE_TYPES, ExperimentsResponse } from '../../../../core/experiments/schema.ts';
import { assignmentsWithConfig } from '../experiments.ts';
import { requireUser } from '../http/auth.ts';
import type { EdgeEnv } from '../http/context.ts';

const assignmentsDoc: OperationSpec = {
  operationId: 'experimentAssignments',
  summary: "The profile's experiment variants",
  description:
    'Allocated at the edge from the cached experiment config (`configStale` when the origin could not refresh it).',
  tags: ['experiments'],
  security: ['profileToken'],
  headers: [
    {
      name: 'x-device-type',
      description: 'The device class, for targeting',
      schema: z.enum(DEVICE_TYPES),
    },
  ],
  responses: { 200: json(ExperimentsResponse, 'Assignments and the targeting context') },
  problems: ['validation_failed', 'origin_unavailable'],
};

/** The calling profile's experiment assignments, computed at the edge (see ../experiments.ts). */
export const experiments = new Hono<EdgeEnv>().get(
  '/',
  describeRoute(assignmentsDoc),
  requireUser('profile'),
  async (c) => {
    const { assignments, context, configVersion, stale } = await assignmentsWithConfig(c);
    c.header('cache-control', 'private, no-store');
    return c.json({ assignments, context, configVersion, configStale: stale } satisfies ExperimentsResponse);
  },
);
