import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  fromBase64url,
  generateKek,
  importKek,
  kidBytes,
  kidUuid,
  toBase64url,
  unwrapContentKey,
  wrapContentKey,
} from './key-wrap.ts';

const key16 = fc.uint8Array({ minLength: 16, maxLength: 16 });

describe('content key wrapping (AES-KW)', () => {
  it('unwraps to the same key under the same KEK, and the wrapped form is 24 bytes that do not contain the key', async () => {
    const kek = await importKek(generateKek());
    await fc.assert(
      fc.asyncProperty(key16, async (key) => {
        const wrapped = await wrapContentKey(kek, key);
        expect(wrapped).toHaveLength(24);
        expect(Buffer.from(wrapped).includes(Buffer.from(key))).toBe(false);
        expect(await unwrapContentKey(kek, wrapped)).toEqual(key);
      }),
      { numRuns: 30 },
    );
  });

  it('refuses to unwrap under another KEK or after any byte changed', async () => {
    const kek = await importKek(generateKek());
    const other = await importKek(generateKek());
    await fc.assert(
      fc.asyncProperty(key16, fc.nat({ max: 23 }), fc.integer({ min: 1, max: 255 }), async (key, at, flip) => {
        const wrapped = await wrapContentKey(kek, key);
        await expect(unwrapContentKey(other, wrapped)).rejects.toThrow();
        const changed = Uint8Array.from(wrapped);
        changed[at] = changed[at]! ^ flip;
        await expect(unwrapContentKey(kek, changed)).rejects.toThrow();
      }),
      { numRuns: 20 },
    );
  });

  it('refuses a KEK that is not 32 bytes of base64url, naming the variable', async () => {
    await expect(importKek('c2hvcnQ')).rejects.toThrow(/CONTENT_KEY_KEK must be 32 random bytes/);
    await expect(importKek('!'.repeat(43))).rejects.toThrow(/CONTENT_KEY_KEK/);
  });
});

describe('key id and base64url forms', () => {
  it('round-trip: UUID ↔ 16 bytes ↔ base64url', () => {
    fc.assert(
      fc.property(key16, (bytes) => {
        expect(kidBytes(kidUuid(bytes))).toEqual(bytes);
        expect(fromBase64url(toBase64url(bytes))).toEqual(bytes);
        expect(toBase64url(bytes)).toMatch(/^[A-Za-z0-9_-]{22}$/);
      }),
    );
  });
});
