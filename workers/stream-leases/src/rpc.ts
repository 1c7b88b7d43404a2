/**
 * What the StreamLeases RPC methods take and answer, for their caller (the edge's stream-slot.ts)
 * to import without the Durable Object class. Leases are core's (core/streams.ts).
 */
import type { Lease } from '../../../core/streams.ts';

/** A stream start from one device of the account. */
export interface StartCall {
  device: string;
  profileId: string;
  titleId: string;
  /** The streams the caller's plan allows; remembered for calls that cannot name it (`startNamed`). */
  limit: number;
}

export type StartAnswer = { ok: true; streamId: string } | { ok: false; active: Lease[]; limit: number };

/** A start that names a profile and a title but no device (the licence route). */
export type NamedStartAnswer = StartAnswer | { ok: false; ended: true };

export interface LeaseList {
  leases: Lease[];
  /** The limit of the plan last seen for the account, or null before any start. */
  limit: number | null;
}
