/**
 * What the ProgressBuffer's RPC methods take and answer, for its callers (the edge's
 * progress-client.ts) to import without the Durable Object class.
 */

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
