/**
 * The wire types of protected playback: the edge's licence endpoint (W3C Clear Key's request and
 * JWK-set answer) and the origin's internal content-key lookup the edge calls behind it.
 */
import { z } from 'zod';

import { KEY_TIERS, KeyId } from './tiers.ts';

/** A Clear Key key id: 16 bytes in base64url without padding (22 characters). */
export const ClearKeyKid = z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'a 16-byte key id in base64url (22 characters)');

/** At most this many key ids in one licence request (a title has one key per tier). */
export const MAX_LICENCE_KIDS = 16;

/** The EME Clear Key licence request (W3C Encrypted Media Extensions §9.1.3). */
export const ClearKeyLicenceRequest = z.strictObject({
  kids: z.array(ClearKeyKid).min(1).max(MAX_LICENCE_KIDS),
  type: z.enum(['temporary', 'persistent-license']).default('temporary'),
});
export type ClearKeyLicenceRequest = z.infer<typeof ClearKeyLicenceRequest>;

/** The Clear Key licence: a JWK set of the keys granted (maybe none). */
export const ClearKeyLicence = z.strictObject({
  keys: z.array(
    z.strictObject({
      kty: z.literal('oct'),
      kid: ClearKeyKid,
      /** The 16-byte content key, base64url. */
      k: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
    }),
  ),
  type: z.literal('temporary'),
});
export type ClearKeyLicence = z.infer<typeof ClearKeyLicence>;

/** The licence URL's query: the title being played. */
export const LicenceQuery = z.strictObject({ title: z.uuid() });

/** What the edge asks the origin: the content keys with these ids. */
export const ContentKeyLookupRequest = z.strictObject({ kids: z.array(KeyId).min(1).max(MAX_LICENCE_KIDS) });
export type ContentKeyLookupRequest = z.infer<typeof ContentKeyLookupRequest>;

/** One content key as the origin hands it to the edge (unwrapped; service credential only). */
export const ContentKeyEntry = z.strictObject({
  kid: KeyId,
  titleId: z.uuid(),
  titleMaturityLevel: z.number().int(),
  tier: z.enum(KEY_TIERS),
  /** The 16-byte key, base64url. */
  key: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
});
export type ContentKeyEntry = z.infer<typeof ContentKeyEntry>;

/** The keys the catalog has among those asked for; unknown ids are left out. */
export const ContentKeyLookupResponse = z.strictObject({ keys: z.array(ContentKeyEntry) });
export type ContentKeyLookupResponse = z.infer<typeof ContentKeyLookupResponse>;
