import { SELF, env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { STREAM_LAPSE_MS, type ActiveStreamsResponse } from '../../../core/streams.ts';
import { importUserTokenSigner, signUserToken, type Identity } from '../../../core/tokens.ts';
import { createEdgeApp } from '../src/app.ts';
import { leasesOf, requireStreamSlot, STREAM_ID_HEADER } from '../src/stream-slot.ts';
import { newOwner } from '../../test/helpers.ts';

const EDGE = 'https://edge.test';
const { titleId } = JSON.parse(env.TEST_PLAYBACK) as { titleId: string };
type Plan = 'basic' | 'standard' | 'premium';

/**
 * One device of an account: a profile token of its own session (`sid`), as a signed-in browser
 * holds. Each test uses a fresh account, so no other test's streams count against its limit.
 */
interface Device {
  owner: Identity;
  sid: string;
  token: string;
}
async function deviceOf(owner: Identity, plan: Plan, sid: string = crypto.randomUUID()): Promise<Device> {
  const signer = await importUserTokenSigner(JSON.parse(env.TEST_SIGNING_JWK));
  const claims = {
    sub: owner.accountId,
    scope: 'profile',
    pid: owner.profileId,
    mat: owner.maturityLevel,
    plan,
    since: 1,
    sid,
  } as const;
  const { token } = await signUserToken(claims, signer, { issuer: 'edgeflix', audience: 'edgeflix-api' });
  return { owner, sid, token };
}
async function devices(plan: Plan, count: number, owner = newOwner()): Promise<Device[]> {
  return Promise.all(Array.from({ length: count }, () => deviceOf(owner, plan)));
}

const auth = (d: Device, headers: Record<string, string> = {}) => ({
  headers: { authorization: `Bearer ${d.token}`, ...headers },
});
const manifest = (d: Device, kind: 'dash' | 'json' | 'hls' = 'dash') =>
  SELF.fetch(
    `${EDGE}/v1/playback/${titleId}/${kind === 'hls' ? 'master.m3u8' : 'manifest.mpd'}`,
    auth(d, kind === 'json' ? { accept: 'application/json' } : {}),
  );
const heartbeat = (d: Device) =>
  SELF.fetch(`${EDGE}/v1/progress`, {
    method: 'POST',
    headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ titleId, positionSeconds: 5, durationSeconds: 58, eventTime: Date.now(), deviceId: 'web' }),
  });
const list = async (d: Device) => {
  const res = await SELF.fetch(`${EDGE}/v1/streams`, auth(d));
  expect(res.status).toBe(200);
  return (await res.json()) as ActiveStreamsResponse;
};
const stopStream = (d: Device, streamId: string) =>
  SELF.fetch(`${EDGE}/v1/streams/${streamId}`, { method: 'DELETE', ...auth(d) });

/** Plays (a 200 manifest) and answers the stream id; anything else fails the test. */
async function play(d: Device): Promise<string> {
  const res = await manifest(d);
  expect(res.status).toBe(200);
  await res.body?.cancel();
  return res.headers.get(STREAM_ID_HEADER)!;
}

async function problemOf(res: Response): Promise<{ code: string; streams?: { streamId: string }[] }> {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  return (await res.json()) as { code: string; streams?: { streamId: string }[] };
}

