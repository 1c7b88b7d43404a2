import fc from 'fast-check';
import { jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { HttpError } from './problem.ts';
import { signHs256, verifyHs256 } from './hs256.ts';

const secret = 's'.repeat(40);
const key = new TextEncoder().encode(secret);
const claims = { iss: 'edgeflix-edge', aud: 'edgeflix-origin', iat: 1, exp: 61, jti: 'j', htm: 'GET', htu: '/v1/x' };

async function refusal(p: Promise<unknown>): Promise<HttpError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HttpError);
  expect((err as HttpError).code).toBe('invalid_token');
  return err as HttpError;
}

describe('HS256 compact JWS', () => {
  it('signs what jose verifies, and verifies what jose signs', async () => {
    const ours = await signHs256(claims, secret);
    const { payload, protectedHeader } = await jwtVerify(ours, key, {
      algorithms: ['HS256'],
      currentDate: new Date(2000),
    });
    expect(payload).toEqual(claims);
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    const theirs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(key);
    expect(await verifyHs256(theirs, secret)).toEqual(claims);
  });

  it('refuses another secret', async () => {
    await refusal(verifyHs256(await signHs256(claims, secret), 't'.repeat(40)));
  });

  it('refuses any change to a signed token', async () => {
    const token = await signHs256(claims, secret);
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: token.length - 1 }),
        fc.constantFrom(...'ABCDEFabcdef0123456789-_.'),
        async (at, ch) => {
          fc.pre(token[at] !== ch);
          await refusal(verifyHs256(token.slice(0, at) + ch + token.slice(at + 1), secret));
        },
      ),
    );
  });

  it('refuses a header naming another algorithm, none, or critical extensions, even when signed', async () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const body = b64(claims);
    for (const header of [
      { alg: 'none' },
      { alg: 'HS512' },
      { alg: 'hs256' },
      { alg: 'HS256', crit: ['b64'], b64: false },
    ]) {
      const input = `${b64(header)}.${body}`;
      const mac = await crypto.subtle.sign(
        'HMAC',
        await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']),
        new TextEncoder().encode(input),
      );
      await refusal(verifyHs256(`${input}.${Buffer.from(mac).toString('base64url')}`, secret));
    }
    await refusal(verifyHs256(`${b64({ alg: 'none' })}.${body}.`, secret));
  });

  it('answers arbitrary input with a 401, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (token) => {
        await refusal(verifyHs256(token, secret));
      }),
    );
  });
});
