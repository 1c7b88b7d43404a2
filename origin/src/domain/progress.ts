/**
 * Progress rules at the origin: turning buffered states into stored records, merging stored and
 * buffered states (what a client sees of one: core's `progressView`). Pure functions.
 */
import {
  compareEntries,
  isCompleted,
  MAX_FUTURE_SKEW_MS,
  onCatalogDuration,
  type CompletionThresholds,
  type ProgressEntry,
} from '../../../core/progress.ts';
import type { ProgressRecord, TitleSummary } from '../stores/types.ts';

/**
 * The event time to store: a clock far in the future is clamped to now, so one bad device
 * cannot pin a row (the edge already refuses such heartbeats; this is the origin's own guard).
 */
export function clampEventTime(eventTime: number, now: number): number {
  return eventTime > now + MAX_FUTURE_SKEW_MS ? now : eventTime;
}

/**
 * A buffered state of a playable title as the record to write. The duration stored, and the one
 * completion is judged by, is the catalog's (core's `onCatalogDuration`): the edge already
 * replaced the client's, and the origin does not trust whoever called the flush to have done so.
 */
export function toRecord(
  profileId: string,
  flushed: ProgressEntry,
  title: TitleSummary & { type: 'movie' | 'episode' },
  thresholds: CompletionThresholds,
  now: number,
): ProgressRecord {
  const entry = onCatalogDuration(flushed, title.durationSeconds);
  return {
    profileId,
    titleId: entry.titleId,
    seriesId: title.seriesId,
    contentType: title.type,
    positionSeconds: entry.positionSeconds,
    durationSeconds: entry.durationSeconds,
    completed: isCompleted(entry, title.type, thresholds),
    deviceId: entry.deviceId,
    lastWatchedAt: new Date(clampEventTime(entry.eventTime, now)),
    tie: entry.tie,
  };
}

/** A stored record in the buffer's terms, so the two can be compared by the coalescing rule. */
export function toEntry(record: ProgressRecord): ProgressEntry {
  return {
    titleId: record.titleId,
    positionSeconds: record.positionSeconds,
    durationSeconds: record.durationSeconds,
    eventTime: record.lastWatchedAt.getTime(),
    tie: record.tie,
    deviceId: record.deviceId,
  };
}

/** Latest state per title across stored records and buffered (not yet flushed) entries. */
export function mergeStates(
  stored: readonly ProgressRecord[],
  pending: readonly ProgressEntry[],
): Map<string, ProgressEntry> {
  const out = new Map<string, ProgressEntry>();
  for (const entry of [...stored.map(toEntry), ...pending]) {
    const current = out.get(entry.titleId);
    if (!current || compareEntries(entry, current) > 0) out.set(entry.titleId, entry);
  }
  return out;
}