describe('concurrent streams per account', () => {
  it.each([
    ['basic', 1],
    ['standard', 2],
    ['premium', 4],
  ] as const)(
    'lets a %s account stream on %i devices at once and refuses the next with the list',
    async (plan, limit) => {
      const all = await devices(plan, limit + 1);
      const ids = [];
      for (const d of all.slice(0, limit)) ids.push(await play(d));
      expect(new Set(ids).size).toBe(limit);
      const refused = await manifest(all[limit]!);
      expect(refused.status).toBe(409);
      const problem = await problemOf(refused);
      expect(problem.code).toBe('too_many_streams');
      expect(problem.streams!.map((s) => s.streamId).sort()).toEqual([...ids].sort());
      expect((await list(all[0]!)).streams).toHaveLength(limit);
    },
  );

  it('admits exactly four of five simultaneous starts on a premium account', async () => {
    const five = await devices('premium', 5);
    const answers = await Promise.all(five.map((d) => manifest(d)));
    const statuses = await Promise.all(
      answers.map(async (res) => {
        await res.body?.cancel();
        return res.status;
      }),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.filter((s) => s === 409)).toHaveLength(1);
    expect((await list(five[0]!)).streams).toHaveLength(4);
  });

  it('keeps the same device its lease and stream id across DASH, JSON and HLS, and again later', async () => {
    const [tv, phone] = await devices('basic', 2);
    const first = await play(tv!);
    for (const kind of ['json', 'hls', 'dash'] as const) {
      const res = await manifest(tv!, kind);
      expect(res.status).toBe(200);
      expect(res.headers.get(STREAM_ID_HEADER)).toBe(first);
      await res.body?.cancel();
    }
    // The same session with a new token (a refresh) is the same device.
    const refreshed = await deviceOf(tv!.owner, 'basic', tv!.sid);
    expect(await play(refreshed)).toBe(first);
    expect((await manifest(phone!)).status).toBe(409);
  });

  it('counts a profile token without a session as one device, however many tokens it mints', async () => {
    const owner = newOwner();
    const signer = await importUserTokenSigner(JSON.parse(env.TEST_SIGNING_JWK));
    const mint = async () =>
      (
        await signUserToken(
          { sub: owner.accountId, scope: 'profile', pid: owner.profileId, mat: 50, plan: 'basic', since: 1 },
          signer,
          { issuer: 'edgeflix', audience: 'edgeflix-api' },
        )
      ).token;
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await play({ owner, sid: '', token: await mint() }));
    expect(new Set(ids).size).toBe(1);
  });

  it('lapses a lease 90 s after its last heartbeat (lazily, and by the alarm), not before', async () => {
    const [tv, phone] = await devices('basic', 2);
    const leases = leasesOf(env, tv!.owner.accountId);
    const lease = { device: `session:${tv!.sid}`, profileId: tv!.owner.profileId, titleId, limit: 1 };
    // The clock injected into the object: the TV started 170 s ago and its last heartbeat was 85 s ago.
    const t = Date.now();
    await leases.start(lease, t - 170_000);
    expect(await leases.renew(lease.device, titleId, t - 85_000)).toBe('renewed');
    expect((await manifest(phone!)).status).toBe(409);
    // 89 s after that heartbeat the slot is still the TV's; 91 s after, it has lapsed and the phone gets it.
    const phoneLease = { ...lease, device: `session:${phone!.sid}` };
    expect(await leases.start(phoneLease, t + 4_000)).toMatchObject({ ok: false });
    expect(await leases.start(phoneLease, t + 6_000)).toMatchObject({ ok: true });
    expect(await leases.renew(lease.device, titleId, t + 6_001)).toBe('none');
    const listed = await list(phone!);
    expect(listed.streams.map((s) => s.current)).toEqual([true]);

    // Nobody asks: the alarm at the lapse frees the slot in storage.
    const other = newOwner();
    const idle = leasesOf(env, other.accountId);
    const started = Date.now() - 60_000;
    await idle.start({ ...lease, profileId: other.profileId }, started);
    expect(await runInDurableObject(idle, (_i, state) => state.storage.getAlarm())).toBe(started + STREAM_LAPSE_MS);
    await runInDurableObject(idle, (instance) => {
      instance.clock = () => started + STREAM_LAPSE_MS;
    });
    expect(await runDurableObjectAlarm(idle)).toBe(true);
    const stored = await runInDurableObject(idle, (_i, state) => state.storage.get<{ leases: unknown[] }>('state'));
    expect(stored?.leases).toEqual([]);
    expect(await runInDurableObject(idle, (_i, state) => state.storage.getAlarm())).toBeNull();
  });

  it('ends a stream from another device: 204, the slot is free, its next heartbeat and licence get stream_ended', async () => {
    const [tv, phone] = await devices('basic', 2);
    const tvStream = await play(tv!);
    expect((await heartbeat(tv!)).status).toBe(202);
    expect((await manifest(phone!)).status).toBe(409);
    expect((await stopStream(phone!, tvStream)).status).toBe(204);
    const hb = await heartbeat(tv!);
    expect(hb.status).toBe(409);
    expect((await problemOf(hb)).code).toBe('stream_ended');
    await expect(requireStreamSlot(env, tv!.owner, titleId)).rejects.toMatchObject({ code: 'stream_ended' });
    await play(phone!);
    expect((await stopStream(phone!, tvStream)).status).toBe(404);
  });

  it('releases its own stream without ending it: the next heartbeat is accepted and takes no slot', async () => {
    const [tv, phone] = await devices('basic', 2);
    const tvStream = await play(tv!);
    expect((await stopStream(tv!, tvStream)).status).toBe(204);
    expect((await heartbeat(tv!)).status).toBe(202);
    await play(phone!);
  });

  it("answers 404 for another account's stream id, and leaves that stream alone", async () => {
    const [mine] = await devices('premium', 1);
    const [theirs] = await devices('premium', 1);
    const stream = await play(mine!);
    const res = await stopStream(theirs!, stream);
    expect(res.status).toBe(404);
    expect((await problemOf(res)).code).toBe('not_found');
    expect((await list(mine!)).streams.map((s) => s.streamId)).toEqual([stream]);
    expect((await stopStream(theirs!, 'not-a-uuid')).status).toBe(400);
  });

  it('takes the licence route’s slot by profile and title, within the plan the account last started with', async () => {
    const [tv, phone] = await devices('standard', 2);
    const tvStream = await play(tv!);
    await requireStreamSlot(env, tv!.owner, titleId);
    expect((await list(tv!)).streams.map((s) => s.streamId)).toEqual([tvStream]);
    const other = newOwner();
    const kid = { ...tv!.owner, profileId: other.profileId };
    await requireStreamSlot(env, kid, titleId);
    expect((await manifest(phone!)).status).toBe(409);
    await expect(requireStreamSlot(env, { ...kid, profileId: crypto.randomUUID() }, titleId)).rejects.toMatchObject({
      code: 'too_many_streams',
    });
  });

  it('keeps its leases when the object is evicted', async () => {
    const four = await devices('premium', 5);
    const ids = [];
    for (const d of four.slice(0, 4)) ids.push(await play(d));
    const stub = leasesOf(env, four[0]!.owner.accountId);
    await runInDurableObject(stub, (_instance, state) => state.abort('evicted by the test')).catch(() => {});
    const after = await list(four[0]!);
    expect(after.streams.map((s) => s.streamId).sort()).toEqual([...ids].sort());
    expect((await manifest(four[4]!)).status).toBe(409);
    expect(await play(four[1]!)).toBe(ids[1]);
  });

  it('fails closed with 503 and Retry-After when the object cannot be reached', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const unreachable = {
      idFromName: (name: string) => env.STREAM_LEASES.idFromName(name),
      get: () =>
        new Proxy({}, { get: () => () => Promise.reject(new Error('Durable Object is unreachable')) }) as never,
    } as unknown as Env['STREAM_LEASES'];
    const app = createEdgeApp();
    const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
    const failing = { ...env, STREAM_LEASES: unreachable };
    const [d] = await devices('premium', 1);
    for (const request of [
      new Request(`${EDGE}/v1/playback/${titleId}/manifest.mpd`, auth(d!)),
      new Request(`${EDGE}/v1/playback/${titleId}/master.m3u8`, auth(d!)),
      new Request(`${EDGE}/v1/streams`, auth(d!)),
    ]) {
      const res = await app.fetch(request, failing, ctx);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect((await problemOf(res)).code).toBe('unavailable');
    }
    await expect(requireStreamSlot(failing, d!.owner, titleId)).rejects.toMatchObject({ status: 503 });
    vi.restoreAllMocks();
  });
});
