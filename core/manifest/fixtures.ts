/**
 * A sample playable title with a wide ladder (several codecs, HDR, UHD, surround, description
 * audio, captions), for unit tests and benchmarks of the manifest builders.
 */
import type { MediaLocations } from './location.ts';
import type { AudioTrack, PlaybackSource, SubtitleTrack, VideoEncoding } from './source.ts';

/** A valid version-4 UUID made from a small number, readable in test failures. */
export function fixtureId(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

export const FIXTURE_TITLE_ID = fixtureId(0xf00);

const WIDTH: Readonly<Record<number, number>> = { 240: 426, 360: 640, 480: 854, 720: 1280, 1080: 1920, 2160: 3840 };

function encoding(
  n: number,
  family: VideoEncoding['codecFamily'],
  height: number,
  codec: string,
  bandwidth: number,
  dynamicRange: VideoEncoding['dynamicRange'] = 'SDR',
): VideoEncoding {
  return {
    id: fixtureId(n),
    codec,
    codecFamily: family,
    width: WIDTH[height] ?? Math.round((height * 16) / 9),
    height,
    bandwidth,
    frameRate: '24000/1001',
    dynamicRange,
    segmentDurationSeconds: 4,
    segmentCount: 15,
    storagePrefix: `media/${FIXTURE_TITLE_ID}/${family}-${height}p-${dynamicRange.toLowerCase()}/`,
  };
}

function audio(
  n: number,
  language: string,
  label: string,
  role: AudioTrack['role'],
  isDefault: boolean,
  surround = false,
): AudioTrack {
  return {
    id: fixtureId(n),
    language,
    label,
    codec: surround ? 'ec-3' : 'mp4a.40.2',
    channelLayout: surround ? '5.1' : '2.0',
    channels: surround ? 6 : 2,
    bandwidth: surround ? 640_000 : 128_000,
    sampleRate: 48_000,
    role,
    isDefault,
    segmentDurationSeconds: 4,
    segmentCount: 15,
    storagePrefix: `media/${FIXTURE_TITLE_ID}/audio-${language}-${surround ? '5.1' : '2.0'}${role === 'description' ? '-description' : ''}/`,
  };
}

function subtitle(n: number, language: string, label: string, kind: SubtitleTrack['kind'], key: string): SubtitleTrack {
  return { id: fixtureId(n), language, label, kind, storageKey: `media/${FIXTURE_TITLE_ID}/${key}.vtt` };
}

/** A 58-second title: 15 four-second segments, the last one 2 s long. */
export function sampleSource(): PlaybackSource {
  return {
    titleId: FIXTURE_TITLE_ID,
    name: 'Tom & Jerry\'s "<Big>" Night',
    durationSeconds: 58,
    maturityRating: 'PG',
    maturityLevel: 20,
    encodings: [
      encoding(1, 'avc1', 240, 'avc1.42C01E', 300_000),
      encoding(2, 'avc1', 360, 'avc1.42C01E', 700_000),
      encoding(3, 'avc1', 480, 'avc1.4D401F', 1_200_000),
      encoding(4, 'avc1', 720, 'avc1.4D401F', 3_000_000),
      encoding(5, 'avc1', 1080, 'avc1.640028', 5_800_000),
      encoding(6, 'vp09', 360, 'vp09.00.21.08', 480_000),
      encoding(7, 'vp09', 720, 'vp09.00.31.08', 2_000_000),
      encoding(8, 'vp09', 2160, 'vp09.00.51.08', 16_000_000),
      encoding(9, 'hev1', 1080, 'hev1.2.4.L123.B0', 4_700_000, 'HDR10'),
      encoding(10, 'hev1', 2160, 'hev1.2.4.L153.B0', 19_500_000, 'HDR10'),
      encoding(11, 'av01', 1080, 'av01.0.08M.10.0.110.09.18.09.0', 4_000_000, 'HLG'),
    ],
    audioTracks: [
      audio(21, 'en', 'English', 'main', true),
      audio(22, 'en', 'English 5.1', 'main', false, true),
      audio(23, 'es', 'Español', 'dub', false),
      audio(24, 'en', 'English – Audio Description', 'description', false),
    ],
    subtitleTracks: [
      subtitle(31, 'en', 'English', 'subtitles', 'subs-en'),
      subtitle(32, 'es', 'Español', 'subtitles', 'subs-es'),
      subtitle(33, 'en', 'English (CC)', 'captions', 'subs-en-sdh'),
    ],
  };
}

/** Locations the way the edge builds them: the edge's media path per prefix, a token per representation. */
export function sampleLocations(source: PlaybackSource, origin = 'https://edge.example'): MediaLocations {
  const out: Record<string, { baseUrl: string; query: string }> = {};
  for (const r of [...source.encodings, ...source.audioTracks]) {
    out[r.id] = { baseUrl: `${origin}/v1/${r.storagePrefix}`, query: `token=tok-${r.id.slice(-4)}` };
  }
  for (const s of source.subtitleTracks) {
    out[s.id] = { baseUrl: `${origin}/v1/${s.storageKey}`, query: `token=tok-${s.id.slice(-4)}` };
  }
  return out;
}
