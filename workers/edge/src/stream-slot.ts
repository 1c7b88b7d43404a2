/**
 * The edge's side of the per-account StreamLeases object (workers/stream-leases): a stream start
 * (manifest or licence) takes or keeps the device's lease, a heartbeat renews it, and the
 * account's devices list and stop streams (routes/streams.ts). The rules are core/streams.ts.
 *
 * Fails closed: when the object cannot answer, a start or heartbeat is a 503 `unavailable` with
 * Retry-After, never a stream nobody counted.
 */
import { HttpError } from '../../../core/problem.ts';
import {
  parseStreamSettings,
  streamDevice,
  streamLimit,
  type ActiveStream,
  type Lease,
  type StreamSettings,
} from '../../../core/streams.ts';
import { isProfile, type Identity, type UserClaims } from '../../../core/tokens.ts';
import { ProfilesResponse, SessionsResponse } from '../../../core/wire.ts';
import { callerIdentity, profileClaims } from './http/auth.ts';
import type { AppContext } from './http/context.ts';
import { callOrigin } from './origin.ts';
import type { NamedStartAnswer, StartAnswer } from '../../stream-leases/src/rpc.ts';
import { isRetryableDurableObjectError } from './progress-client.ts';

/** Set on a manifest: the stream id of the device's lease, for `DELETE /v1/streams/{id}` when the viewer leaves. */
export const STREAM_ID_HEADER = 'edgeflix-stream-id';
/** Seconds a client waits before retrying when the leases cannot be checked. */
const RETRY_AFTER_S = '2';

let settingsCache: { raw: string | undefined; settings: StreamSettings } | undefined;

/** The stream settings (`STREAM_LIMITS`), parsed once per isolate and value. */
export function streamSettings(env: Env): StreamSettings {
  const raw = env.STREAM_LIMITS;
  if (settingsCache?.raw !== raw) settingsCache = { raw, settings: parseStreamSettings(raw) };
  return settingsCache.settings;
}

/** The account's StreamLeases object, named by the account id. */
export function leasesOf(env: Env, accountId: string) {
  return env.STREAM_LEASES.get(env.STREAM_LEASES.idFromName(accountId));
}

/** The device a verified token plays on (core's `streamDevice`; an account token without a session is the account). */
export function deviceOf(claims: UserClaims): string {
  if (claims.scope === 'profile') return streamDevice(claims);
  return claims.sid !== undefined ? `session:${claims.sid}` : `account:${claims.sub}`;
}

/** Calls the object, once more on a transient failure; one that cannot answer is a 503 (fail closed). */
export async function callLeases<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (first) {
    if (isRetryableDurableObjectError(first)) {
      try {
        return await call();
      } catch (second) {
        throw unavailable(second);
      }
    }
    throw unavailable(first);
  }
}

function unavailable(cause: unknown): HttpError {
  return new HttpError('unavailable', 'Stream limits cannot be checked right now; retry shortly', {
    cause,
    headers: { 'retry-after': RETRY_AFTER_S },
  });
}

function tooManyStreams(limit: number, streams: ActiveStream[]): HttpError {
  return new HttpError(
    'too_many_streams',
    `Your plan allows ${limit} stream${limit === 1 ? '' : 's'} at once; stop one of these to watch here`,
    { streams },
  );
}

const ended = () =>
  new HttpError('stream_ended', 'This stream was stopped from another device of the account; start it again to watch');

/**
 * Takes or renews the lease for the identity's device and title, for the licence route: the
 * identity names no session, so the device is that of the profile's lease on this title (the one
 * its manifest took), else the profile (core's `deviceFor`), limited by the plan the account's
 * last start carried. Throws 409 `too_many_streams` (streams listed by id, without names: no
 * request context to look them up), 409 `stream_ended`, or 503 `unavailable`.
 */
export async function requireStreamSlot(env: Env, identity: Identity, titleId: string): Promise<void> {
  if (!streamSettings(env).enabled) return;
  const answer = await callLeases(
    async (): Promise<NamedStartAnswer> =>
      await leasesOf(env, identity.accountId).startNamed(identity.profileId, titleId),
  );
  if (answer.ok) return;
  if ('ended' in answer) throw ended();
  throw tooManyStreams(
    answer.limit,
    answer.active.map((l) => activeStream(l, undefined, new Names())),
  );
}

