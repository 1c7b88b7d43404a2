/** fast-check generators of titles and device capabilities, for the property tests of this folder. */
import fc from 'fast-check';

import type { DeviceCapabilities, PlanLimits } from './device.ts';
import { fixtureId } from './fixtures.ts';
import { CODEC_FAMILIES, DYNAMIC_RANGES, type AudioTrack, type PlaybackSource, type VideoEncoding } from './source.ts';

const HEIGHTS = [240, 360, 480, 720, 1080, 1440, 2160] as const;
const CODEC_SUFFIX: Readonly<Record<VideoEncoding['codecFamily'], readonly string[]>> = {
  avc1: ['42C01E', '4D401F', '640028'],
  hev1: ['1.6.L93.B0', '2.4.L153.B0'],
  hvc1: ['1.6.L93.B0'],
  vp09: ['00.31.08', '02.51.10.01.09.16.09.00'],
  av01: ['0.08M.08', '0.12M.10.0.110.09.16.09.0'],
};
const AUDIO_CODECS = ['mp4a.40.2', 'mp4a.40.5', 'ec-3', 'ac-3', 'opus'] as const;
const FRAME_RATES = ['24', '25', '30', '24000/1001', '30000/1001', '60'] as const;

const videoShape = fc.record({
  family: fc.constantFrom(...CODEC_FAMILIES),
  height: fc.constantFrom(...HEIGHTS),
  range: fc.constantFrom(...DYNAMIC_RANGES),
  suffixIndex: fc.nat(2),
  bandwidth: fc.integer({ min: 100_000, max: 40_000_000 }),
  frameRate: fc.constantFrom(...FRAME_RATES),
  segment: fc.constantFrom(2, 4, 6),
});

const audioShape = fc.record({
  language: fc.constantFrom('en', 'es', 'fr', 'pt-BR'),
  codec: fc.constantFrom(...AUDIO_CODECS),
  role: fc.constantFrom('main', 'dub', 'commentary', 'description') as fc.Arbitrary<AudioTrack['role']>,
  bandwidth: fc.integer({ min: 32_000, max: 768_000 }),
  surround: fc.boolean(),
});

/** Any title: 0–12 encodings of any family/height/range, 0–5 audio tracks, 0–3 subtitle tracks. */
export const arbitrarySource: fc.Arbitrary<PlaybackSource> = fc
  .record({
    videos: fc.array(videoShape, { maxLength: 12 }),
    audios: fc.array(audioShape, { maxLength: 5 }),
    subtitles: fc.integer({ min: 0, max: 3 }),
    duration: fc.integer({ min: 1, max: 7200 }),
    defaultAudio: fc.nat(4),
  })
  .map(({ videos, audios, subtitles, duration, defaultAudio }) => {
    const titleId = fixtureId(0xabc);
    const encodings = videos.map((v, i): VideoEncoding => {
      const suffixes = CODEC_SUFFIX[v.family];
      return {
        id: fixtureId(100 + i),
        codec: `${v.family}.${suffixes[v.suffixIndex % suffixes.length] ?? ''}`,
        codecFamily: v.family,
        width: Math.round((v.height * 16) / 9),
        height: v.height,
        bandwidth: v.bandwidth,
        frameRate: v.frameRate,
        dynamicRange: v.range,
        segmentDurationSeconds: v.segment,
        segmentCount: Math.ceil(duration / v.segment),
        storagePrefix: `media/${titleId}/v${i}/`,
      };
    });
    const audioTracks = audios.map((a, i): AudioTrack => ({
      id: fixtureId(200 + i),
      language: a.language,
      label: `${a.language} ${i}`,
      codec: a.codec,
      channelLayout: a.surround ? '5.1' : '2.0',
      channels: a.surround ? 6 : 2,
      bandwidth: a.bandwidth,
      sampleRate: 48_000,
      role: a.role,
      isDefault: i === defaultAudio % Math.max(1, audios.length),
      segmentDurationSeconds: 4,
      segmentCount: Math.ceil(duration / 4),
      storagePrefix: `media/${titleId}/a${i}/`,
    }));
    const subtitleTracks = Array.from({ length: subtitles }, (_, i) => ({
      id: fixtureId(300 + i),
      language: ['en', 'es', 'fr'][i] ?? 'en',
      label: `Subtitles ${i}`,
      kind: (['subtitles', 'captions', 'forced'] as const)[i] ?? 'subtitles',
      storageKey: `media/${titleId}/subs-${i}.vtt`,
    }));
    return {
      titleId,
      name: 'Arbitrary',
      durationSeconds: duration,
      maturityRating: 'PG',
      maturityLevel: 20,
      encodings,
      audioTracks,
      subtitleTracks,
    };
  });

/** Any device: a mix of codec families and exact strings, any frame limit, HDR flags, maybe a bandwidth cap. */
export const arbitraryCapabilities: fc.Arbitrary<DeviceCapabilities> = fc
  .record({
    families: fc.subarray([...CODEC_FAMILIES, 'mp4a', 'ec-3', 'opus']),
    exact: fc.subarray(['avc1.640028', 'hev1.2.4.l153.b0', 'vp09.00.31.08', 'ac-3', 'mp4a.40.5']),
    maxWidth: fc.constantFrom(640, 1280, 1920, 3840),
    maxHeight: fc.constantFrom(360, 720, 1080, 2160),
    hdr10: fc.boolean(),
    hlg: fc.boolean(),
    dv: fc.boolean(),
    maxBandwidth: fc.option(fc.integer({ min: 50_000, max: 50_000_000 }), { nil: undefined }),
  })
  .filter((c) => c.families.length + c.exact.length > 0)
  .map((c) => ({
    codecs: [...c.families, ...c.exact],
    maxWidth: c.maxWidth,
    maxHeight: c.maxHeight,
    hdr: { hdr10: c.hdr10, hlg: c.hlg, dv: c.dv },
    ...(c.maxBandwidth === undefined ? {} : { maxBandwidth: c.maxBandwidth }),
  }));

export const arbitraryPlan: fc.Arbitrary<PlanLimits> = fc.record(
  { maxHeightFromPlan: fc.constantFrom(720, 1080, 2160), hdrFromPlan: fc.boolean() },
  { requiredKeys: [] },
);
