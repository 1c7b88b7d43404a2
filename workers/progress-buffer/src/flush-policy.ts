/**
 * When the progress buffer flushes: the write-reduction policy, apart from storage and the network.
 *
 * Every read of a profile's progress goes through its buffer, so Cassandra only has to catch up
 * eventually, and each flush it is spared is a write saved: while a title plays, its heartbeats
 * (one per 10 s) coalesce for a long interval (`PROGRESS_FLUSH_INTERVAL_MS`, 5 min by default:
 * about 30 heartbeats per Cassandra row). A moment that ends a stretch of viewing flushes at once
 * instead, since nothing more will coalesce into it for a while and it is the state other
 * devices and the history most want:
 *
 * - `paused` / `stopped`: a heartbeat saying so (`Heartbeat.state`) that moved the title's state
 *   (a new position or device; a paused player repeating its position waits for the interval);
 * - `completed`: the title's state crossed the completion threshold (the lower of the movie and
 *   episode ones: the buffer does not know the content type, and an extra flush costs one write);
 * - `title-switch`: a device moved on to another title while its previous title is unflushed
 *   (judged against the buffer before the call: the titles of one batch, a client catching up
 *   after being offline, are no switch among themselves).
 *
 * Pure code: the Durable Object asks `earlyFlushReason` before applying heartbeats and
 * `nextFlushAt` when arming its alarm.
 */
import { applyHeartbeat, type Heartbeat, type ProgressEntry } from '../../../core/progress.ts';
import type { BufferState } from './buffer.ts';

/** Why a flush is due before its interval. */
export type EarlyFlushReason = 'paused' | 'stopped' | 'completed' | 'title-switch';

const reached = (e: Pick<ProgressEntry, 'positionSeconds' | 'durationSeconds'>, fraction: number) =>
  e.durationSeconds > 0 && e.positionSeconds / e.durationSeconds >= fraction;

/**
 * The first reason, if any, these heartbeats give to flush now, judged against the buffer's state
 * before they are applied (`state` is not changed). A heartbeat older than the kept state changes
 * nothing and so triggers nothing.
 */
export function earlyFlushReason(
  state: BufferState,
  heartbeats: readonly Heartbeat[],
  completionFraction: number,
): EarlyFlushReason | null {
  // The states as they will be after each heartbeat, without touching the buffer's own map.
  const after = new Map<string, { entry: ProgressEntry; dirty: boolean }>();
  const kept = (titleId: string) => after.get(titleId) ?? state.get(titleId);
  for (const hb of heartbeats) {
    const current = kept(hb.titleId)?.entry;
    const next = applyHeartbeat(current, hb);
    if (!next) continue;
    const moved = !current || current.positionSeconds !== next.positionSeconds || current.deviceId !== next.deviceId;
    if ((hb.state === 'paused' || hb.state === 'stopped') && moved) return hb.state;
    if (reached(next, completionFraction) && !(current && reached(current, completionFraction))) return 'completed';
    const previous = devicesLatest(state, hb.deviceId);
    if (previous && previous.entry.titleId !== hb.titleId && previous.dirty && previous.entry.eventTime <= hb.eventTime)
      return 'title-switch';
    after.set(hb.titleId, { entry: next, dirty: true });
  }
  return null;
}

/** The title a device played last (the latest state it wrote) before this call. */
function devicesLatest(state: BufferState, deviceId: string): { entry: ProgressEntry; dirty: boolean } | undefined {
  let latest: { entry: ProgressEntry; dirty: boolean } | undefined;
  for (const kept of state.values()) {
    if (kept.entry.deviceId === deviceId && (!latest || kept.entry.eventTime > latest.entry.eventTime)) latest = kept;
  }
  return latest;
}

export interface ArmInput {
  now: number;
  /** Unflushed titles. */
  pending: number;
  /** Whether the heartbeats just recorded asked for an early flush. */
  early: boolean;
  /** Failed flushes in a row: while a backoff runs its alarm is left alone. */
  attempts: number;
  /** The alarm already set, if any. */
  current: number | null;
  intervalMs: number;
  /** Unflushed titles from which a flush goes at once whatever the interval. */
  sizeBound: number;
}

/**
 * When the alarm must ring for a flush, or null to leave the current one: at once for an early
 * reason or past the size bound, else one interval after the first unflushed heartbeat (a later
 * heartbeat never pushes the alarm back, so no state waits longer than one interval). During a
 * backoff nothing is brought forward, so a busy profile cannot hammer a failing origin.
 */
export function nextFlushAt(input: ArmInput): number | null {
  const backingOff = input.attempts > 0;
  const now = !backingOff && (input.early || input.pending >= input.sizeBound);
  const due = now ? input.now : input.now + input.intervalMs;
  if (input.current === null || (!backingOff && due < input.current)) return due;
  return null;
}