/**
 * A stream start from a manifest request: the calling device's lease, kept or taken; its stream
 * id (null when stream limits are off). Beyond the plan's limit, 409 `too_many_streams` listing the active streams with names.
 */
export async function takeStreamSlot(c: AppContext, titleId: string): Promise<string | null> {
  const settings = streamSettings(c.env);
  if (!settings.enabled) return null;
  const claims = profileClaims(c);
  const device = deviceOf(claims);
  const limit = streamLimit(claims.plan, settings.plans);
  const answer = await callLeases(
    async (): Promise<StartAnswer> =>
      await leasesOf(c.env, claims.sub).start({ device, profileId: claims.pid, titleId, limit }),
  );
  if (answer.ok) return answer.streamId;
  throw tooManyStreams(answer.limit, await describeStreams(c, answer.active));
}

/**
 * A heartbeat's renewal: one RPC. 409 `stream_ended` when the stream was stopped from another
 * device; nothing when the device holds no lease (a heartbeat never takes a slot).
 */
export async function renewStreamSlot(c: AppContext, titleId: string): Promise<void> {
  if (!streamSettings(c.env).enabled) return;
  const claims = profileClaims(c);
  const outcome = await callLeases(() => leasesOf(c.env, claims.sub).renew(deviceOf(claims), titleId));
  if (outcome === 'ended') throw ended();
}

/** The leases as the calling device sees them: names looked up at the origin (best effort, null when unknown). */
export async function describeStreams(c: AppContext, leases: Lease[]): Promise<ActiveStream[]> {
  const names = await lookUpNames(c, leases);
  const device = deviceOf(c.get('user'));
  return leases.map((l) => activeStream(l, device, names));
}

function activeStream(lease: Lease, callerDevice: string | undefined, names: Names): ActiveStream {
  return {
    streamId: lease.streamId,
    profileId: lease.profileId,
    profileName: names.profiles.get(lease.profileId) ?? null,
    deviceName: names.devices.get(lease.device) ?? null,
    titleId: lease.titleId,
    titleName: names.titles.get(lease.titleId) ?? null,
    since: new Date(lease.since).toISOString(),
    current: lease.device === callerDevice,
  };
}

class Names {
  profiles = new Map<string, string>();
  devices = new Map<string, string>();
  titles = new Map<string, string>();
}

/**
 * Profile, device and title names for a listing: only on this rare path (a refusal, the list),
 * at most 2 + titles origin calls in parallel; any that fails leaves its names null.
 */
async function lookUpNames(c: AppContext, leases: Lease[]): Promise<Names> {
  const names = new Names();
  if (leases.length === 0) return names;
  const caller = callerIdentity(c);
  const account = { accountId: caller.accountId };
  const json = async (path: string, who: typeof caller): Promise<unknown> => {
    try {
      const res = await callOrigin(c, { method: 'GET', path, caller: who });
      return res.ok ? await res.json() : undefined;
    } catch {
      return undefined;
    }
  };
  const titleIds = [...new Set(leases.map((l) => l.titleId))];
  const [profiles, sessions, ...titles] = await Promise.all([
    json('/v1/profiles', account),
    json('/v1/sessions', account),
    // Titles are looked up as the calling profile: a title above its maturity level stays unnamed.
    ...titleIds.map((id) => (isProfile(caller) ? json(`/v1/titles/${id}`, caller) : Promise.resolve(undefined))),
  ]);
  const p = ProfilesResponse.safeParse(profiles);
  if (p.success) for (const profile of p.data.profiles) names.profiles.set(profile.id, profile.name);
  const s = SessionsResponse.safeParse(sessions);
  if (s.success) {
    for (const session of s.data.sessions) {
      if (session.deviceName !== null) names.devices.set(`session:${session.id}`, session.deviceName);
    }
  }
  titles.forEach((title, i) => {
    const name = (title as { name?: unknown } | undefined)?.name;
    if (typeof name === 'string') names.titles.set(titleIds[i]!, name);
  });
  return names;
}
