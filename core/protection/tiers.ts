/**
 * Content-key tiers and who may hold which key. A protected title has one content key per tier it
 * uses: `audio`, `sd` (up to 480 lines), `hd` (481 to 1080 lines, SDR) and `uhd` (above 1080 lines,
 * or any HDR). A plan's key ceiling says how far up a profile may go, so a basic profile never
 * holds an HD key. The packager, the manifests and the licence route all call these rules.
 */
import { z } from 'zod';

export const KEY_TIERS = ['audio', 'sd', 'hd', 'uhd'] as const;
export type KeyTier = (typeof KEY_TIERS)[number];
/** The video tiers, lowest first. */
export const VIDEO_KEY_TIERS = ['sd', 'hd', 'uhd'] as const satisfies readonly KeyTier[];
export type VideoKeyTier = (typeof VIDEO_KEY_TIERS)[number];

/** The tallest frame in each video tier below UHD. */
export const SD_MAX_HEIGHT = 480;
export const HD_MAX_HEIGHT = 1080;

/** The key tier of a video representation. */
export function videoKeyTier(video: { height: number; dynamicRange: string }): VideoKeyTier {
  if (video.dynamicRange !== 'SDR' || video.height > HD_MAX_HEIGHT) return 'uhd';
  return video.height > SD_MAX_HEIGHT ? 'hd' : 'sd';
}

/** The highest video key tier each plan may hold (the plan id is the profile token's `plan` claim). */
export const PLAN_KEY_CEILING: Readonly<Record<string, VideoKeyTier>> = Object.freeze({
  basic: 'sd',
  standard: 'hd',
  premium: 'uhd',
});

/** The ceiling of `planId`; an unknown plan gets the lowest rather than everything. */
export function planKeyCeiling(planId: string): VideoKeyTier {
  return (Object.hasOwn(PLAN_KEY_CEILING, planId) ? PLAN_KEY_CEILING[planId] : undefined) ?? 'sd';
}

/**
 * The plan limits a manifest of a protected title applies: no taller than the plan's key ceiling
 * allows (SD: 480 lines, HD: 1080), and HDR only with UHD keys, so the manifest never lists a
 * rendition the profile could not get the key of.
 */
export function limitsWithinKeyCeiling<L extends { maxHeightFromPlan?: number; hdrFromPlan?: boolean }>(
  limits: L,
  planId: string,
): L {
  const ceiling = planKeyCeiling(planId);
  if (ceiling === 'uhd') return limits;
  const height = ceiling === 'sd' ? SD_MAX_HEIGHT : HD_MAX_HEIGHT;
  return { ...limits, maxHeightFromPlan: Math.min(limits.maxHeightFromPlan ?? height, height), hdrFromPlan: false };
}

/** Whether a plan may hold a key of `tier` (audio keys go with every plan). */
export function planCoversTier(planId: string, tier: KeyTier): boolean {
  if (tier === 'audio') return true;
  return VIDEO_KEY_TIERS.indexOf(tier) <= VIDEO_KEY_TIERS.indexOf(planKeyCeiling(planId));
}

/** Why a key is left out of a licence; see `keyDecision`. */
export const WITHHELD_REASONS = ['unknown', 'other-title', 'maturity', 'plan'] as const;
export type WithheldReason = (typeof WITHHELD_REASONS)[number];

export interface KeyRequestContext {
  /** The title the player asks keys for (the licence URL's `title`). */
  titleId: string;
  planId: string;
  profileMaturityLevel: number;
}

/** What the licence server knows about one requested key id: nothing (unknown), or its owner and tier. */
export type KnownKey = { titleId: string; titleMaturityLevel: number; tier: KeyTier } | undefined;

/**
 * Whether one requested key may be handed out, else the first reason it may not, checked in
 * `WITHHELD_REASONS` order: an unknown key id, a key of another title, a title above the profile's
 * maturity level, a tier above the plan's ceiling.
 */
export function keyDecision(context: KeyRequestContext, key: KnownKey): 'granted' | WithheldReason {
  if (!key) return 'unknown';
  if (key.titleId !== context.titleId) return 'other-title';
  if (key.titleMaturityLevel > context.profileMaturityLevel) return 'maturity';
  if (!planCoversTier(context.planId, key.tier)) return 'plan';
  return 'granted';
}

/**
 * A key id as the catalog and the MPD write it: 16 bytes in UUID form (`cenc:default_KID`). Any
 * 16 bytes, not only RFC 9562 UUIDs: players send whatever key ids the media names.
 */
export const KeyId = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a key id (16 bytes, lower-case UUID form)');

/** How a protected title is encrypted, as the playback source carries it: one key id per tier. */
export const Protection = z.strictObject({
  /** ISO/IEC 23001-7 Common Encryption, AES-CTR. */
  scheme: z.literal('cenc'),
  keys: z.array(z.strictObject({ tier: z.enum(KEY_TIERS), kid: KeyId })).min(1),
});
export type Protection = z.infer<typeof Protection>;

/** The key id of `tier` in `protection`, or undefined when the title has none. */
export function kidOfTier(protection: Protection, tier: KeyTier): string | undefined {
  return protection.keys.find((k) => k.tier === tier)?.kid;
}
