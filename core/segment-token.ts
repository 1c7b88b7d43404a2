/**
 * Signed segment URLs: one token per representation (not per segment), bound to the title, the
 * representation, the object-store prefix holding its files, the profile and an expiry. HS256
 * with a key set so keys can rotate: sign with the current kid, verify with any kid in the set.
 * Every failure is a 403 (`forbidden`): the player cannot fix a token, only get a new manifest.
 */
import { SignJWT, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { z } from 'zod';

import { HttpError } from './problem.ts';

export const SEGMENT_TOKEN_ALG = 'HS256';
/** Separates segment tokens from every other HS256 token signed with a shared secret. */
export const SEGMENT_TOKEN_AUDIENCE = 'edgeflix-media';
export const SEGMENT_TOKEN_TTL_S = 60 * 60;
/** The query parameter segment URLs carry the token in. */
export const SEGMENT_TOKEN_PARAM = 'token';
const CLOCK_TOLERANCE_S = 30;
const MIN_SECRET_LENGTH = 32;

/** Secrets by kid, and which kid signs. During a rotation the set holds the old and the new key. */
export interface SegmentKeySet {
  current: string;
  keys: Readonly<Record<string, string>>;
}

const Kid = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a kid of letters, digits, ".", "_" or "-"');

export const SegmentKeySetSchema = z
  .strictObject({
    current: Kid,
    keys: z.record(Kid, z.string().min(MIN_SECRET_LENGTH, `secrets must be at least ${MIN_SECRET_LENGTH} characters`)),
  })
  .refine((set) => Object.hasOwn(set.keys, set.current), {
    message: 'current must name one of keys',
    path: ['current'],
  });

/**
 * Parses a key set from its configuration form, a JSON object such as
 * `{"current":"2026-05","keys":{"2026-04":"…","2026-05":"…"}}`. Throws naming what is wrong.
 */
export function parseSegmentKeySet(raw: string): SegmentKeySet {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error('segment key set is not JSON');
  }
  const parsed = SegmentKeySetSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `segment key set: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/** What a segment token grants: reading the files under `pfx`, for one representation of one title. */
export const SegmentClaims = z.object({
  aud: z.literal(SEGMENT_TOKEN_AUDIENCE),
  /** Title id. */
  tid: z.uuid(),
  /** Representation id: an encoding, audio track or subtitle track id. */
  rid: z.uuid(),
  /** Object-store prefix (ending in "/") or, for a subtitle file, its exact key. */
  pfx: z.string().min(1),
  /** Profile id. */
  pid: z.uuid(),
  /**
   * Account id and session id of the profile token the manifest was signed for, so a signed-out
   * session's segment tokens are refused too (the edge's session guard). Absent when that token
   * named no session.
   */
  sub: z.uuid().optional(),
  sid: z.uuid().optional(),
  iat: z.number().int(),
  exp: z.number().int(),
});
export type SegmentClaims = z.infer<typeof SegmentClaims>;

export interface SegmentGrant {
  titleId: string;
  representationId: string;
  /** e.g. `media/<titleId>/avc1-720p-sdr/`, or `media/<titleId>/subs-en.vtt` for one file. */
  prefix: string;
  profileId: string;
  /** The account and session of the caller's token, when it has a session. */
  session?: { accountId: string; sessionId: string };
}

type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
const hmacKeys = new Map<string, Promise<HmacKey>>();
/** Enough for the keys of a rotation (two) in a few configurations (tests). */
const MAX_CACHED_KEYS = 8;

/** The HMAC key for a secret, imported once per isolate: importing costs more than verifying. */
function secretKey(secret: string): Promise<HmacKey> {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
    if (hmacKeys.size >= MAX_CACHED_KEYS) hmacKeys.clear();
    hmacKeys.set(secret, key);
  }
  return key;
}

/** Signs a token for one representation with the key set's current key. */
export async function signSegmentToken(
  grant: SegmentGrant,
  keySet: SegmentKeySet,
  options: { now?: number; ttlSeconds?: number } = {},
): Promise<{ token: string; expiresAt: Date }> {
  if (!isNormalisedKey(grant.prefix, true)) throw new Error(`Segment token prefix is not a clean key: ${grant.prefix}`);
  const secret = keySet.keys[keySet.current];
  if (secret === undefined) throw new Error(`Segment key set has no key for its current kid "${keySet.current}"`);
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  const exp = iat + (options.ttlSeconds ?? SEGMENT_TOKEN_TTL_S);
  const token = await new SignJWT({
    tid: grant.titleId,
    rid: grant.representationId,
    pfx: grant.prefix,
    pid: grant.profileId,
    ...(grant.session ? { sub: grant.session.accountId, sid: grant.session.sessionId } : {}),
  })
    .setProtectedHeader({ alg: SEGMENT_TOKEN_ALG, kid: keySet.current })
    .setAudience(SEGMENT_TOKEN_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(await secretKey(secret));
  return { token, expiresAt: new Date(exp * 1000) };
}

/**
 * Verifies a segment token for a request of object `path` (the object-store key, e.g.
 * `media/<titleId>/avc1-720p-sdr/seg-3.m4s`, exactly as it appears in the URL, not decoded):
 * `verifySegmentClaims`, then `requireCoveredPath`. Throws `HttpError('forbidden')` on any failure.
 */
export async function verifySegmentToken(
  token: string,
  keySet: SegmentKeySet,
  request: { path: string; now?: number },
): Promise<SegmentClaims> {
  const claims = await verifySegmentClaims(token, keySet, request.now !== undefined ? { now: request.now } : {});
  requireCoveredPath(claims, request.path);
  return claims;
}

/**
 * The token's claims once its pinned algorithm, known kid, signature, audience and expiry hold:
 * all a caller can check before it knows which path the token must cover (a media playlist checks
 * this before it looks its title up). Throws `HttpError('forbidden')` on any failure.
 */
export async function verifySegmentClaims(
  token: string,
  keySet: SegmentKeySet,
  options: { now?: number } = {},
): Promise<SegmentClaims> {
  let header;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw forbidden('Segment token is malformed');
  }
  if (header.alg !== SEGMENT_TOKEN_ALG) throw forbidden('Segment token algorithm is not allowed');
  const secret =
    typeof header.kid === 'string' && Object.hasOwn(keySet.keys, header.kid) ? keySet.keys[header.kid] : undefined;
  if (secret === undefined) throw forbidden('Segment token was not signed by a known key');

  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, await secretKey(secret), {
      algorithms: [SEGMENT_TOKEN_ALG],
      audience: SEGMENT_TOKEN_AUDIENCE,
      requiredClaims: ['exp', 'iat'],
      clockTolerance: CLOCK_TOLERANCE_S,
      ...(options.now !== undefined ? { currentDate: new Date(options.now) } : {}),
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw forbidden('Segment token has expired');
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw forbidden('Segment token signature is invalid');
    if (err instanceof joseErrors.JOSEError) throw forbidden('Segment token is invalid');
    throw err;
  }
  const parsed = SegmentClaims.safeParse(payload);
  if (!parsed.success) throw forbidden('Segment token claims are malformed');
  return parsed.data;
}

/** Throws `HttpError('forbidden')` unless `path` is a clean key inside the token's prefix. */
export function requireCoveredPath(claims: SegmentClaims, path: string): void {
  if (!isNormalisedKey(path, false)) throw forbidden('Requested path is not a clean object key');
  const covered = claims.pfx.endsWith('/') ? path.startsWith(claims.pfx) : path === claims.pfx;
  if (!covered) throw forbidden('Segment token does not cover this path');
}

/**
 * A key made only of plain segments: unreserved characters, no empty, "." or ".." segment, no
 * leading slash, no percent-encoding (so no encoded slash or dot can slip past the prefix check).
 * A prefix must end in "/"; a subtitle prefix is a whole key.
 */
export function isNormalisedKey(key: string, prefixAllowed: boolean): boolean {
  if (key.length === 0 || key.length > 1024) return false;
  const body = prefixAllowed && key.endsWith('/') ? key.slice(0, -1) : key;
  return body.split('/').every((segment) => /^[A-Za-z0-9._~-]+$/.test(segment) && segment !== '.' && segment !== '..');
}

/** Reads the token from a segment URL's query string (`?token=…`), or a 403 when there is none. */
export function segmentTokenFromUrl(url: URL): string {
  const token = url.searchParams.get(SEGMENT_TOKEN_PARAM);
  if (!token) throw forbidden('Segment URL carries no token');
  return token;
}

function forbidden(detail: string): HttpError {
  return new HttpError('forbidden', detail);
}
