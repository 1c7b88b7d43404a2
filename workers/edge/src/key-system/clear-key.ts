/**
 * The key system behind `POST /v1/license/clearkey`: W3C Clear Key. This module is the seam a
 * production deployment replaces with a commercial DRM's licence proxy (Widevine, PlayReady,
 * FairPlay): it turns the player's licence request into key ids and the granted keys into the
 * licence. Entitlement (which keys a profile may have) is decided before, in routes/license.ts,
 * and is the same for any key system.
 */
import { fromBase64url, kidBytes, kidUuid, toBase64url } from '../../../../core/protection/key-wrap.ts';
import { ClearKeyLicenceRequest, type ClearKeyLicence } from '../../../../core/protection/wire.ts';
import { parseOrThrow } from '../../../../core/validation.ts';

/** The DASH ContentProtection scheme of this key system (the MPD names it). */
export const CLEAR_KEY_SCHEME = 'urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e';
/** What EME and dash.js call it. */
export const CLEAR_KEY_EME_NAME = 'org.w3.clearkey';

/** The key ids (UUID form) a Clear Key licence request asks for, deduplicated, in request order. */
export function requestedKeyIds(body: unknown): string[] {
  const request = parseOrThrow(ClearKeyLicenceRequest, body, 'body');
  return [...new Set(request.kids.map((kid) => kidUuid(fromBase64url(kid)!)))];
}

/** The Clear Key licence (a JWK set) for the granted keys: key id (UUID) → 16-byte key in base64url. */
export function licence(granted: ReadonlyMap<string, string>): ClearKeyLicence {
  return {
    keys: [...granted].map(([kid, k]) => ({ kty: 'oct' as const, kid: toBase64url(kidBytes(kid)), k })),
    type: 'temporary',
  };
}
