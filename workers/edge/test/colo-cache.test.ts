import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { coloCache, FRESH_UNTIL } from '../src/colo-cache.ts';

const Doc = z.strictObject({ name: z.string(), n: z.number() });
const unique = () => `/docs/${crypto.randomUUID()}`;

describe('colo cache', () => {
  it('gives back what was put, with when it was stored and until when it is fresh', async () => {
    const cache = coloCache('https://colo-cache-test.edgeflix.internal', Doc);
    const key = unique();
    const before = Date.now();
    await cache.put(key, { name: 'a', n: 1 }, { keepSeconds: 600, freshSeconds: 60 });
    const hit = await cache.get(key);
    expect(hit?.value).toEqual({ name: 'a', n: 1 });
    expect(hit!.storedAt).toBeGreaterThanOrEqual(before);
    expect(hit!.freshUntil - hit!.storedAt).toBe(60_000);
  });

  it('counts a copy fresh as long as it is kept unless told otherwise, and keeps it for max-age', async () => {
    const cache = coloCache('https://colo-cache-test.edgeflix.internal', Doc);
    const key = unique();
    await cache.put(key, { name: 'b', n: 2 }, { keepSeconds: 300 });
    const hit = await cache.get(key);
    expect(hit!.freshUntil - hit!.storedAt).toBe(300_000);
    const raw = await caches.default.match(new Request(cache.url(key)));
    expect(raw?.headers.get('cache-control')).toBe('max-age=300');
    expect(raw?.headers.get(FRESH_UNTIL)).toBe(String(hit!.freshUntil));
  });

  it('answers null for a missing key, a copy that no longer fits the schema, and a body that is not JSON', async () => {
    const cache = coloCache('https://colo-cache-test.edgeflix.internal', Doc);
    expect(await cache.get(unique())).toBeNull();
    const changed = unique();
    await coloCache('https://colo-cache-test.edgeflix.internal', z.object({ name: z.number() })).put(
      changed,
      { name: 7 },
      { keepSeconds: 60 },
    );
    expect(await cache.get(changed)).toBeNull();
    const garbled = unique();
    await caches.default.put(
      new Request(cache.url(garbled)),
      new Response('{not json', { headers: { 'cache-control': 'max-age=60' } }),
    );
    expect(await cache.get(garbled)).toBeNull();
  });

  it('keeps caches under different hosts apart, and forgets a deleted key', async () => {
    const one = coloCache('https://one.colo-cache-test.edgeflix.internal', Doc);
    const two = coloCache('https://two.colo-cache-test.edgeflix.internal', Doc);
    const key = unique();
    await one.put(key, { name: 'one', n: 1 }, { keepSeconds: 60 });
    expect(await two.get(key)).toBeNull();
    expect(await one.delete(key)).toBe(true);
    expect(await one.get(key)).toBeNull();
  });
});
