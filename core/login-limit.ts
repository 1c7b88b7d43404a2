/**
 * The login limiter's rules, apart from where the counts live: it stops password guessing without
 * letting a stranger lock the owner out (OWASP's "device cookie" scheme). The edge applies them
 * (workers/edge/src/http/login-limit.ts) with the counts in the `RateLimiter` Durable Object.
 *
 * - Per address, every attempt counts: the `auth` tier of core/rate-limit.ts, unchanged.
 * - Per email, only failed attempts count (a wrong password): `auth.limit` per `auth.windowMs`.
 *   An attempt is counted when it starts, so a burst of parallel guesses cannot slip past the
 *   count, and given back once it turns out not to be a failure (it signed in, or never reached
 *   the password check). A success gives back its own attempt only: it does not wipe the failures
 *   from elsewhere, or each time the owner signs in the guesser would get a fresh budget.
 * - Every successful sign-in hands its device a device token: opaque to the client, naming a random
 *   id and an expiry, bound to the email by an HMAC. A login that presents a valid token for its
 *   email is counted against that token's own budget instead of the email's: `auth.limit` failures
 *   over the token's life, reset by each success. So failures from elsewhere never block a device
 *   that signed in before. A token past its budget is invalid for good: its device is an unknown
 *   device again (counted per email), and its next success hands it a new token.
 */
import { base64url } from 'jose';
import type { Decision, LimitCheck, LimitRelease } from './rate-limit.ts';

/** How long a device token is honoured (a device that signs in again gets a new one). */
export const DEVICE_TOKEN_TTL_S = 365 * 86_400;
const DEVICE_TOKEN_VERSION = 'dt1';
/** Separates the device-token key from every other use of the secret it is derived from. */
const KEY_LABEL = 'edgeflix device token v1';
const DEVICE_TOKEN_PATTERN = /^dt1\.([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

/** The email a limit counts by: as the origin looks it up (trimmed, lower-cased). */
export function loginEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Limit keys of the login limiter (the email is hashed: no key names a person). */
export const LOGIN_KEYS = {
  email: (emailHash: string) => `auth:email:${emailHash}`,
  device: (deviceId: string) => `auth:device:${deviceId}`,
};

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

const hmac = (raw: Uint8Array) =>
  crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);

/** The device-token key, derived from a secret (the edge's service secret) and a label of its own. */
export async function deviceTokenKey(secret: string): Promise<HmacKey> {
  const derived = await crypto.subtle.sign(
    'HMAC',
    await hmac(new TextEncoder().encode(secret)),
    new TextEncoder().encode(KEY_LABEL),
  );
  return hmac(new Uint8Array(derived));
}

const signed = (id: string, exp: number, email: string) =>
  new TextEncoder().encode(`${DEVICE_TOKEN_VERSION}.${id}.${exp}.${loginEmail(email)}`);

/** A new device token for a device that just signed in as `email`: `dt1.<id>.<exp>.<mac>`. */
export async function signDeviceToken(email: string, key: HmacKey, now: number = Date.now()): Promise<string> {
  const id = base64url.encode(crypto.getRandomValues(new Uint8Array(16)));
  const exp = Math.floor(now / 1000) + DEVICE_TOKEN_TTL_S;
  const mac = base64url.encode(new Uint8Array(await crypto.subtle.sign('HMAC', key, signed(id, exp, email))));
  return `${DEVICE_TOKEN_VERSION}.${id}.${exp}.${mac}`;
}

/**
 * The device id of a token issued for `email` and not expired, or undefined for anything else
 * (malformed, forged, expired, or issued for another email): such a device is an unknown one.
 */
export async function verifyDeviceToken(
  token: string,
  email: string,
  key: HmacKey,
  now: number = Date.now(),
): Promise<string | undefined> {
  const match = DEVICE_TOKEN_PATTERN.exec(token);
  if (!match) return undefined;
  const [, id, expText, macText] = match as unknown as [string, string, string, string];
  const exp = Number(expText);
  if (exp * 1000 <= now) return undefined;
  let mac: Uint8Array;
  try {
    mac = base64url.decode(macText);
  } catch {
    return undefined;
  }
  // The last character carries unused bits: only the canonical spelling is the token.
  if (base64url.encode(mac) !== macText) return undefined;
  const ok = await crypto.subtle.verify('HMAC', key, mac, signed(id, exp, email));
  return ok ? id : undefined;
}

/** Where the limiter's counts live: the RateLimiter Durable Object at the edge, a map in tests. */
export interface LimitStore {
  check(checks: LimitCheck[]): Promise<Decision[]>;
  release(releases: LimitRelease[]): Promise<void>;
}

/** The per-email failure budget: the `auth` tier's limit and window. */
export interface LoginRule {
  limit: number;
  windowMs: number;
}

/** What a login is counted by: its email's hash, and the id of its device token if that verified. */
export interface LoginSubject {
  emailHash: string;
  deviceId?: string | undefined;
}

export type LoginAdmission =
  /** Go ahead and check the password; `counted` is the attempt to give back unless it fails. */
  | { allowed: true; trusted: boolean; counted: { key: string; at: number }; decision: Decision }
  /** Too many failures for this email (or this device's budget and then the email's). */
  | { allowed: false; decision: Decision };

/**
 * Counts a login attempt before its password is checked: against its device token's budget when it
 * has a valid one with budget left, else against its email's.
 */
export async function admitLogin(store: LimitStore, rule: LoginRule, subject: LoginSubject): Promise<LoginAdmission> {
  if (subject.deviceId !== undefined) {
    const key = LOGIN_KEYS.device(subject.deviceId);
    const [decision] = await store.check([{ key, limit: rule.limit, windowMs: DEVICE_TOKEN_TTL_S * 1000 }]);
    if (decision!.allowed)
      return { allowed: true, trusted: true, counted: { key, at: decision!.at }, decision: decision! };
    // Past its budget the token is worth nothing: the device is an unknown one now.
  }
  const key = LOGIN_KEYS.email(subject.emailHash);
  const [decision] = await store.check([{ key, limit: rule.limit, windowMs: rule.windowMs }]);
  if (!decision!.allowed) return { allowed: false, decision: decision! };
  return { allowed: true, trusted: false, counted: { key, at: decision!.at }, decision: decision! };
}

/** How a login attempt ended: a wrong password is the only `failed`. */
export type LoginOutcome = 'succeeded' | 'failed' | 'undecided';

/** The outcome of the origin's answer to a login: 2xx signed in, 401 a wrong password, else undecided. */
export function loginOutcome(status: number): LoginOutcome {
  if (status >= 200 && status < 300) return 'succeeded';
  return status === 401 ? 'failed' : 'undecided';
}

/**
 * What to give back once the outcome is known: nothing for a failure; the attempt itself for a
 * success or an attempt that never reached the password check; a trusted device's whole failure
 * count for its success (the device's holder knows the password).
 */
export function loginReleases(
  admission: Extract<LoginAdmission, { allowed: true }>,
  outcome: LoginOutcome,
): LimitRelease[] {
  if (outcome === 'failed') return [];
  if (outcome === 'succeeded' && admission.trusted) return [{ key: admission.counted.key, all: true }];
  return [{ key: admission.counted.key, at: admission.counted.at }];
}
