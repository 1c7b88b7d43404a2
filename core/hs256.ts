/**
 * HS256 compact JWS (RFC 7515) for the service credential, on the cheapest HMAC the runtime has.
 * In Node a WebCrypto call is a job on the thread pool, and signing or verifying one small
 * credential that way cost the origin more than routing the request (bench/sessions.bench.ts);
 * Node's own `node:crypto` HMAC is synchronous and several times cheaper. Workers, where WebCrypto
 * is native and `node:crypto` needs a compatibility flag, keep WebCrypto.
 *
 * Only the signature and the JOSE header are checked here; the claims are checked by the caller
 * (core/tokens.ts `verifyServiceToken`).
 */
import { HttpError } from './problem.ts';

/** The one algorithm: the service credential's (core/tokens.ts SERVICE_TOKEN_ALG). */
export const HS256_ALG = 'HS256';
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
interface NodeBuffer {
  from(bytes: Uint8Array | string, encoding?: 'base64url'): Uint8Array & { toString(encoding: 'base64url'): string };
}
const nodeBuffer = (globalThis as { Buffer?: NodeBuffer }).Buffer;
/** The protected header of every credential we mint, encoded once. */
const HEADER = base64url(encoder.encode(JSON.stringify({ alg: HS256_ALG, typ: 'JWT' })));

interface NodeCrypto {
  createHmac(alg: 'sha256', key: string): { update(data: string): { digest(): Uint8Array } };
  createHash(alg: 'sha256'): { update(data: Uint8Array): { digest(): Uint8Array } };
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
}

/** `node:crypto` where the runtime offers it without an import (Node ≥ 20.16), else undefined. */
function nodeCrypto(): NodeCrypto | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;
}
const node = nodeCrypto();

type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
const webKeys = new Map<string, Promise<HmacKey>>();

/** The WebCrypto key for a secret, imported once (only the current one and the one before it kept). */
function webKey(secret: string): Promise<HmacKey> {
  let key = webKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
    if (webKeys.size >= 2) webKeys.clear();
    webKeys.set(secret, key);
  }
  return key;
}

export function base64url(bytes: Uint8Array): string {
  if (nodeBuffer) return nodeBuffer.from(bytes).toString('base64url');
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw new Error('not base64url');
  if (nodeBuffer) return nodeBuffer.from(text, 'base64url');
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** SHA-256 of some bytes, on the same cheapest path as the HMAC (a body digest per credential). */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  if (node) return node.createHash('sha256').update(bytes).digest();
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

async function mac(secret: string, signingInput: string): Promise<Uint8Array> {
  if (node) return node.createHmac('sha256', secret).update(signingInput).digest();
  return new Uint8Array(await crypto.subtle.sign('HMAC', await webKey(secret), encoder.encode(signingInput)));
}

/** A compact HS256 JWS of `payload` (header `{"alg":"HS256","typ":"JWT"}`). */
export async function signHs256(payload: Record<string, unknown>, secret: string): Promise<string> {
  const signingInput = `${HEADER}.${base64url(encoder.encode(JSON.stringify(payload)))}`;
  return `${signingInput}.${base64url(await mac(secret, signingInput))}`;
}

function malformed(): HttpError {
  return new HttpError('invalid_token', 'Token is malformed');
}

/**
 * The payload of a compact JWS whose header names exactly HS256 (no `crit`, so no extension can
 * change what is signed) and whose signature holds under `secret`, compared in constant time.
 */
export async function verifyHs256(token: string, secret: string): Promise<Record<string, unknown>> {
  const parts = token.split('.');
  if (parts.length !== 3) throw malformed();
  const [header, payload, signature] = parts as [string, string, string];
  let protectedHeader: unknown;
  let presented: Uint8Array;
  try {
    protectedHeader = JSON.parse(decoder.decode(fromBase64url(header)));
    presented = fromBase64url(signature);
    // One spelling per signature: base64url's spare bits in the last character must be zero.
    if (base64url(presented) !== signature) throw new Error('not canonical');
  } catch {
    throw malformed();
  }
  if (typeof protectedHeader !== 'object' || protectedHeader === null || Array.isArray(protectedHeader)) {
    throw malformed();
  }
  const fields = protectedHeader as Record<string, unknown>;
  if (fields.alg !== HS256_ALG) throw new HttpError('invalid_token', 'Token algorithm is not allowed');
  if ('crit' in fields) throw malformed();
  const signingInput = `${header}.${payload}`;
  const valid = node
    ? presented.byteLength === 32 && node.timingSafeEqual(presented, await mac(secret, signingInput))
    : await crypto.subtle.verify('HMAC', await webKey(secret), presented, encoder.encode(signingInput));
  if (!valid) throw new HttpError('invalid_token', 'Token signature is invalid');
  let claims: unknown;
  try {
    claims = JSON.parse(decoder.decode(fromBase64url(payload)));
  } catch {
    throw malformed();
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw malformed();
  return claims as Record<string, unknown>;
}
