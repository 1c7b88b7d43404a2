/**
 * What one profile's flush commits: its entries as progress records and viewing events, and the
 * entries dropped because the catalog no longer has their title (or names a series). The one rule
 * for `POST /flush` (one profile) and `POST /flush-batch` (a part per profile).
 */
import type { CompletionThresholds, ProgressEntry } from '../../../core/progress.ts';
import { toRecord } from '../domain/progress.ts';
import type { EventMessage, ProgressRecord, TitleSummary } from '../stores/types.ts';
import type { CommitPart } from './group-commit.ts';

/** Stable per state, so a retried flush republishes the same ids and consumers can drop duplicates. */
const progressEventId = (r: ProgressRecord) =>
  `progress:${r.profileId}:${r.titleId}:${r.lastWatchedAt.getTime()}:${r.tie}`;

function progressEvent(accountId: string, r: ProgressRecord): EventMessage {
  const id = progressEventId(r);
  return {
    id,
    key: r.profileId,
    value: {
      type: 'progress_update',
      eventId: id,
      accountId,
      profileId: r.profileId,
      titleId: r.titleId,
      seriesId: r.seriesId,
      contentType: r.contentType,
      positionSeconds: r.positionSeconds,
      durationSeconds: r.durationSeconds,
      progressPercent: r.durationSeconds > 0 ? r.positionSeconds / r.durationSeconds : 0,
      completed: r.completed,
      deviceId: r.deviceId,
      eventTime: r.lastWatchedAt.getTime(),
      tie: r.tie,
    },
  };
}

/** One profile's flushed entries as a commit part, with the title ids it dropped. */
export function commitPartOf(
  owner: { accountId: string; profileId: string },
  entries: readonly ProgressEntry[],
  titles: ReadonlyMap<string, TitleSummary>,
  completion: CompletionThresholds,
  now: number,
): { part: CommitPart; dropped: string[] } {
  const records: ProgressRecord[] = [];
  const dropped: string[] = [];
  for (const entry of entries) {
    const title = titles.get(entry.titleId);
    if (!title || title.type === 'series') dropped.push(entry.titleId);
    else records.push(toRecord(owner.profileId, entry, { ...title, type: title.type }, completion, now));
  }
  return { part: { records, events: records.map((r) => progressEvent(owner.accountId, r)) }, dropped };
}

/** Age of the oldest entry, in seconds, for the flush lag metric; null for none. */
export function oldestAgeSeconds(entries: readonly ProgressEntry[], now: number): number | null {
  let oldest = Infinity;
  for (const e of entries) oldest = Math.min(oldest, e.eventTime);
  return Number.isFinite(oldest) ? Math.max(0, now - oldest) / 1000 : null;
}
