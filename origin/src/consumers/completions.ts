/**
 * The viewing-events consumer group: turns completions into watch history and genre
 * preferences. At least once and idempotent: history is keyed by the completion's event time (a
 * redelivery rewrites the same row), and the preference bump happens once, in the same
 * transaction that marks the title completed.
 */
import { z } from 'zod';
import type { Logger } from '../log.ts';
import { CONSUMER_GROUPS, TOPICS } from '../stores/names.ts';
import type { Stores, Subscription } from '../stores/types.ts';

const ProgressEvent = z.object({
  type: z.literal('progress_update'),
  profileId: z.uuid(),
  titleId: z.uuid(),
  seriesId: z.uuid().nullable(),
  contentType: z.enum(['movie', 'episode']),
  completed: z.boolean(),
  eventTime: z.number().int(),
});

export async function handleViewingEvent(stores: Stores, log: Logger, value: Record<string, unknown>): Promise<void> {
  const parsed = ProgressEvent.safeParse(value);
  if (!parsed.success) {
    // Not ours to understand (another event type, or a newer schema): skip rather than stall the group.
    log.debug('viewing_event_skipped', { type: value['type'] });
    return;
  }
  const event = parsed.data;
  // Trending counts distinct viewers of the item (the series, for an episode) per day.
  await stores.home.recordViewer(event.seriesId ?? event.titleId, new Date(event.eventTime), event.profileId);
  if (await stores.preferences.isNewCompletion(event)) {
    await stores.progress.recordHistory([
      {
        profileId: event.profileId,
        titleId: event.titleId,
        seriesId: event.seriesId,
        contentType: event.contentType,
        watchedAt: new Date(event.eventTime),
      },
    ]);
  }
  const genres = event.completed
    ? ((await stores.catalog.titleSummaries([event.titleId])).get(event.titleId)?.genres ?? [])
    : [];
  const counted = await stores.preferences.applyCompletion({ ...event, genres });
  if (counted) log.info('title_completed', { profileId: event.profileId, titleId: event.titleId });
}

/** Starts the completion consumer; stop it before closing the stores. */
export function startCompletionConsumer(stores: Stores, log: Logger): Promise<Subscription> {
  return stores.events.subscribe(CONSUMER_GROUPS.completions, TOPICS.viewingEvents, (event) =>
    handleViewingEvent(stores, log, event.value),
  );
}
