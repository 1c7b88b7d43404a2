/**
 * Concurrent-stream leases of one account, apart from where they are kept (the StreamLeases
 * Durable Object, workers/stream-leases): how many streams a plan allows, when a lease lapses,
 * and what a start, a renewal, a release and an end do to the account's leases.
 *
 * A lease belongs to a device (the session id of the token, see `streamDevice`), not to a title:
 * the same device opening another title keeps its lease and its stream id. Every function here is
 * pure over a `LeaseState` and a clock, so the Durable Object only stores what they return.
 */
import { z } from 'zod';

/** A lease without a heartbeat (or another start) for this long lapses and frees its slot. */
export const STREAM_LAPSE_MS = 90_000;
/** How long an ended stream is remembered, so its player is told `stream_ended` (one segment-token hour, and then some). */
export const ENDED_MEMORY_MS = 2 * 60 * 60 * 1000;
/** The most ended streams an account remembers; the oldest are forgotten first. */
export const MAX_ENDED = 64;

/** Streams at once per plan id (the `plan` claim), unless configured otherwise (`STREAM_LIMITS`). */
export const DEFAULT_STREAM_LIMITS: Readonly<Record<string, number>> = Object.freeze({
  basic: 1,
  standard: 2,
  premium: 4,
});

const StreamSettingsOverrides = z.strictObject({
  plans: z.record(z.string().min(1).max(64), z.number().int().min(1).max(100)).optional(),
  /** Off: no stream is counted or refused (a bench's baseline, or an operator's escape hatch). */
  enabled: z.boolean().optional(),
});

export interface StreamSettings {
  /** Streams at once per plan id. */
  plans: Readonly<Record<string, number>>;
  enabled: boolean;
}

export const DEFAULT_STREAM_SETTINGS: StreamSettings = Object.freeze({ plans: DEFAULT_STREAM_LIMITS, enabled: true });

/**
 * The stream settings: the defaults, overridden by `STREAM_LIMITS` (JSON such as
 * `{"plans":{"premium":6}}` or `{"enabled":false}`; empty for the defaults). A bad value names the variable.
 */
export function parseStreamSettings(raw: string | undefined): StreamSettings {
  if (raw === undefined || raw.trim() === '') return DEFAULT_STREAM_SETTINGS;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error('STREAM_LIMITS is not valid JSON');
  }
  const parsed = StreamSettingsOverrides.safeParse(value);
  if (!parsed.success) {
    throw new Error(`STREAM_LIMITS must be {"plans":{<plan>:1..100},"enabled":bool}: ${parsed.error.message}`);
  }
  return Object.freeze({
    plans: Object.freeze({ ...DEFAULT_STREAM_LIMITS, ...parsed.data.plans }),
    enabled: parsed.data.enabled ?? true,
  });
}

/** The streams `plan` allows at once; an unknown plan gets the smallest limit rather than the most. */
export function streamLimit(plan: string, limits: Readonly<Record<string, number>> = DEFAULT_STREAM_LIMITS): number {
  if (Object.hasOwn(limits, plan)) return limits[plan]!;
  return Math.min(...Object.values(limits));
}

/**
 * The device a token plays on: its session (`sid`). A profile token without a session (minted
 * before sessions existed, or by tests) counts as one device per profile, so it can never hold
 * more than one slot however many tokens it mints.
 */
export function streamDevice(claims: { pid: string; sid?: string | undefined }): string {
  return claims.sid !== undefined ? `session:${claims.sid}` : `profile:${claims.pid}`;
}

/** One held slot. */
export interface Lease {
  streamId: string;
  device: string;
  profileId: string;
  titleId: string;
  /** Epoch ms the device took the lease. */
  since: number;
  /** Epoch ms of the last start or heartbeat; the lease lapses `STREAM_LAPSE_MS` after it. */
  renewedAt: number;
}

/** A stream ended from another device: its player's next heartbeat or licence request is refused. */
export interface EndedStream {
  streamId: string;
  device: string;
  profileId: string;
  titleId: string;
  endedAt: number;
}

export interface LeaseState {
  leases: Lease[];
  ended: EndedStream[];
}

export const emptyLeaseState = (): LeaseState => ({ leases: [], ended: [] });

export const isLive = (lease: Lease, now: number): boolean => now - lease.renewedAt < STREAM_LAPSE_MS;

/** The state without lapsed leases and forgotten ends. */
export function prune(state: LeaseState, now: number): LeaseState {
  return {
    leases: state.leases.filter((l) => isLive(l, now)),
    ended: state.ended.filter((e) => now - e.endedAt < ENDED_MEMORY_MS).slice(-MAX_ENDED),
  };
}

/** When the next lease lapses (for an alarm), or null when none is held. */
export function nextLapse(state: LeaseState): number | null {
  if (state.leases.length === 0) return null;
  return Math.min(...state.leases.map((l) => l.renewedAt)) + STREAM_LAPSE_MS;
}

