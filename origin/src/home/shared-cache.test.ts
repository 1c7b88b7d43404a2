import { describe, expect, it } from 'vitest';
import { SharedCache } from './shared-cache.ts';

function clock() {
  let t = 1_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('SharedCache', () => {
  it('computes a key once for every caller while the computation is in flight', async () => {
    const cache = new SharedCache<number>({ ttlMs: 1000, maxEntries: 10 });
    let calls = 0;
    let release!: (n: number) => void;
    const compute = () => {
      calls++;
      return new Promise<number>((resolve) => (release = resolve));
    };
    const all = Promise.all([cache.get('k', compute), cache.get('k', compute), cache.get('k', compute)]);
    release(7);
    expect(await all).toEqual([7, 7, 7]);
    expect(calls).toBe(1);
  });

  it('keeps a value for its time to live and computes it again after', async () => {
    const c = clock();
    const cache = new SharedCache<number>({ ttlMs: 1000, maxEntries: 10, now: c.now });
    let calls = 0;
    const compute = () => Promise.resolve(++calls);
    expect(await cache.get('k', compute)).toBe(1);
    c.advance(999);
    expect(await cache.get('k', compute)).toBe(1);
    c.advance(2);
    expect(await cache.get('k', compute)).toBe(2);
  });

  it('forgets a failed computation so the next caller tries again', async () => {
    const cache = new SharedCache<number>({ ttlMs: 1000, maxEntries: 10 });
    await expect(cache.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('k', () => Promise.resolve(3))).toBe(3);
  });

  it('computes afresh after clear(), and a computation in flight at the clear is not kept', async () => {
    const cache = new SharedCache<string>({ ttlMs: 60_000, maxEntries: 10 });
    let release!: (v: string) => void;
    const stale = cache.get('k', () => new Promise<string>((resolve) => (release = resolve)));
    cache.clear();
    release('old');
    expect(await stale).toBe('old');
    expect(await cache.get('k', () => Promise.resolve('new'))).toBe('new');
  });

  it('holds at most maxEntries keys, dropping the oldest', async () => {
    const cache = new SharedCache<number>({ ttlMs: 60_000, maxEntries: 2 });
    for (const k of ['a', 'b', 'c']) await cache.get(k, () => Promise.resolve(1));
    expect(cache.size).toBe(2);
    let recomputed = false;
    await cache.get('a', () => ((recomputed = true), Promise.resolve(2)));
    expect(recomputed).toBe(true);
  });
});
