import { SignJWT, base64url } from 'jose';
import { describe, expect, it } from 'vitest';

import { HttpError } from './problem.ts';
import {
  SEGMENT_TOKEN_TTL_S,
  isNormalisedKey,
  parseSegmentKeySet,
  requireCoveredPath,
  segmentTokenFromUrl,
  signSegmentToken,
  verifySegmentClaims,
  verifySegmentToken,
  type SegmentGrant,
  type SegmentKeySet,
} from './segment-token.ts';

const TITLE = '11111111-1111-4111-8111-111111111111';
const OTHER_TITLE = '22222222-2222-4222-8222-222222222222';
const ENCODING = '33333333-3333-4333-8333-333333333333';
const PROFILE = '44444444-4444-4444-8444-444444444444';
const OLD_SECRET = 'old-secret-old-secret-old-secret-0001';
const NEW_SECRET = 'new-secret-new-secret-new-secret-0002';

const keys: SegmentKeySet = { current: 'k1', keys: { k1: OLD_SECRET } };
const grant: SegmentGrant = {
  titleId: TITLE,
  representationId: ENCODING,
  prefix: `media/${TITLE}/avc1-720p-sdr/`,
  profileId: PROFILE,
};
const segment = (n: number, prefix = grant.prefix) => `${prefix}seg-${n}.m4s`;

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).code).toBe('forbidden');
    expect((err as HttpError).status).toBe(403);
    return (err as HttpError).message;
  }
  throw new Error('expected a 403');
}

