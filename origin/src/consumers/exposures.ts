/**
 * The exposures consumer group: records each exposure event in `experiment_exposures`. At least
 * once and idempotent: the table's key (experiment, version, profile) makes a redelivered or
 * repeated exposure insert nothing, so each profile counts exactly once per experiment version.
 */
import { z } from 'zod';
import { ExperimentId, VariantId } from '../../../core/experiments/schema.ts';
import type { Logger } from '../log.ts';
import { CONSUMER_GROUPS, TOPICS } from '../stores/names.ts';
import type { Stores, Subscription } from '../stores/types.ts';

const ExposureEvent = z.object({
  type: z.literal('experiment_exposure'),
  profileId: z.uuid(),
  experimentId: ExperimentId,
  version: z.number().int().min(1),
  variantId: VariantId,
  exposedAt: z.number().int().nonnegative(),
});

async function handleExposureEvent(stores: Stores, log: Logger, value: Record<string, unknown>): Promise<void> {
  const parsed = ExposureEvent.safeParse(value);
  if (!parsed.success) {
    // Not ours to understand: skip rather than stall the group.
    log.debug('exposure_event_skipped', { type: value['type'] });
    return;
  }
  const e = parsed.data;
  await stores.experiments.recordExposures([{ ...e, exposedAt: new Date(e.exposedAt) }]);
}

/** Starts the exposures consumer; stop it before closing the stores. */
export function startExposureConsumer(stores: Stores, log: Logger): Promise<Subscription> {
  return stores.events.subscribe(CONSUMER_GROUPS.exposures, TOPICS.experimentExposures, (event) =>
    handleExposureEvent(stores, log, event.value),
  );
}
