/** Test helpers inside workerd: seeded titles, owners and tokens, the chaos proxy, stored progress. */
import { env } from 'cloudflare:workers';
import type { Heartbeat, ProgressEntry, ProgressView } from '../../core/progress.ts';
import { importUserTokenSigner, signServiceToken, signUserToken, type Identity } from '../../core/tokens.ts';
import { flushRelayShards } from '../progress-buffer/src/config.ts';
import { relayName } from '../progress-buffer/src/flush.ts';
import type { ChaosRule, SeenRequest } from './chaos-rules.ts';

export interface SeededTitle {
  id: string;
  type: 'movie' | 'episode' | 'series';
  seriesId: string | null;
  durationSeconds: number | null;
  maturityLevel: number;
}

export const TITLES = JSON.parse(env.TEST_TITLES) as SeededTitle[];

/** Playable titles (movies and episodes) a profile of `maxLevel` may watch. */
export function playable(maxLevel = 50): (SeededTitle & { durationSeconds: number })[] {
  return TITLES.filter(
    (t): t is SeededTitle & { durationSeconds: number } =>
      t.type !== 'series' && t.durationSeconds !== null && t.maturityLevel <= maxLevel,
  );
}

export function titleOfType(type: SeededTitle['type'], predicate: (t: SeededTitle) => boolean = () => true) {
  const title = TITLES.find((t) => t.type === type && predicate(t));
  if (!title) throw new Error(`The seeded catalog has no ${type} like that`);
  return title;
}

/** A profile no other test uses (the origin keys progress by the credential's ids alone). */
export function newOwner(maturityLevel = 50): Identity {
  return { accountId: crypto.randomUUID(), profileId: crypto.randomUUID(), maturityLevel };
}

export function heartbeat(
  titleId: string,
  eventTime: number,
  positionSeconds: number,
  deviceId = 'tv-1',
  durationSeconds = 6000,
): Heartbeat {
  return { titleId, positionSeconds, durationSeconds, eventTime, deviceId };
}

/** The owner's ProgressBuffer (named by profile, as the edge names it). */
export function bufferFor(owner: Identity) {
  return env.PROGRESS_BUFFER.get(env.PROGRESS_BUFFER.idFromName(owner.profileId));
}

/** The flush relay the owner's buffer flushes through (named as the buffer names it). */
export function relayFor(owner: Pick<Identity, 'profileId'>) {
  return env.FLUSH_RELAY.get(env.FLUSH_RELAY.idFromName(relayName(owner.profileId, flushRelayShards(env))));
}

/** `n` new owners whose buffers flush through the same relay as `profileId` (a new one's, if not given). */
export function ownersOnOneRelay(n: number, profileId = crypto.randomUUID()): Identity[] {
  const shards = flushRelayShards(env);
  const owners: Identity[] = [];
  while (owners.length < n) {
    const o = newOwner();
    if (relayName(o.profileId, shards) === relayName(profileId, shards)) owners.push(o);
  }
  return owners;
}

/**
 * A profile token for the owner, signed with the origin's (test) key: premium, with an account
 * created long ago, unless the test names a plan or an account start (`since`, epoch seconds).
 */
export async function profileToken(owner: Identity, claims: { plan?: string; since?: number } = {}): Promise<string> {
  const signer = await importUserTokenSigner(JSON.parse(env.TEST_SIGNING_JWK));
  const profileClaims = {
    sub: owner.accountId,
    scope: 'profile',
    pid: owner.profileId,
    mat: owner.maturityLevel,
    plan: claims.plan ?? 'premium',
    since: claims.since ?? 1,
  } as const;
  return (await signUserToken(profileClaims, signer, { issuer: 'edgeflix', audience: 'edgeflix-api' })).token;
}

/** Arms a chaos rule on the proxy in front of the origin, for this owner's requests only. */
export async function chaos(owner: Identity, rule: Omit<ChaosRule, 'pid'>): Promise<void> {
  const res = await fetch(env.TEST_CHAOS_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...rule, pid: owner.profileId }),
  });
  if (res.status !== 204) throw new Error(`chaos proxy answered ${res.status}`);
}

export async function calm(owner: Identity): Promise<void> {
  await fetch(`${env.TEST_CHAOS_URL}?pid=${owner.profileId}`, { method: 'DELETE' });
}

/** What the proxy saw of this owner's calls to the origin. */
export async function originCalls(owner: Identity, path?: string): Promise<SeenRequest[]> {
  const res = await fetch(`${env.TEST_CHAOS_URL}/requests?pid=${owner.profileId}`);
  const { requests } = (await res.json()) as { requests: SeenRequest[] };
  return path ? requests.filter((r) => r.path.startsWith(path)) : requests;
}

/** How many calls reached the proxy under a path prefix, from anyone (most have no profile on them). */
export async function originCallCount(pathPrefix: string): Promise<number> {
  const res = await fetch(`${env.TEST_CHAOS_URL}/count?path=${encodeURIComponent(pathPrefix)}`);
  return ((await res.json()) as { count: number }).count;
}

/** A prefix of both flush routes: the buffer's own (`/flush`) and its relay's (`/flush-batch`). */
export const FLUSH_PATH = '/internal/v1/progress/flush';
export { FLUSH_BATCH_PATH } from '../../core/progress.ts';

/** Progress as stored at the origin (Cassandra), asked directly: nothing from the buffer merged in. */
export async function storedProgress(owner: Identity, titleIds: string[]): Promise<Map<string, ProgressView>> {
  const path = '/internal/v1/progress/query';
  const body = JSON.stringify({ titleIds, pending: [] });
  const credential = await signServiceToken(
    { htm: 'POST', htu: path, rid: 'test-stored-progress', sub: owner.accountId, pid: owner.profileId, mat: 50 },
    env.SERVICE_TOKEN_SECRET,
    { body },
  );
  const res = await fetch(new URL(path, env.TEST_ORIGIN_URL), {
    method: 'POST',
    headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
    body,
  });
  if (res.status !== 200) throw new Error(`origin answered ${res.status}: ${await res.text()}`);
  const { progress } = (await res.json()) as { progress: ProgressView[] };
  return new Map(progress.map((p) => [p.titleId, p]));
}

export const STORED_PATH = '/internal/v1/progress/stored';

/**
 * Writes progress at the origin directly, as a write that does not pass through the profile's
 * buffer would (an import, an operator tool): the flush route called with the owner's credential.
 */
export async function storeDirectly(owner: Identity, entries: ProgressEntry[]): Promise<void> {
  const path = FLUSH_PATH;
  const body = JSON.stringify({ batchId: crypto.randomUUID(), entries });
  const credential = await signServiceToken(
    { htm: 'POST', htu: path, rid: 'test-direct-flush', sub: owner.accountId, pid: owner.profileId, mat: 50 },
    env.SERVICE_TOKEN_SECRET,
    { body },
  );
  const res = await fetch(new URL(path, env.TEST_ORIGIN_URL), {
    method: 'POST',
    headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
    body,
  });
  if (res.status !== 200) throw new Error(`origin answered ${res.status}: ${await res.text()}`);
}
