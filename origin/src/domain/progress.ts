/**
 * Progress rules at the origin: turning buffered states into stored records, merging stored and
 * buffered states, and what a client sees. Pure functions.
 */
import { compareEntries, MAX_FUTURE_SKEW_MS, type ProgressEntry, type ProgressView } from '../../../core/progress.ts';
import type { ProgressRecord, TitleSummary } from '../stores/types.ts';

export interface CompletionThresholds {
  movie: number;
  episode: number;
}

export function isCompleted(positionSeconds: number, durationSeconds: number, threshold: number): boolean {
  return durationSeconds > 0 && positionSeconds / durationSeconds >= threshold;
}

/**
 * The event time to store: a clock far in the future is clamped to now, so one bad device
 * cannot pin a row (the edge already refuses such heartbeats; this is the origin's own guard).
 */
export function clampEventTime(eventTime: number, now: number): number {
  return eventTime > now + MAX_FUTURE_SKEW_MS ? now : eventTime;
}

/** A buffered state of a playable title as the record to write. */
export function toRecord(
  profileId: string,
  entry: ProgressEntry,
  title: TitleSummary & { type: 'movie' | 'episode' },
  thresholds: CompletionThresholds,
  now: number,
): ProgressRecord {
  return {
    profileId,
    titleId: entry.titleId,
    seriesId: title.seriesId,
    contentType: title.type,
    positionSeconds: entry.positionSeconds,
    durationSeconds: entry.durationSeconds,
    completed: isCompleted(entry.positionSeconds, entry.durationSeconds, thresholds[title.type]),
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

export function toView(entry: ProgressEntry, threshold: number): ProgressView {
  const fraction = entry.durationSeconds > 0 ? entry.positionSeconds / entry.durationSeconds : 0;
  return {
    titleId: entry.titleId,
    positionSeconds: entry.positionSeconds,
    durationSeconds: entry.durationSeconds,
    progressPercent: Math.min(100, Math.round(fraction * 1000) / 10),
    completed: isCompleted(entry.positionSeconds, entry.durationSeconds, threshold),
    lastWatchedAt: new Date(entry.eventTime).toISOString(),
    deviceId: entry.deviceId,
  };
}
