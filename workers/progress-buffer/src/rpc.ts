/**
 * What the ProgressBuffer's RPC methods take and answer, for its callers (the edge's
 * progress-client.ts) to import without the Durable Object class.
 */
import type { ProgressEntry } from '../../../core/progress.ts';

/** What `record` answers. */
export interface RecordResult {
  /** Heartbeats now represented: stored, or already superseded by a newer stored state. */
  accepted: number;
  /** Of the accepted, those older than (or replays of) what was stored. */
  superseded: number;
  /** Heartbeats for new titles refused because the buffer is full of unflushed titles; retry later. */
  refused: number;
  /** Unflushed titles after this call. */
  pending: number;
}

/**
 * What `known` answers: the latest state of each title asked for; a title left out has none.
 * `entries` is null when the buffer could not learn the stored progress: unknown, never "none".
 */
export interface KnownProgress {
  entries: ProgressEntry[] | null;
}

/**
 * What `all` answers: every live state the buffer holds, newest first (null: unknown, as above).
 * `complete`: that is all of the profile's progress; otherwise stored titles were let go of.
 */
export interface AllProgress {
  entries: ProgressEntry[] | null;
  complete: boolean;
}
