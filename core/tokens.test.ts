import fc from 'fast-check';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { signHs256 } from './hs256.ts';
import { HttpError } from './problem.ts';
import {
  identityClaims,
  identityOf,
  importUserTokenSigner,
  isProfile,
  ACCOUNT_TOKEN_TTL_S,
  bodyDigest,
  EMPTY_BODY_DIGEST,
  CLOCK_TOLERANCE_S,
  PROFILE_TOKEN_TTL_S,
  signServiceToken,
  signUserToken,
  userTokenVerifier,
  verifyServiceToken,
  type UserTokenSigner,
} from './tokens.ts';

const settings = { issuer: 'edgeflix', audience: 'edgeflix-api' };
const account = '6f1c1d8e-7d3a-4f6b-9a57-1b2c3d4e5f60';
const profile = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
let signer: UserTokenSigner;
let jwks: { keys: JWK[] };
let verify: ReturnType<typeof userTokenVerifier>;

async function pair(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return {
    priv: { ...(await exportJWK(privateKey)), kid },
    pub: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' },
  };
}

beforeAll(async () => {
  const k = await pair('k1');
  signer = await importUserTokenSigner(k.priv);
  jwks = { keys: [k.pub] };
  verify = userTokenVerifier(jwks, settings);
});

async function rejection(p: Promise<unknown>): Promise<HttpError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HttpError);
  return err as HttpError;
}

const profileClaims = {
  sub: account,
  scope: 'profile' as const,
  pid: profile,
  mat: 50,
  plan: 'premium',
  since: 1_700_000_000,
};

