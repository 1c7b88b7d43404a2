import { Hono } from 'hono';
import type { ExperimentsResponse } from '../../../../core/experiments/schema.ts';
import { assignmentsWithConfig } from '../experiments.ts';
import { requireUser } from '../http/auth.ts';
import type { EdgeEnv } from '../http/context.ts';

/** The calling profile's experiment assignments, computed at the edge (see ../experiments.ts). */
export const experiments = new Hono<EdgeEnv>().get('/', requireUser('profile'), async (c) => {
  const { assignments, context, configVersion, stale } = await assignmentsWithConfig(c);
  c.header('cache-control', 'private, no-store');
  return c.json({ assignments, context, configVersion, configStale: stale } satisfies ExperimentsResponse);
});
