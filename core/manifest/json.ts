/**
 * The manifest as JSON (the design reference's `PlaybackManifest`), for clients that ask for
 * `application/json`: the same kept representations and signed URLs as the MPD, plus what was
 * dropped and why.
 */
import { z } from 'zod';

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
});
export type PlaybackManifest = z.infer<typeof PlaybackManifest>;

export interface JsonManifestOptions {
  kept: Selection;
  dropped: readonly Dropped[];
  locations: MediaLocations;
  resumePosition?: number;
}

/** The JSON manifest for `source`, listing only `options.kept`. */
export function buildJsonManifest(source: PlaybackSource, options: JsonManifestOptions): PlaybackManifest {
  const { kept, locations } = options;
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
    })),
    dropped: options.dropped.map((d) => ({ ...d })),
  };
}