export interface StartRequest {
  device: string;
  profileId: string;
  titleId: string;
  limit: number;
  /** The id a new lease gets (the caller draws it, so this stays pure). */
  newStreamId: string;
}

export type StartResult =
  { ok: true; lease: Lease; state: LeaseState } | { ok: false; active: Lease[]; state: LeaseState };

/**
 * A stream start: the device's live lease is kept (renewed, moved to this title); otherwise a new
 * lease is taken if fewer than `limit` are live, else refused with the live ones. A start is an
 * explicit new play, so it clears the device's ended mark.
 */
export function start(state: LeaseState, req: StartRequest, now: number): StartResult {
  const current = prune(state, now);
  const ended = current.ended.filter((e) => e.device !== req.device);
  const mine = current.leases.find((l) => l.device === req.device);
  if (mine) {
    const lease = { ...mine, profileId: req.profileId, titleId: req.titleId, renewedAt: now };
    return { ok: true, lease, state: { leases: current.leases.map((l) => (l === mine ? lease : l)), ended } };
  }
  if (current.leases.length >= req.limit) return { ok: false, active: current.leases, state: current };
  const lease: Lease = {
    streamId: req.newStreamId,
    device: req.device,
    profileId: req.profileId,
    titleId: req.titleId,
    since: now,
    renewedAt: now,
  };
  return { ok: true, lease, state: { leases: [...current.leases, lease], ended } };
}

export type RenewResult =
  { outcome: 'renewed'; lease: Lease; state: LeaseState } | { outcome: 'ended' | 'none'; state: LeaseState };

/**
 * A heartbeat from `device`: renews its live lease (and follows it to `titleId`); `ended` when the
 * stream was ended from another device; `none` when the device holds no lease (it never started
 * through a manifest, or its lease lapsed: a heartbeat never takes a slot).
 */
export function renew(state: LeaseState, device: string, titleId: string, now: number): RenewResult {
  const current = prune(state, now);
  const mine = current.leases.find((l) => l.device === device);
  if (mine) {
    const lease = { ...mine, titleId, renewedAt: now };
    return {
      outcome: 'renewed',
      lease,
      state: { ...current, leases: current.leases.map((l) => (l === mine ? lease : l)) },
    };
  }
  return { outcome: current.ended.some((e) => e.device === device) ? 'ended' : 'none', state: current };
}

export type StopResult = { outcome: 'released' | 'ended' | 'not_found'; state: LeaseState };

/**
 * Stops stream `streamId`, asked by `byDevice`: its own device releases it (the viewer left; no
 * mark), any other device of the account ends it (its player is told `stream_ended`).
 */
export function stop(state: LeaseState, streamId: string, byDevice: string, now: number): StopResult {
  const current = prune(state, now);
  const lease = current.leases.find((l) => l.streamId === streamId);
  if (!lease) return { outcome: 'not_found', state: current };
  const leases = current.leases.filter((l) => l !== lease);
  if (lease.device === byDevice) return { outcome: 'released', state: { ...current, leases } };
  const mark: EndedStream = {
    streamId,
    device: lease.device,
    profileId: lease.profileId,
    titleId: lease.titleId,
    endedAt: now,
  };
  return { outcome: 'ended', state: { leases, ended: [...current.ended, mark].slice(-MAX_ENDED) } };
}

/**
 * Which device a caller that names no device (the licence route: a profile and a title) is: the
 * device of the profile's live lease on that title (the most recently renewed), else of its
 * stream on that title ended from elsewhere, else the profile itself (as `streamDevice` without a session).
 */
export function deviceFor(state: LeaseState, profileId: string, titleId: string, now: number): string {
  const current = prune(state, now);
  const leases = current.leases
    .filter((l) => l.profileId === profileId && l.titleId === titleId)
    .sort((a, b) => b.renewedAt - a.renewedAt);
  if (leases[0]) return leases[0].device;
  const ended = current.ended.filter((e) => e.profileId === profileId && e.titleId === titleId).at(-1);
  return ended?.device ?? `profile:${profileId}`;
}

/** One active stream as the account sees it (`GET /v1/streams`, the `too_many_streams` problem). */
export const ActiveStream = z.strictObject({
  streamId: z.uuid(),
  profileId: z.uuid(),
  profileName: z.string().nullable(),
  deviceName: z.string().nullable(),
  titleId: z.uuid(),
  titleName: z.string().nullable(),
  since: z.iso.datetime(),
  current: z.boolean().describe("Whether it is the calling device's stream"),
});
export type ActiveStream = z.infer<typeof ActiveStream>;

export const ActiveStreamsResponse = z.strictObject({
  limit: z.number().int().describe("The streams the account's plan allows at once"),
  streams: z.array(ActiveStream),
});
export type ActiveStreamsResponse = z.infer<typeof ActiveStreamsResponse>;

export const StreamIdParam = z.strictObject({ streamId: z.uuid() });
