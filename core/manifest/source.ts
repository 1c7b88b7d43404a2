/**
 * What the edge needs to know about a playable title to build its manifests: the origin sends it
 * as JSON (`GET /internal/v1/playback/{titleId}/source`), the edge caches it per title. Shaped
 * after the catalog tables (`encodings`, `audio_tracks`, `subtitle_tracks`), in camelCase.
 */
import { z } from 'zod';

import { Protection } from '../protection/tiers.ts';

export const CODEC_FAMILIES = ['avc1', 'hev1', 'hvc1', 'vp09', 'av01'] as const;
export type CodecFamily = (typeof CODEC_FAMILIES)[number];

export const DYNAMIC_RANGES = ['SDR', 'HDR10', 'HLG', 'DV'] as const;
export type DynamicRange = (typeof DYNAMIC_RANGES)[number];

export const CHANNEL_LAYOUTS = ['1.0', '2.0', '5.1', '7.1'] as const;
export const AUDIO_ROLES = ['main', 'dub', 'commentary', 'description'] as const;
export type AudioRole = (typeof AUDIO_ROLES)[number];
export const SUBTITLE_KINDS = ['subtitles', 'captions', 'forced'] as const;
export type SubtitleKind = (typeof SUBTITLE_KINDS)[number];

/** RFC 6381 codec string: letters, digits, dots and dashes (nothing that needs escaping anywhere). */
const Codec = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$/, 'an RFC 6381 codecs string');
/** BCP 47 tag, as the catalog stores it. */
const Language = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a BCP 47 language tag');
/** Object-store keys: plain path segments, no `.`/`..`, no empty segments. */
const KEY_SEGMENT = '(?!\\.\\.?(?:/|$))[A-Za-z0-9._~-]+';
const StoragePrefix = z
  .string()
  .regex(new RegExp(`^(?:${KEY_SEGMENT}/)+$`), 'an object-store key prefix ending in "/"')
  .max(512);
const StorageKey = z
  .string()
  .regex(new RegExp(`^(?:${KEY_SEGMENT}/)*${KEY_SEGMENT}$`), 'an object-store key')
  .max(512);
const SegmentDuration = z.number().positive().max(60);
const Count = z.number().int().positive();

/** One video representation (a row of `encodings`). */
export const VideoEncoding = z.strictObject({
  id: z.uuid(),
  codec: Codec,
  codecFamily: z.enum(CODEC_FAMILIES),
  width: Count,
  height: Count,
  /** Bits per second (peak segment rate: what DASH `@bandwidth` and HLS `BANDWIDTH` mean). */
  bandwidth: Count,
  /** DASH form: an integer or a ratio such as "24000/1001". */
  frameRate: z.string().regex(/^[1-9][0-9]*(\/[1-9][0-9]*)?$/, 'a frame rate such as 24 or 24000/1001'),
  dynamicRange: z.enum(DYNAMIC_RANGES),
  segmentDurationSeconds: SegmentDuration,
  segmentCount: Count,
  storagePrefix: StoragePrefix,
});
export type VideoEncoding = z.infer<typeof VideoEncoding>;

/** One audio representation (a row of `audio_tracks`). */
export const AudioTrack = z.strictObject({
  id: z.uuid(),
  language: Language,
  label: z.string().min(1).max(200),
  codec: Codec,
  channelLayout: z.enum(CHANNEL_LAYOUTS),
  channels: Count.max(32),
  bandwidth: Count,
  sampleRate: Count,
  role: z.enum(AUDIO_ROLES),
  isDefault: z.boolean(),
  segmentDurationSeconds: SegmentDuration,
  segmentCount: Count,
  storagePrefix: StoragePrefix,
});
export type AudioTrack = z.infer<typeof AudioTrack>;

/** One WebVTT file (a row of `subtitle_tracks`). */
export const SubtitleTrack = z.strictObject({
  id: z.uuid(),
  language: Language,
  label: z.string().min(1).max(200),
  kind: z.enum(SUBTITLE_KINDS),
  storageKey: StorageKey,
});
export type SubtitleTrack = z.infer<typeof SubtitleTrack>;

/** A playable title (movie or episode) with its whole ladder, before any device filtering. */
export const PlaybackSource = z.strictObject({
  titleId: z.uuid(),
  name: z.string().min(1).max(500),
  durationSeconds: z.number().positive(),
  /** The title's rating and its level, so the edge can refuse a profile without asking the origin. */
  maturityRating: z.string(),
  maturityLevel: z.number().int(),
  encodings: z.array(VideoEncoding),
  audioTracks: z.array(AudioTrack),
  subtitleTracks: z.array(SubtitleTrack),
  /** Present when the title is protected (CENC): one key id per tier its representations use. */
  protection: Protection.optional(),
});
export type PlaybackSource = z.infer<typeof PlaybackSource>;

/** The representations a manifest lists (what survived device and plan filtering). */
export interface Selection {
  encodings: VideoEncoding[];
  audioTracks: AudioTrack[];
  subtitleTracks: SubtitleTrack[];
}

/** A DASH frame rate ("24000/1001") as a number of frames per second. */
export function frameRateValue(frameRate: string): number {
  const [num, den] = frameRate.split('/');
  return Number(num) / (den === undefined ? 1 : Number(den));
}
