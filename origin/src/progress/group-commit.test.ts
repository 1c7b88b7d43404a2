import { describe, expect, it } from 'vitest';
import type { EventMessage, ProgressRecord } from '../stores/types.ts';
import { CommitError, progressCommitter, type CommitTick } from './group-commit.ts';

const record = (profileId: string): ProgressRecord => ({
  profileId,
  titleId: 't',
  seriesId: null,
  contentType: 'movie',
  positionSeconds: 1,
  durationSeconds: 10,
  completed: false,
  deviceId: 'tv',
  lastWatchedAt: new Date(0),
  tie: 0,
});
const part = (profileId: string) => ({
  records: [record(profileId)],
  events: [{ id: `e-${profileId}`, key: profileId, value: {} } satisfies EventMessage],
});

/** Stores whose calls wait until released, so a test decides what is in flight. */
function fakeStores(failing: { profiles?: Set<string>; events?: boolean; store?: boolean } = {}) {
  const gates: (() => void)[] = [];
  const wait = () => new Promise<void>((resolve) => gates.push(resolve));
  /** Each `upsertEach` call: its groups' profiles. */
  const upserts: string[][][] = [];
  const sends: string[][] = [];
  const stores = {
    progress: {
      async upsertEach(groups: readonly (readonly ProgressRecord[])[]) {
        upserts.push(groups.map((g) => g.map((r) => r.profileId)));
        await wait();
        if (failing.store) throw new Error('store down');
        return groups.map((g): PromiseSettledResult<void> =>
          g.some((r) => failing.profiles?.has(r.profileId))
            ? { status: 'rejected', reason: new Error('write failed') }
            : { status: 'fulfilled', value: undefined },
        );
      },
    },
    events: {
      async publish(_topic: string, messages: readonly EventMessage[]) {
        sends.push(messages.map((m) => m.id));
        await wait();
        if (failing.events) throw new Error('send failed');
      },
    },
  } as unknown as Parameters<typeof progressCommitter>[0];
  const release = async () => {
    await new Promise((r) => setTimeout(r, 0));
    for (const open of gates.splice(0)) open();
    await new Promise((r) => setTimeout(r, 0));
  };
  return { stores, upserts, sends, release };
}

const settle = (p: Promise<void>) =>
  p.then(
    () => 'ok',
    (err: unknown) => (err instanceof CommitError ? err.store : 'other'),
  );

describe('progressCommitter', () => {
  it('commits at once when idle, and merges what arrives during a commit into one Kafka send and one store call', async () => {
    const fake = fakeStores();
    const ticks: CommitTick[] = [];
    const c = progressCommitter(fake.stores, { onTick: (t) => ticks.push(t) });
    const first = settle(c.commit(part('a')));
    await new Promise((r) => setTimeout(r, 0));
    const later = ['b', 'c', 'd'].map((p) => settle(c.commit(part(p))));
    await fake.release();
    await fake.release();
    expect(await Promise.all([first, ...later])).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(fake.sends).toEqual([['e-a'], ['e-b', 'e-c', 'e-d']]);
    expect(fake.upserts).toEqual([[['a']], [['b'], ['c'], ['d']]]);
    expect(ticks.map((t) => t.parts)).toEqual([1, 3]);
  });

  it('fails only the part whose write failed, and every part when the shared send failed', async () => {
    const fake = fakeStores({ profiles: new Set(['b']) });
    const c = progressCommitter(fake.stores);
    const results = ['a', 'b', 'c'].map((p) => settle(c.commit(part(p))));
    await fake.release();
    await fake.release();
    expect(await Promise.all(results)).toEqual(['ok', 'ok', 'ok'].map((s, i) => (i === 1 ? 'progress' : s)));

    const down = fakeStores({ events: true });
    const d = progressCommitter(down.stores);
    const refused = ['a', 'b'].map((p) => settle(d.commit(part(p))));
    await down.release();
    await down.release();
    expect(await Promise.all(refused)).toEqual(['events', 'events']);
  });

  it('fails every part of the commit when the store wrote none of them', async () => {
    const down = fakeStores({ store: true });
    const c = progressCommitter(down.stores);
    const refused = ['a', 'b', 'c'].map((p) => settle(c.commit(part(p))));
    await down.release();
    await down.release();
    expect(await Promise.all(refused)).toEqual(['progress', 'progress', 'progress']);
  });

  it('caps the rows of one commit', async () => {
    const fake = fakeStores();
    const ticks: CommitTick[] = [];
    const c = progressCommitter(fake.stores, { maxTickRows: 2, onTick: (t) => ticks.push(t) });
    const all = ['a', 'b', 'c', 'd', 'e'].map((p) => settle(c.commit(part(p))));
    for (let i = 0; i < 4; i++) await fake.release();
    expect(await Promise.all(all)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    // The first went alone (the committer was idle); the rest queued behind it, two at a time.
    expect(ticks.map((t) => t.rows)).toEqual([1, 2, 2]);
  });
});
