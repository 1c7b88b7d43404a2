/**
 * The manifest as JSON (the design reference's `PlaybackManifest`), for clients that ask for
 * `application/json`: the same kept representations and signed URLs as the MPD, plus what was
 * dropped and why.
 */
import { z } from 'zod';

import { KeyId, kidOfTier, Protection, videoKeyTier, type KeyTier } from '../protection/tiers.ts';
import { CLEAR_KEY_SYSTEM_SCHEME } from './dash.ts';
import { DROP_REASONS, type Dropped } from './device.ts';
import { INIT_SEGMENT, locationOf, mediaUrl, segmentName, type MediaLocations } from './location.ts';
import {
  AUDIO_ROLES,
  CHANNEL_LAYOUTS,
  CODEC_FAMILIES,
  DYNAMIC_RANGES,
  SUBTITLE_KINDS,
  type PlaybackSource,
  type Selection,
} from './source.ts';

export const QualityTier = z.strictObject({
  id: z.string(),
  /** "1920x1080" */
  resolution: z.string().regex(/^\d+x\d+$/),
  width: z.number().int(),
  height: z.number().int(),
  bandwidth: z.number().int(),
  codec: z.string(),
  codecFamily: z.enum(CODEC_FAMILIES),
  frameRate: z.string(),
  dynamicRange: z.enum(DYNAMIC_RANGES),
  segmentDuration: z.number(),
  segmentCount: z.number().int(),
  initUrl: z.string(),
  /** Segment URL template: `$Number$` is the 1-based segment number. */
  baseUrl: z.string(),
  /** The key id its segments are encrypted with (protected titles only). */
  kid: KeyId.optional(),
});
export type QualityTier = z.infer<typeof QualityTier>;

export const ManifestAudioTrack = z.strictObject({
  id: z.string(),
  language: z.string(),
  label: z.string(),
  codec: z.string(),
  channelLayout: z.enum(CHANNEL_LAYOUTS),
  channels: z.number().int(),
  bandwidth: z.number().int(),
  role: z.enum(AUDIO_ROLES),
  default: z.boolean(),
  segmentDuration: z.number(),
  segmentCount: z.number().int(),
  initUrl: z.string(),
  baseUrl: z.string(),
  kid: KeyId.optional(),
});
export type ManifestAudioTrack = z.infer<typeof ManifestAudioTrack>;

export const ManifestSubtitleTrack = z.strictObject({
  id: z.string(),
  language: z.string(),
  label: z.string(),
  kind: z.enum(SUBTITLE_KINDS),
  format: z.literal('webvtt'),
  url: z.string(),
});
export type ManifestSubtitleTrack = z.infer<typeof ManifestSubtitleTrack>;

export const PlaybackManifest = z.strictObject({
  videoId: z.uuid(),
  title: z.string(),
  duration: z.number(),
  resumePosition: z.number(),
  /** Highest bandwidth first. */
  qualities: z.array(QualityTier),
  subtitles: z.array(ManifestSubtitleTrack),
  audioTracks: z.array(ManifestAudioTrack),
  dropped: z.array(z.strictObject({ id: z.string(), kind: z.enum(['video', 'audio']), reason: z.enum(DROP_REASONS) })),
  /** Present for a protected title: the scheme, its key ids and the licence server (as the MPD's ContentProtection). */
  protection: z
    .strictObject({
      scheme: z.literal('cenc'),
      keys: Protection.shape.keys,
      keySystems: z.array(
        z.strictObject({ keySystem: z.literal('org.w3.clearkey'), schemeIdUri: z.string(), licenceUrl: z.string() }),
      ),
    })
    .optional(),
});
export type PlaybackManifest = z.infer<typeof PlaybackManifest>;

export interface JsonManifestOptions {
  kept: Selection;
  dropped: readonly Dropped[];
  locations: MediaLocations;
  resumePosition?: number;
  /** Where players get licences, for a protected source. */
  licenceUrl?: string;
}

/** The JSON manifest for `source`, listing only `options.kept`. */
export function buildJsonManifest(source: PlaybackSource, options: JsonManifestOptions): PlaybackManifest {
  const { kept, locations } = options;
  const protection = source.protection;
  if (protection && options.licenceUrl === undefined) throw new Error('a protected source needs a licence URL');
  const kid = (tier: KeyTier) => (protection ? { kid: kidOfTier(protection, tier) } : {});
  const urls = (id: string) => {
    const location = locationOf(locations, id);
    return { initUrl: mediaUrl(location, INIT_SEGMENT), baseUrl: mediaUrl(location, segmentName('$Number$')) };
  };
  return {
    videoId: source.titleId,
    title: source.name,
    duration: source.durationSeconds,
    resumePosition: Math.max(0, options.resumePosition ?? 0),
    qualities: [...kept.encodings]
      .sort((a, b) => b.bandwidth - a.bandwidth)
      .map((e) => ({
        id: e.id,
        resolution: `${e.width}x${e.height}`,
        width: e.width,
        height: e.height,
        bandwidth: e.bandwidth,
        codec: e.codec,
        codecFamily: e.codecFamily,
        frameRate: e.frameRate,
        dynamicRange: e.dynamicRange,
        segmentDuration: e.segmentDurationSeconds,
        segmentCount: e.segmentCount,
        ...urls(e.id),
        ...kid(videoKeyTier(e)),
      })),
    subtitles: kept.subtitleTracks.map((t) => ({
      id: t.id,
      language: t.language,
      label: t.label,
      kind: t.kind,
      format: 'webvtt' as const,
      url: mediaUrl(locationOf(locations, t.id)),
    })),
    audioTracks: kept.audioTracks.map((t) => ({
      id: t.id,
      language: t.language,
      label: t.label,
      codec: t.codec,
      channelLayout: t.channelLayout,
      channels: t.channels,
      bandwidth: t.bandwidth,
      role: t.role,
      default: t.isDefault,
      segmentDuration: t.segmentDurationSeconds,
      segmentCount: t.segmentCount,
      ...urls(t.id),
      ...kid('audio'),
    })),
    dropped: options.dropped.map((d) => ({ ...d })),
    ...(protection && options.licenceUrl !== undefined
      ? {
          protection: {
            scheme: protection.scheme,
            keys: protection.keys.map((k) => ({ ...k })),
            keySystems: [
              {
                keySystem: 'org.w3.clearkey' as const,
                schemeIdUri: CLEAR_KEY_SYSTEM_SCHEME,
                licenceUrl: options.licenceUrl,
              },
            ],
          },
        }
      : {}),
  };
}
