/**
 * What the media script generates for each demo title: the video ladder, the audio languages and
 * the subtitle tracks, with their object-store names. Changing anything here changes the
 * parameters hash, so cached titles are regenerated.
 */
import { createHash } from 'node:crypto';

export const GENERATOR_VERSION = 1;
export const SEGMENT_SECONDS = 4;
export const FRAME_RATE = 24;
export const AUDIO_SAMPLE_RATE = 48_000;
/** Keyframes exactly at segment boundaries, so every representation's segments align. */
export const GOP_FRAMES = SEGMENT_SECONDS * FRAME_RATE;
/** The pattern is drawn at this size and scaled down for each rung, so rungs show the same picture. */
export const SOURCE_SIZE = { width: 1280, height: 720 } as const;

export type VideoCodec = 'avc1' | 'vp09';

export interface VideoRung {
  family: VideoCodec;
  width: number;
  height: number;
  /** Target bitrate in kbit/s; the measured peak goes into the catalog. */
  kbps: number;
}

/** ≥ 4 renditions in two codecs Chromium plays (H.264 and VP9), 4-second aligned segments. */
export const VIDEO_LADDER: readonly VideoRung[] = [
  { family: 'avc1', width: 426, height: 240, kbps: 200 },
  { family: 'avc1', width: 640, height: 360, kbps: 400 },
  { family: 'avc1', width: 854, height: 480, kbps: 800 },
  { family: 'avc1', width: 1280, height: 720, kbps: 1600 },
  { family: 'vp09', width: 640, height: 360, kbps: 300 },
  { family: 'vp09', width: 1280, height: 720, kbps: 1000 },
];

export interface AudioSpec {
  language: string;
  label: string;
  role: 'main' | 'dub';
  isDefault: boolean;
  /** Tone frequency: each language sounds different, so a track switch is audible. */
  frequency: number;
  kbps: number;
}

export const AUDIO_TRACKS: readonly AudioSpec[] = [
  { language: 'en', label: 'English', role: 'main', isDefault: true, frequency: 440, kbps: 128 },
  { language: 'es', label: 'Español', role: 'dub', isDefault: false, frequency: 660, kbps: 128 },
];

export interface SubtitleSpec {
  language: string;
  label: string;
  kind: 'subtitles' | 'captions';
  /** File name (without `.vtt`), as the seed names them. */
  name: string;
  /** The cue text for segment `n` at `time` ("00:00:08"). */
  cue: (n: number, time: string) => string;
}

export const SUBTITLE_TRACKS: readonly SubtitleSpec[] = [
  {
    language: 'en',
    label: 'English',
    kind: 'subtitles',
    name: 'subs-en',
    cue: (n, t) => `Segment ${n} begins at ${t}`,
  },
  {
    language: 'es',
    label: 'Español',
    kind: 'subtitles',
    name: 'subs-es',
    cue: (n, t) => `El segmento ${n} empieza a las ${t}`,
  },
  {
    language: 'en',
    label: 'English (CC)',
    kind: 'captions',
    name: 'subs-en-sdh',
    cue: (n, t) => `[440 Hz tone, beeping] Segment ${n} (${t})`,
  },
];

/** Folder (and object-store prefix tail) of a video rung: `avc1-720p-sdr`. */
export function videoDir(rung: VideoRung): string {
  return `${rung.family}-${rung.height}p-sdr`;
}

/** Folder of an audio track: `audio-en-2.0`. */
export function audioDir(audio: AudioSpec): string {
  return `audio-${audio.language}-2.0`;
}

/** The object-store key of a file of title `titleId` (`media/<titleId>/<path>`). */
export function objectKey(titleId: string, path: string): string {
  return `media/${titleId}/${path}`;
}

/** A hash of everything that shapes a title's files: equal hashes mean the cached files are current. */
export function parametersHash(title: { id: string; name: string }, durationSeconds: number): string {
  const subtitles = SUBTITLE_TRACKS.map((s) => ({ ...s, cue: s.cue(1, '00:00:00') }));
  const params = {
    GENERATOR_VERSION,
    title,
    durationSeconds,
    SEGMENT_SECONDS,
    FRAME_RATE,
    AUDIO_SAMPLE_RATE,
    SOURCE_SIZE,
    VIDEO_LADDER,
    AUDIO_TRACKS,
    subtitles,
  };
  return createHash('sha256').update(JSON.stringify(params)).digest('hex');
}

/** Every representation folder of a title, in the order they are encoded. */
export const ALL_REPRESENTATIONS: readonly string[] = [...VIDEO_LADDER.map(videoDir), ...AUDIO_TRACKS.map(audioDir)];

/**
 * What a title gets first, so it is playable early: the lowest H.264 rung (every browser decodes
 * it, and it is the cheapest to encode) and the default audio track. The rest of the ladder follows.
 */
export const FIRST_REPRESENTATIONS: readonly string[] = [
  videoDir(VIDEO_LADDER.find((r) => r.family === 'avc1')!),
  audioDir(AUDIO_TRACKS.find((a) => a.isDefault)!),
];
