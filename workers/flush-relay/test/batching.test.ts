import { runDurableObjectAlarm, runInDurableObject, SELF } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Identity } from '../../../core/tokens.ts';
import {
  bufferFor,
  calm,
  chaos,
  FLUSH_BATCH_PATH,
  heartbeat,
  newOwner,
  originCalls,
  ownersOnOneRelay,
  playable,
  relayFor,
  storedProgress,
} from '../../test/helpers.ts';

const titles = playable().slice(0, 4);
const armed: Identity[] = [];
afterEach(async () => {
  await Promise.all(armed.splice(0).map(calm));
});

/**
 * Flushes `first`'s buffer while the origin holds its request, then the others' buffers at once:
 * they queue in the relay behind the request in flight and go to the origin together.
 */
async function flushBehind(first: Identity, others: Identity[]): Promise<void> {
  armed.push(first);
  await chaos(first, { mode: 'delay', delayMs: 2_000, failNext: 1, path: FLUSH_BATCH_PATH });
  const held = runDurableObjectAlarm(bufferFor(first));
  await vi.waitFor(async () => expect(await originCalls(first, FLUSH_BATCH_PATH)).toHaveLength(1));
  const queued = Promise.all(others.map((o) => runDurableObjectAlarm(bufferFor(o))));
  await vi.waitFor(async () => expect((await relayFor(first).stats()).queued).toBeGreaterThanOrEqual(others.length));
  await Promise.all([held, queued]);
}

async function record(owners: Identity[]): Promise<void> {
  const now = Date.now() - 1_000;
  await Promise.all(
    owners.map((o, i) => bufferFor(o).record(o, [heartbeat(titles[i % titles.length]!.id, now, 100 + i)])),
  );
}

/** The ids of the origin requests that carried each owner's flushes. */
async function requestIds(owners: Identity[]): Promise<(string | null)[][]> {
  return Promise.all(owners.map(async (o) => (await originCalls(o, FLUSH_BATCH_PATH)).map((c) => c.requestId)));
}

describe('flush relay batching', () => {
  it("carries several buffers' concurrent flushes in fewer origin requests than flushes, each buffer acknowledged for its own", async () => {
    const owners = ownersOnOneRelay(6);
    await record(owners);
    await flushBehind(owners[0]!, owners.slice(1));
    for (const o of owners) expect(await bufferFor(o).stats()).toMatchObject({ pending: 0, attempts: 0 });
    const ids = await requestIds(owners);
    expect(ids.every((own) => own.length === 1)).toBe(true);
    expect(new Set(ids.flat()).size).toBe(2);
    for (const [i, o] of owners.entries()) {
      const title = titles[i % titles.length]!.id;
      expect((await storedProgress(o, [title])).get(title)?.positionSeconds).toBe(100 + i);
    }
  });

  it('sends a flush at once, alone, when the relay has nothing in flight', async () => {
    const [o] = ownersOnOneRelay(1);
    await record([o!]);
    await runDurableObjectAlarm(bufferFor(o!));
    expect(await bufferFor(o!).stats()).toMatchObject({ pending: 0, attempts: 0 });
    expect(await originCalls(o!, FLUSH_BATCH_PATH)).toHaveLength(1);
  });

  it('answers a part the origin refuses as failed for its buffer alone; the others in its batch are acknowledged', async () => {
    // A real profile named with an account it does not belong to: the origin refuses that part.
    const login = await SELF.fetch('https://edge.test/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'demo@edgeflix.test', password: 'edgeflix-demo' }),
    });
    const { token } = (await login.json()) as { token: string };
    const listed = await SELF.fetch('https://edge.test/v1/profiles', { headers: { authorization: `Bearer ${token}` } });
    const { profiles } = (await listed.json()) as { profiles: { id: string }[] };
    const foreign: Identity = { ...newOwner(), profileId: profiles[0]!.id };
    const [first, ...others] = ownersOnOneRelay(4, foreign.profileId);
    await record([first!, ...others, foreign]);
    await flushBehind(first!, [...others, foreign]);

    const victim = bufferFor(foreign);
    expect(await victim.stats()).toMatchObject({ pending: 1, attempts: 1 });
    for (const o of others) expect(await bufferFor(o).stats()).toMatchObject({ pending: 0, attempts: 0 });
    const ids = await requestIds([...others, foreign]);
    expect(new Set(ids.flat()).size).toBe(1);
    expect((await originCalls(foreign, FLUSH_BATCH_PATH))[0]).toMatchObject({ status: 200 });
    // A refused flush is retried forever (it is a bug to be fixed, not data to drop): stop this one.
    await runInDurableObject(victim, async (_instance, state) => {
      await state.storage.deleteAlarm();
      await state.storage.deleteAll();
    });
  });
});