describe('segment tokens', () => {
  it('verify for the init and every segment under the bound prefix', async () => {
    const { token, expiresAt } = await signSegmentToken(grant, keys, { now: 1_700_000_000_000 });
    expect(expiresAt.getTime()).toBe((1_700_000_000 + SEGMENT_TOKEN_TTL_S) * 1000);
    const now = 1_700_000_000_000 + 59 * 60 * 1000;
    for (const path of [`${grant.prefix}init.mp4`, segment(1), segment(1234)]) {
      const claims = await verifySegmentToken(token, keys, { path, now });
      expect(claims).toMatchObject({ tid: TITLE, rid: ENCODING, pid: PROFILE, pfx: grant.prefix });
    }
  });

  it('fail on another encoding, another title or a sibling folder', async () => {
    const { token } = await signSegmentToken(grant, keys);
    for (const path of [
      segment(1, `media/${TITLE}/avc1-1080p-sdr/`),
      segment(1, `media/${OTHER_TITLE}/avc1-720p-sdr/`),
      segment(1, `media/${TITLE}/avc1-720p-sdr-extra/`),
      `media/${TITLE}/subs-en.vtt`,
    ]) {
      expect(await refusal(verifySegmentToken(token, keys, { path }))).toBe('Segment token does not cover this path');
    }
  });

  it('fail on paths that are not clean keys, even inside the prefix', async () => {
    const { token } = await signSegmentToken(grant, keys);
    for (const path of [
      `${grant.prefix}../avc1-1080p-sdr/seg-1.m4s`,
      `${grant.prefix}./seg-1.m4s`,
      `${grant.prefix}/seg-1.m4s`,
      `${grant.prefix}seg-1.m4s/`,
      `${grant.prefix}..%2Favc1-1080p-sdr%2Fseg-1.m4s`,
      `${grant.prefix}%2e%2e/seg-1.m4s`,
      `${grant.prefix}seg-1.m4s\\..`,
      `/${segment(1)}`,
    ]) {
      expect(await refusal(verifySegmentToken(token, keys, { path }))).toBe('Requested path is not a clean object key');
    }
  });

  it('bind a subtitle token to exactly its file', async () => {
    const key = `media/${TITLE}/subs-en.vtt`;
    const { token } = await signSegmentToken({ ...grant, prefix: key }, keys);
    await expect(verifySegmentToken(token, keys, { path: key })).resolves.toMatchObject({ pfx: key });
    expect(await refusal(verifySegmentToken(token, keys, { path: `${key}.bak` }))).toBe(
      'Segment token does not cover this path',
    );
  });

  it('are refused once expired', async () => {
    const { token } = await signSegmentToken(grant, keys, { now: 1_700_000_000_000 });
    const later = 1_700_000_000_000 + (SEGMENT_TOKEN_TTL_S + 31) * 1000;
    expect(await refusal(verifySegmentToken(token, keys, { path: segment(1), now: later }))).toBe(
      'Segment token has expired',
    );
  });

  it('give their claims before the path is known, and check the path apart', async () => {
    const { token } = await signSegmentToken(grant, keys);
    const claims = await verifySegmentClaims(token, keys);
    expect(claims).toMatchObject({ tid: TITLE, rid: ENCODING, pfx: grant.prefix });
    expect(() => requireCoveredPath(claims, segment(1))).not.toThrow();
    expect(() => requireCoveredPath(claims, segment(1, `media/${OTHER_TITLE}/avc1-720p-sdr/`))).toThrow(
      'Segment token does not cover this path',
    );
    const forged = await signSegmentToken(grant, { current: 'k1', keys: { k1: NEW_SECRET } });
    expect(await refusal(verifySegmentClaims(forged.token, keys))).toBe('Segment token signature is invalid');
  });

  it('carry the account and session of the token they were signed for, and none when it had no session', async () => {
    const session = { accountId: OTHER_TITLE, sessionId: PROFILE };
    const { token } = await signSegmentToken({ ...grant, session }, keys);
    expect(await verifySegmentToken(token, keys, { path: segment(1) })).toMatchObject({
      sub: session.accountId,
      sid: session.sessionId,
    });
    const plain = await verifySegmentToken((await signSegmentToken(grant, keys)).token, keys, { path: segment(1) });
    expect(plain.sub).toBeUndefined();
    expect(plain.sid).toBeUndefined();
  });

  it('are refused when signed by an unknown kid', async () => {
    const { token } = await signSegmentToken(grant, { current: 'k9', keys: { k9: OLD_SECRET } });
    expect(await refusal(verifySegmentToken(token, keys, { path: segment(1) }))).toBe(
      'Segment token was not signed by a known key',
    );
  });

  it('are refused when signed with another secret under a known kid', async () => {
    const { token } = await signSegmentToken(grant, { current: 'k1', keys: { k1: NEW_SECRET } });
    expect(await refusal(verifySegmentToken(token, keys, { path: segment(1) }))).toBe(
      'Segment token signature is invalid',
    );
  });

  it('are refused when the payload was tampered with', async () => {
    const { token } = await signSegmentToken(grant, keys);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as Record<string, unknown>;
    const widened = base64url.encode(JSON.stringify({ ...claims, pfx: `media/${TITLE}/` }));
    const tampered = `${header}.${widened}.${signature}`;
    expect(await refusal(verifySegmentToken(tampered, keys, { path: segment(1) }))).toBe(
      'Segment token signature is invalid',
    );
  });

  it('are refused with alg "none" or any algorithm but HS256', async () => {
    const { token } = await signSegmentToken(grant, keys);
    const payload = token.split('.')[1]!;
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', kid: 'k1' }))}.${payload}.`;
    expect(await refusal(verifySegmentToken(none, keys, { path: segment(1) }))).toBe(
      'Segment token algorithm is not allowed',
    );
    const hs512 = await new SignJWT({ tid: TITLE, rid: ENCODING, pfx: grant.prefix, pid: PROFILE })
      .setProtectedHeader({ alg: 'HS512', kid: 'k1' })
      .setAudience('edgeflix-media')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(OLD_SECRET));
    expect(await refusal(verifySegmentToken(hs512, keys, { path: segment(1) }))).toBe(
      'Segment token algorithm is not allowed',
    );
  });

  it('are refused when malformed or meant for another audience', async () => {
    expect(await refusal(verifySegmentToken('not-a-jwt', keys, { path: segment(1) }))).toBe(
      'Segment token is malformed',
    );
    const other = await new SignJWT({ tid: TITLE, rid: ENCODING, pfx: grant.prefix, pid: PROFILE })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setAudience('edgeflix-origin')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(OLD_SECRET));
    expect(await refusal(verifySegmentToken(other, keys, { path: segment(1) }))).toBe('Segment token is invalid');
  });

  it('keep verifying with the previous key while it stays in the set during a rotation', async () => {
    const { token: before } = await signSegmentToken(grant, keys);
    const rotating: SegmentKeySet = { current: 'k2', keys: { k1: OLD_SECRET, k2: NEW_SECRET } };
    const { token: after } = await signSegmentToken(grant, rotating);
    expect(JSON.parse(new TextDecoder().decode(base64url.decode(after.split('.')[0]!)))).toMatchObject({ kid: 'k2' });
    await expect(verifySegmentToken(before, rotating, { path: segment(1) })).resolves.toBeTruthy();
    await expect(verifySegmentToken(after, rotating, { path: segment(1) })).resolves.toBeTruthy();
    const retired: SegmentKeySet = { current: 'k2', keys: { k2: NEW_SECRET } };
    expect(await refusal(verifySegmentToken(before, retired, { path: segment(1) }))).toBe(
      'Segment token was not signed by a known key',
    );
  });

  it('refuse to sign a prefix that is not a clean key', async () => {
    await expect(signSegmentToken({ ...grant, prefix: 'media/../x/' }, keys)).rejects.toThrow(/not a clean key/);
    expect(isNormalisedKey('media/t/a/', true)).toBe(true);
    expect(isNormalisedKey('media/t/a/', false)).toBe(false);
    expect(isNormalisedKey('media//a', false)).toBe(false);
  });

  it('read the token from the URL query, or refuse a URL without one', () => {
    expect(segmentTokenFromUrl(new URL('https://e.example/v1/media/a/seg-1.m4s?token=abc'))).toBe('abc');
    expect(() => segmentTokenFromUrl(new URL('https://e.example/v1/media/a/seg-1.m4s'))).toThrow(HttpError);
  });
});

describe('parseSegmentKeySet', () => {
  it('reads a key set with two keys', () => {
    const raw = JSON.stringify({ current: 'k2', keys: { k1: OLD_SECRET, k2: NEW_SECRET } });
    expect(parseSegmentKeySet(raw)).toEqual({ current: 'k2', keys: { k1: OLD_SECRET, k2: NEW_SECRET } });
  });

  it('names what is wrong with a bad key set', () => {
    expect(() => parseSegmentKeySet('{')).toThrow('segment key set is not JSON');
    expect(() => parseSegmentKeySet(JSON.stringify({ current: 'k3', keys: { k1: OLD_SECRET } }))).toThrow(
      /current must name one of keys/,
    );
    expect(() => parseSegmentKeySet(JSON.stringify({ current: 'k1', keys: { k1: 'short' } }))).toThrow(/at least 32/);
  });
});