describe('user tokens', () => {
  it('round-trip the claims they were signed with', async () => {
    const { token } = await signUserToken(profileClaims, signer, settings);
    expect(await verify(token)).toMatchObject(profileClaims);
  });

  it('are refused once expired, beyond the clock tolerance', async () => {
    const { token } = await signUserToken(profileClaims, signer, settings, Date.now() - 2 * 3600_000);
    expect((await rejection(verify(token))).code).toBe('token_expired');
  });

  it('are accepted within the 30 s clock tolerance after expiry', async () => {
    const { token } = await signUserToken(profileClaims, signer, settings, Date.now() - 3600_000 - 10_000);
    await expect(verify(token)).resolves.toMatchObject({ pid: profile });
  });

  it('with alg "none" are refused', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: 'k1' })).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const body = Buffer.from(
      JSON.stringify({ ...profileClaims, iss: settings.issuer, aud: settings.audience, iat: now, exp: now + 600 }),
    ).toString('base64url');
    const err = await rejection(verify(`${header}.${body}.`));
    expect(err.status).toBe(401);
  });

  it('signed with another key under a trusted kid are refused', async () => {
    const other = await pair('k1');
    const { token } = await signUserToken(profileClaims, await importUserTokenSigner(other.priv), settings);
    expect((await rejection(verify(token))).code).toBe('invalid_token');
  });

  it('with a pinned-out algorithm (HS256) are refused even with a valid-looking shape', async () => {
    const token = await new SignJWT({ ...profileClaims })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setIssuer(settings.issuer)
      .setAudience(settings.audience)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode('x'.repeat(32)));
    expect((await rejection(verify(token))).status).toBe(401);
  });

  /** A token signed with the trusted key, with the given header and time claims. */
  async function forged(
    header: { kid?: string },
    times: { iat?: number; exp: number },
    claims: object = profileClaims,
  ) {
    const jwt = new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'ES256', ...header })
      .setIssuer(settings.issuer)
      .setAudience(settings.audience)
      .setExpirationTime(times.exp);
    if (times.iat !== undefined) jwt.setIssuedAt(times.iat);
    return jwt.sign(signer.key);
  }
  const nowS = () => Math.floor(Date.now() / 1000);

  it('without a kid in the protected header are refused, even when the key set has one key', async () => {
    const token = await forged({}, { iat: nowS(), exp: nowS() + 600 });
    const err = await rejection(verify(token));
    expect(err).toMatchObject({ status: 401, code: 'invalid_token' });
    expect(err.message).toMatch(/kid/);
  });

  it('living longer than their type allows are refused: exp 100 years ahead, or past the TTL plus tolerance', async () => {
    const iat = nowS();
    const century = await forged({ kid: 'k1' }, { iat, exp: iat + 100 * 365 * 24 * 3600 });
    expect((await rejection(verify(century))).code).toBe('invalid_token');
    const account = { ...profileClaims, scope: 'account' as const, pid: undefined, mat: undefined };
    const accountHour = await forged({ kid: 'k1' }, { iat, exp: iat + PROFILE_TOKEN_TTL_S }, account);
    expect((await rejection(verify(accountHour))).code).toBe('invalid_token');
    const profileHour = await forged({ kid: 'k1' }, { iat, exp: iat + PROFILE_TOKEN_TTL_S + CLOCK_TOLERANCE_S });
    await expect(verify(profileHour)).resolves.toMatchObject({ pid: profile });
    const accountToken = await forged({ kid: 'k1' }, { iat, exp: iat + ACCOUNT_TOKEN_TTL_S }, account);
    await expect(verify(accountToken)).resolves.toMatchObject({ scope: 'account' });
  });

  it('issued in the future beyond the clock tolerance, or without iat, are refused', async () => {
    const ahead = nowS() + CLOCK_TOLERANCE_S + 60;
    expect((await rejection(verify(await forged({ kid: 'k1' }, { iat: ahead, exp: ahead + 600 })))).code).toBe(
      'invalid_token',
    );
    const within = nowS() + CLOCK_TOLERANCE_S - 5;
    await expect(verify(await forged({ kid: 'k1' }, { iat: within, exp: within + 600 }))).resolves.toBeDefined();
    expect((await rejection(verify(await forged({ kid: 'k1' }, { exp: nowS() + 600 })))).code).toBe('invalid_token');
  });

  it('for another audience or issuer are refused', async () => {
    const a = await signUserToken(profileClaims, signer, { ...settings, audience: 'someone-else' });
    const b = await signUserToken(profileClaims, signer, { ...settings, issuer: 'someone-else' });
    expect((await rejection(verify(a.token))).code).toBe('invalid_token');
    expect((await rejection(verify(b.token))).code).toBe('invalid_token');
  });

  it('never crash the verifier on arbitrary input: always a 401', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.base64String(),
          fc.array(fc.base64String(), { minLength: 3, maxLength: 3 }).map((p) => p.join('.')),
        ),
        async (garbage) => {
          const err = await rejection(verify(garbage));
          expect(err.status).toBe(401);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('service credentials', () => {
  const secret = 's'.repeat(40);
  const req = { method: 'POST', pathAndQuery: '/v1/profiles/x/select' };

  it('verify for the request they were minted for', async () => {
    const token = await signServiceToken(
      { htm: req.method, htu: req.pathAndQuery, rid: 'r-12345678', sub: account },
      secret,
    );
    expect(await verifyServiceToken(token, secret, req)).toMatchObject({ sub: account, htu: req.pathAndQuery });
  });

  it('are refused for another method or path (bound to one request)', async () => {
    const token = await signServiceToken({ htm: req.method, htu: req.pathAndQuery, rid: 'r-12345678' }, secret);
    await rejection(verifyServiceToken(token, secret, { ...req, method: 'GET' }));
    await rejection(verifyServiceToken(token, secret, { ...req, pathAndQuery: '/v1/profiles' }));
  });

  it('are refused with another secret', async () => {
    const token = await signServiceToken({ htm: req.method, htu: req.pathAndQuery, rid: 'r-12345678' }, secret);
    await rejection(verifyServiceToken(token, 't'.repeat(40), req));
  });

  it('are bound to the exact body bytes: another body, or none, is refused', async () => {
    const body = '{"batchId":"b","entries":[]}';
    const token = await signServiceToken({ htm: req.method, htu: req.pathAndQuery, rid: 'r-1' }, secret, { body });
    await expect(
      verifyServiceToken(token, secret, { ...req, body: new TextEncoder().encode(body) }),
    ).resolves.toBeDefined();
    await expect(verifyServiceToken(token, secret, { ...req, body: async () => body })).resolves.toBeDefined();
    for (const other of [`${body} `, '{"batchId":"c","entries":[]}', undefined]) {
      expect((await rejection(verifyServiceToken(token, secret, { ...req, body: other }))).code).toBe('invalid_token');
    }
  });

  it('bind an empty body to the SHA-256 of no bytes, and any other body to its own digest', async () => {
    const sha256 = async (bytes: Uint8Array) =>
      Buffer.from(await crypto.subtle.digest('SHA-256', bytes)).toString('base64url');
    expect(EMPTY_BODY_DIGEST).toBe(await sha256(new Uint8Array()));
    expect(await bodyDigest()).toBe(EMPTY_BODY_DIGEST);
    expect(await bodyDigest('')).toBe(EMPTY_BODY_DIGEST);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (bytes) => {
        expect(await bodyDigest(bytes)).toBe(await sha256(bytes));
      }),
    );
  });

  it('need their registered claims: issuer, audience, iat, jti, a future exp, no future nbf', async () => {
    const now = Math.floor(Date.now() / 1000);
    const good = {
      iss: 'edgeflix-edge',
      aud: 'edgeflix-origin',
      iat: now,
      exp: now + 60,
      jti: 'jti-0123456789abcdef',
      htm: req.method,
      htu: req.pathAndQuery,
      rid: 'r-1',
      bdy: EMPTY_BODY_DIGEST,
    };
    await expect(verifyServiceToken(await signHs256(good, secret), secret, req)).resolves.toMatchObject({
      jti: good.jti,
    });
    const { jti: _jti, ...noJti } = good;
    for (const claims of [
      { ...good, iss: 'someone' },
      { ...good, aud: ['edgeflix-origin', 'x'] },
      { ...good, iat: 'now' },
      noJti,
      { ...good, nbf: now + 3600 },
      { ...good, exp: undefined },
    ]) {
      expect((await rejection(verifyServiceToken(await signHs256(claims, secret), secret, req))).code).toBe(
        'invalid_token',
      );
    }
    const expired = { ...good, iat: now - 200, exp: now - 100 };
    expect((await rejection(verifyServiceToken(await signHs256(expired, secret), secret, req))).code).toBe(
      'token_expired',
    );
  });

  it('carry a fresh jti each, and a lifetime of at most the service TTL', async () => {
    const mint = () => signServiceToken({ htm: req.method, htu: req.pathAndQuery, rid: 'r-1' }, secret);
    const [a, b] = await Promise.all([mint(), mint()]);
    const [ca, cb] = [await verifyServiceToken(a!, secret, req), await verifyServiceToken(b!, secret, req)];
    expect(ca.jti).not.toBe(cb.jti);
    const iat = Math.floor(Date.now() / 1000);
    const long = await new SignJWT({ htm: req.method, htu: req.pathAndQuery, rid: 'r', bdy: ca.bdy })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('edgeflix-edge')
      .setAudience('edgeflix-origin')
      .setIssuedAt(iat)
      .setExpirationTime(iat + 3600)
      .setJti(crypto.randomUUID())
      .sign(new TextEncoder().encode(secret));
    expect((await rejection(verifyServiceToken(long, secret, req))).code).toBe('invalid_token');
  });
});

describe('identity', () => {
  it('names a profile, with its account and maturity level, from profile claims and back', () => {
    const who = identityOf({ sub: account, pid: profile, mat: 50 });
    expect(who).toEqual({ accountId: account, profileId: profile, maturityLevel: 50 });
    expect(identityClaims(who)).toEqual({ sub: account, pid: profile, mat: 50 });
  });

  it('names an account alone when the claims name no complete profile, and nobody without a subject', () => {
    expect(identityOf({ sub: account })).toEqual({ accountId: account });
    expect(isProfile(identityOf({ sub: account, pid: profile }))).toBe(false);
    expect(identityOf({})).toBeUndefined();
    expect(identityClaims({ accountId: account })).toEqual({ sub: account });
  });

  it('survives a round trip through a service credential unchanged', async () => {
    const who = { accountId: account, profileId: profile, maturityLevel: 7 };
    const secret = 'x'.repeat(32);
    const token = await signServiceToken({ htm: 'GET', htu: '/p', rid: 'r', ...identityClaims(who) }, secret);
    expect(identityOf(await verifyServiceToken(token, secret, { method: 'GET', pathAndQuery: '/p' }))).toEqual(who);
  });
});
