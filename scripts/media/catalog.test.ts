import { describe, expect, it } from 'vitest';

import { filterForDevice, DEFAULT_DEVICE_CAPABILITIES } from '../../core/manifest/device.ts';
import { PlaybackSource } from '../../core/manifest/source.ts';
import { isNormalisedKey } from '../../core/segment-token.ts';
import { mediaRows, playbackSourceOf } from './catalog.ts';
import { webVtt, type GeneratedTitle } from './generate.ts';
import { AUDIO_TRACKS, SUBTITLE_TRACKS, VIDEO_LADDER, audioDir, videoDir } from './ladder.ts';

const TITLE = '0340f609-c246-53f3-a25a-ed8542a3ae52';

/** What generateTitle writes for a 60-second title (sizes and bandwidths made up). */
const generated: GeneratedTitle = {
  generatorVersion: 1,
  paramsHash: 'x',
  titleId: TITLE,
  name: 'Octopus Rescue',
  durationSeconds: 60,
  segmentDurationSeconds: 4,
  video: VIDEO_LADDER.map((r, i) => ({
    dir: videoDir(r),
    codec: r.family === 'avc1' ? 'avc1.4d401f' : 'vp09.00.31.08',
    bandwidth: 100_000 * (i + 1),
    segmentCount: 15,
    family: r.family,
    width: r.width,
    height: r.height,
    frameRate: '24',
  })),
  audio: AUDIO_TRACKS.map((a) => ({
    dir: audioDir(a),
    codec: 'mp4a.40.2',
    bandwidth: 131_000,
    segmentCount: 15,
    language: a.language,
    label: a.label,
    role: a.role,
    isDefault: a.isDefault,
    channels: 2,
    sampleRate: 48_000,
  })),
  subtitles: SUBTITLE_TRACKS.map((s) => ({
    language: s.language,
    label: s.label,
    kind: s.kind,
    file: `${s.name}.vtt`,
  })),
  files: [],
  generationSeconds: 1,
};

describe('catalog rows for generated media', () => {
  it('describe every representation under media/<titleId>/, as the seed names them', () => {
    const rows = mediaRows(generated);
    expect(rows.encodings.map((e) => e.storage_prefix)).toEqual([
      `media/${TITLE}/avc1-240p-sdr/`,
      `media/${TITLE}/avc1-360p-sdr/`,
      `media/${TITLE}/avc1-480p-sdr/`,
      `media/${TITLE}/avc1-720p-sdr/`,
      `media/${TITLE}/vp09-360p-sdr/`,
      `media/${TITLE}/vp09-720p-sdr/`,
    ]);
    expect(rows.audio_tracks.map((a) => [a.storage_prefix, a.is_default])).toEqual([
      [`media/${TITLE}/audio-en-2.0/`, true],
      [`media/${TITLE}/audio-es-2.0/`, false],
    ]);
    expect(rows.subtitle_tracks.map((s) => s.storage_key)).toEqual([
      `media/${TITLE}/subs-en.vtt`,
      `media/${TITLE}/subs-es.vtt`,
      `media/${TITLE}/subs-en-sdh.vtt`,
    ]);
    for (const key of [...rows.encodings, ...rows.audio_tracks].map((r) => r.storage_prefix)) {
      expect(isNormalisedKey(key, true)).toBe(true);
    }
  });

  it('keep their ids from run to run', () => {
    expect(mediaRows(generated)).toEqual(mediaRows(structuredClone(generated)));
    const ids = Object.values(mediaRows(generated)).flatMap((rows: { id: string }[]) => rows.map((r) => r.id));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('make a valid PlaybackSource that a default device can play', () => {
    const source = PlaybackSource.parse(playbackSourceOf(generated, { maturityRating: 'G', maturityLevel: 10 }));
    const result = filterForDevice(source, DEFAULT_DEVICE_CAPABILITIES);
    expect(result.playable).toBe(true);
    expect(result.kept.encodings.map((e) => e.height)).toEqual([240, 360, 480, 720]);
  });
});

describe('webVtt', () => {
  it('has a cue per segment, the last one ending with the title', () => {
    const vtt = webVtt(10, (n, t) => `cue ${n} at ${t}`);
    expect(vtt.split('\n')).toEqual([
      'WEBVTT',
      '',
      '1',
      '00:00:00.000 --> 00:00:03.500',
      'cue 1 at 00:00:00',
      '',
      '2',
      '00:00:04.000 --> 00:00:07.500',
      'cue 2 at 00:00:04',
      '',
      '3',
      '00:00:08.000 --> 00:00:10.000',
      'cue 3 at 00:00:08',
      '',
    ]);
  });
});
