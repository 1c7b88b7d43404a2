/**
 * Token formats and their checks, shared by the edge (verifies user tokens, mints service
 * credentials) and the origin (mints user tokens, verifies service credentials).
 * Algorithms are pinned: ES256 for user tokens, HS256 for the edge→origin service credential.
 */
import {
  SignJWT,
  jwtVerify,
  errors as joseErrors,
  type JSONWebKeySet,
  type JWK,
  importJWK,
  createLocalJWKSet,
  base64url,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { z } from 'zod';
import { HS256_ALG, sha256, signHs256, verifyHs256 } from './hs256.ts';
import { HttpError } from './problem.ts';

export const USER_TOKEN_ALG = 'ES256';
export const SERVICE_TOKEN_ALG = HS256_ALG;
export const SERVICE_ISSUER = 'edgeflix-edge';
export const SERVICE_AUDIENCE = 'edgeflix-origin';
/** Seconds of clock skew tolerated between whoever signs and whoever verifies. */
export const CLOCK_TOLERANCE_S = 30;
/** The longest an account / profile token may live; the origin may mint shorter ones (SessionSettings). */
export const ACCOUNT_TOKEN_TTL_S = 15 * 60;
export const PROFILE_TOKEN_TTL_S = 60 * 60;
export const SERVICE_TOKEN_TTL_S = 60;

const uuid = z.uuid();

/** What an account token grants: listing the account's profiles and selecting one. */
export const AccountClaims = z.object({
  sub: uuid,
  scope: z.literal('account'),
  plan: z.string(),
  since: z.number().int(),
  /** The session (core/sessions.ts) the token was minted for; revoking it revokes the token. */
  sid: uuid.optional(),
});
export type AccountClaims = z.infer<typeof AccountClaims>;

/** What a profile token grants: acting as one profile of one account. */
export const ProfileClaims = z.object({
  sub: uuid,
  scope: z.literal('profile'),
  pid: uuid,
  mat: z.number().int(),
  plan: z.string(),
  since: z.number().int(),
  sid: uuid.optional(),
  /** The profile's language as it was when the token was minted (keys shared homepage rows at the edge). */
  lang: z.string().max(35).optional(),
});
export type ProfileClaims = z.infer<typeof ProfileClaims>;

export const UserClaims = z.discriminatedUnion('scope', [AccountClaims, ProfileClaims]);
export type UserClaims = z.infer<typeof UserClaims>;

/** Who the edge says is calling, bound into the service credential with the request it is for. */
export const ServiceClaims = z.object({
  iss: z.literal(SERVICE_ISSUER),
  aud: z.literal(SERVICE_AUDIENCE),
  htm: z.string(),
  htu: z.string(),
  rid: z.string(),
  /** base64url SHA-256 of the exact body bytes sent (of no bytes, without a body). */
  bdy: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  /** Unique per credential: the origin refuses a second request with the same one. */
  jti: z.string().min(16).max(64),
  exp: z.number().int(),
  sub: uuid.optional(),
  pid: uuid.optional(),
  mat: z.number().int().optional(),
  /** The caller's session, when its user token carried one. */
  sid: uuid.optional(),
});
export type ServiceClaims = z.infer<typeof ServiceClaims>;

/**
 * Who acts, in one shape from the token to the origin: the account, the profile and its maturity
 * level. Tokens keep their compact claim names (`sub`, `pid`, `mat`); `identityOf` is the one
 * mapping from those names to this shape, and `identityClaims` the one mapping back.
 */
export const Identity = z.strictObject({ accountId: uuid, profileId: uuid, maturityLevel: z.number().int() });
export type Identity = z.infer<typeof Identity>;

/** A caller signed in to an account without a profile selected (an account token). */
export type AccountIdentity = Pick<Identity, 'accountId'>;

/** The claims that name a caller, in a user token or a service credential. */
export type IdentityClaims = Pick<ServiceClaims, 'sub' | 'pid' | 'mat'>;

/** The identity a token's claims name: a profile, an account alone, or nobody. */
export function identityOf(claims: Pick<ProfileClaims, 'sub' | 'pid' | 'mat'>): Identity;
export function identityOf(claims: IdentityClaims): Identity | AccountIdentity | undefined;
export function identityOf(claims: IdentityClaims): Identity | AccountIdentity | undefined {
  if (claims.sub === undefined) return undefined;
  if (claims.pid === undefined || claims.mat === undefined) return { accountId: claims.sub };
  return { accountId: claims.sub, profileId: claims.pid, maturityLevel: claims.mat };
}

/** Whether a caller has a profile selected. */
export function isProfile(who: Identity | AccountIdentity | undefined): who is Identity {
  return who !== undefined && 'profileId' in who;
}

/** The claims that name `who` in a token being minted (the inverse of `identityOf`). */
export function identityClaims(who: Identity): Pick<ProfileClaims, 'sub' | 'pid' | 'mat'>;
export function identityClaims(who: Identity | AccountIdentity): IdentityClaims;
export function identityClaims(who: Identity | AccountIdentity): IdentityClaims {
  return isProfile(who) ? { sub: who.accountId, pid: who.profileId, mat: who.maturityLevel } : { sub: who.accountId };
}

export interface UserTokenSettings {
  issuer: string;
  audience: string;
}

type SigningKey = Awaited<ReturnType<typeof importJWK>>;

export interface UserTokenSigner {
  key: SigningKey;
  kid: string;
}

/** Imports the origin's private signing key (an EC P-256 JWK with `kid`) once, at start. */
export async function importUserTokenSigner(jwk: JWK & { kid: string }): Promise<UserTokenSigner> {
  const key = await importJWK(jwk, USER_TOKEN_ALG);
  if (key instanceof Uint8Array || key.type !== 'private') throw new Error('The signing JWK must be a private key');
  return { key, kid: jwk.kid };
}

/** Signs a user token with the origin's private key. */
export async function signUserToken(
  claims: UserClaims,
  signer: UserTokenSigner,
  settings: UserTokenSettings,
  now = Date.now(),
  ttlSeconds?: number,
): Promise<{ token: string; expiresAt: Date }> {
  const maxTtl = claims.scope === 'account' ? ACCOUNT_TOKEN_TTL_S : PROFILE_TOKEN_TTL_S;
  const ttl = Math.min(ttlSeconds ?? maxTtl, maxTtl);
  const iat = Math.floor(now / 1000);
  const { sub, ...rest } = claims;
  const token = await new SignJWT(rest)
    .setProtectedHeader({ alg: USER_TOKEN_ALG, kid: signer.kid, typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .setJti(crypto.randomUUID())
    .sign(signer.key);
  return { token, expiresAt: new Date((iat + ttl) * 1000) };
}

/**
 * Why a verified token's lifetime is unacceptable, or null: it must have been issued no later
 * than now (plus the clock tolerance) and live no longer than its type's TTL (plus the tolerance).
 * A signature alone does not bound either: a leaked key could mint a token for a century.
 */
export function lifetimeProblem(
  payload: Pick<JWTPayload, 'iat' | 'exp'>,
  ttlSeconds: number,
  now: Date,
  clockToleranceS = CLOCK_TOLERANCE_S,
): string | null {
  const { iat, exp } = payload;
  if (iat === undefined || exp === undefined) return 'Token must carry "iat" and "exp"';
  if (iat > Math.floor(now.getTime() / 1000) + clockToleranceS) return 'Token claim "iat" is in the future';
  if (exp - iat > ttlSeconds + CLOCK_TOLERANCE_S) return 'Token lives longer than its type allows';
  return null;
}

/**
 * A verifier for user tokens against a public JWKS (several keys during a rotation). The key is
 * chosen by the protected header's `kid`, which is required: without it jose would try the one
 * key of a single-key set, and a rotation would silently accept tokens naming no key at all.
 */
export function userTokenVerifier(jwks: JSONWebKeySet, settings: UserTokenSettings) {
  const keySet = createLocalJWKSet(jwks);
  const byKid: JWTVerifyGetKey = (header, token) => {
    if (typeof header?.kid !== 'string' || header.kid === '') {
      throw new HttpError('invalid_token', 'Token header must name its key ("kid")');
    }
    return keySet(header, token);
  };
  return async (token: string, now?: Date): Promise<UserClaims> => {
    const { payload } = await verifyOrThrow(() =>
      jwtVerify(token, byKid, {
        algorithms: [USER_TOKEN_ALG],
        issuer: settings.issuer,
        audience: settings.audience,
        requiredClaims: ['exp', 'iat', 'sub'],
        clockTolerance: CLOCK_TOLERANCE_S,
        ...(now ? { currentDate: now } : {}),
      }),
    );
    const parsed = UserClaims.safeParse(payload);
    if (!parsed.success) throw new HttpError('invalid_token', 'Token claims are not an edgeflix user token');
    const ttl = parsed.data.scope === 'account' ? ACCOUNT_TOKEN_TTL_S : PROFILE_TOKEN_TTL_S;
    const problem = lifetimeProblem(payload, ttl, now ?? new Date());
    if (problem) throw new HttpError('invalid_token', problem);
    return parsed.data;
  };
}

/** The bearer token of an Authorization header, or a 401. */
export function bearerToken(header: string | null | undefined): string {
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/.exec(header?.trim() ?? '');
  if (!match?.[1]) throw new HttpError('unauthenticated', 'Send a token as "Authorization: Bearer <token>"');
  return match[1];
}

/** Body bytes as sent: a string is sent as its UTF-8 encoding. */
export type BodyBytes = string | Uint8Array;

/**
 * base64url SHA-256 of no bytes. Most credentials are for bodiless GETs, and a WebCrypto digest
 * is a job on the crypto thread pool (tens of µs in Node, per side, per request) to learn a constant.
 */
export const EMPTY_BODY_DIGEST = '47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU';

/** base64url SHA-256 of the body bytes: the service credential's `bdy`. One hash per request. */
export async function bodyDigest(body: BodyBytes = new Uint8Array()): Promise<string> {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  if (bytes.byteLength === 0) return EMPTY_BODY_DIGEST;
  return base64url.encode(await sha256(bytes));
}

/**
 * Mints the short-lived credential the edge sends with every origin call, bound to that request:
 * its method, path, request id, the digest of the exact body bytes sent, and a fresh `jti`.
 */
export async function signServiceToken(
  claims: Omit<ServiceClaims, 'iss' | 'aud' | 'bdy' | 'jti' | 'exp'>,
  secret: string,
  options: { body?: BodyBytes | undefined; now?: number | undefined } = {},
): Promise<string> {
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  return signHs256(
    {
      ...claims,
      bdy: await bodyDigest(options.body),
      iss: SERVICE_ISSUER,
      aud: SERVICE_AUDIENCE,
      iat,
      exp: iat + SERVICE_TOKEN_TTL_S,
      jti: crypto.randomUUID(),
    },
    secret,
  );
}

/**
 * Verifies a service credential and that it was minted for this method, path and body (the raw
 * bytes received; a function is called only once the signature holds, so nobody without the
 * secret makes the verifier read a body). Refusing a replayed `jti` needs memory of what was
 * seen: the origin's job.
 */
export async function verifyServiceToken(
  token: string,
  secret: string,
  request: { method: string; pathAndQuery: string; body?: BodyBytes | (() => Promise<BodyBytes>) | undefined },
  now = new Date(),
  /** Seconds the edge's clock may run ahead of or behind this one (`SERVICE_CLOCK_TOLERANCE_S`). */
  clockToleranceS = CLOCK_TOLERANCE_S,
): Promise<ServiceClaims> {
  const payload = await verifyHs256(token, secret);
  const claimProblem = serviceClaimProblem(payload, now, clockToleranceS);
  if (claimProblem === 'expired') throw new HttpError('token_expired', 'Token has expired');
  if (claimProblem) throw new HttpError('invalid_token', `Token claim "${claimProblem}" is not acceptable`);
  const parsed = ServiceClaims.safeParse(payload);
  if (!parsed.success) throw new HttpError('invalid_token', 'Service credential claims are malformed');
  const problem = lifetimeProblem(payload, SERVICE_TOKEN_TTL_S, now, clockToleranceS);
  if (problem) throw new HttpError('invalid_token', problem);
  if (parsed.data.htm !== request.method || parsed.data.htu !== request.pathAndQuery) {
    throw new HttpError('invalid_token', 'Service credential was issued for another request');
  }
  const body = typeof request.body === 'function' ? await request.body() : request.body;
  if (parsed.data.bdy !== (await bodyDigest(body))) {
    throw new HttpError('invalid_token', 'Service credential was issued for another body');
  }
  return parsed.data;
}

/**
 * The registered claims a service credential must carry, checked as jose's `jwtVerify` would with
 * `requiredClaims: ['exp', 'iat', 'jti']`, the service issuer and audience, and the tolerance:
 * the name of the first claim that fails, `expired`, or null.
 */
function serviceClaimProblem(payload: Record<string, unknown>, now: Date, toleranceS: number): string | null {
  const nowS = Math.floor(now.getTime() / 1000);
  if (payload.iss !== SERVICE_ISSUER) return 'iss';
  if (payload.aud !== SERVICE_AUDIENCE) return 'aud';
  if (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat)) return 'iat';
  if (typeof payload.jti !== 'string') return 'jti';
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > nowS + toleranceS)) return 'nbf';
  if (typeof payload.exp !== 'number' || !Number.isFinite(payload.exp)) return 'exp';
  if (payload.exp <= nowS - toleranceS) return 'expired';
  return null;
}

async function verifyOrThrow<T>(verify: () => Promise<T>): Promise<T> {
  try {
    return await verify();
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw new HttpError('token_expired', 'Token has expired');
    if (err instanceof joseErrors.JOSEError) throw new HttpError('invalid_token', describeJoseError(err));
    throw err;
  }
}

function describeJoseError(err: InstanceType<typeof joseErrors.JOSEError>): string {
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `Token claim "${err.claim}" is not acceptable`;
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'Token algorithm is not allowed';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'Token was not signed by a known key';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'Token signature is invalid';
  return 'Token is malformed';
}
