import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { arbitraryCapabilities, arbitrarySource } from './arbitraries.ts';
import { DEFAULT_DEVICE_CAPABILITIES, filterForDevice } from './device.ts';
import { fixtureId, sampleLocations, sampleSource } from './fixtures.ts';
import { buildMasterPlaylist, buildMediaPlaylist, buildSubtitlePlaylist, segmentDurations } from './hls.ts';
import type { PlaybackSource, Selection } from './source.ts';

interface Tag {
  name: string;
  value: string;
  attrs: Record<string, string>;
  /** The URI line after an EXT-X-STREAM-INF or EXTINF. */
  uri?: string;
}

/** Parses a playlist into tags with their attribute lists (quoted strings unquoted). */
function parsePlaylist(text: string): Tag[] {
  const lines = text.split('\n');
  expect(lines[0]).toBe('#EXTM3U');
  expect(text.endsWith('\n')).toBe(true);
  const tags: Tag[] = [];
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    if (line.startsWith('#EXT')) {
      const colon = line.indexOf(':');
      const name = colon < 0 ? line.slice(1) : line.slice(1, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1);
      const attrs: Record<string, string> = {};
      for (const m of value.matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)) {
        attrs[m[1]!] = m[2]!.startsWith('"') ? m[2]!.slice(1, -1) : m[2]!;
      }
      tags.push({ name, value, attrs });
    } else {
      const last = tags.at(-1);
      expect(last?.name === 'EXT-X-STREAM-INF' || last?.name === 'EXTINF').toBe(true);
      last!.uri = line;
    }
  }
  return tags;
}

const playlistUris = (source: PlaybackSource) =>
  Object.fromEntries(
    [...source.encodings, ...source.audioTracks, ...source.subtitleTracks].map((r) => [
      r.id,
      `https://edge.example/v1/playback/${source.titleId}/hls/${r.id}.m3u8`,
    ]),
  );

const everything = (source: PlaybackSource): Selection => ({
  encodings: source.encodings,
  audioTracks: source.audioTracks,
  subtitleTracks: source.subtitleTracks,
});

describe('buildMasterPlaylist', () => {
  const source = sampleSource();

  it('declares version 7 and independent segments', () => {
    const tags = parsePlaylist(buildMasterPlaylist({ kept: everything(source), playlistUris: playlistUris(source) }));
    expect(tags[0]).toMatchObject({ name: 'EXT-X-VERSION', value: '7' });
    expect(tags[1]?.name).toBe('EXT-X-INDEPENDENT-SEGMENTS');
  });

  it('has one variant per encoding and audio group, with codecs of both', () => {
    const tags = parsePlaylist(buildMasterPlaylist({ kept: everything(source), playlistUris: playlistUris(source) }));
    const variants = tags.filter((t) => t.name === 'EXT-X-STREAM-INF');
    // Two audio groups (AAC and E-AC-3): every encoding appears once per group.
    expect(variants).toHaveLength(source.encodings.length * 2);
    const hd = variants.find((v) => v.uri?.includes(fixtureId(4)) && v.attrs['AUDIO'] === 'audio-mp4a');
    expect(hd?.attrs).toEqual({
      BANDWIDTH: String(3_000_000 + 128_000),
      'AVERAGE-BANDWIDTH': String(3_000_000 + 128_000),
      CODECS: 'avc1.4D401F,mp4a.40.2',
      RESOLUTION: '1280x720',
      'FRAME-RATE': '23.976',
      'VIDEO-RANGE': 'SDR',
      AUDIO: 'audio-mp4a',
      SUBTITLES: 'subs',
    });
    const surround = variants.find((v) => v.uri?.includes(fixtureId(4)) && v.attrs['AUDIO'] === 'audio-ec-3');
    expect(surround?.attrs['CODECS']).toBe('avc1.4D401F,ec-3');
    expect(variants.find((v) => v.uri?.includes(fixtureId(9)))?.attrs['VIDEO-RANGE']).toBe('PQ');
    expect(variants.find((v) => v.uri?.includes(fixtureId(11)))?.attrs['VIDEO-RANGE']).toBe('HLG');
    // SDR before HDR, lowest bandwidth first.
    const ranges = variants.map((v) => v.attrs['VIDEO-RANGE']);
    expect(ranges.indexOf('PQ')).toBeGreaterThan(ranges.lastIndexOf('SDR'));
  });

  it('lists audio renditions per language with exactly one default per group', () => {
    const tags = parsePlaylist(buildMasterPlaylist({ kept: everything(source), playlistUris: playlistUris(source) }));
    const audio = tags.filter((t) => t.name === 'EXT-X-MEDIA' && t.attrs['TYPE'] === 'AUDIO');
    expect(audio.map((a) => [a.attrs['GROUP-ID'], a.attrs['LANGUAGE'], a.attrs['NAME'], a.attrs['DEFAULT']])).toEqual([
      ['audio-mp4a', 'en', 'English', 'YES'],
      ['audio-mp4a', 'es', 'Español', 'NO'],
      ['audio-mp4a', 'en', 'English – Audio Description', 'NO'],
      ['audio-ec-3', 'en', 'English 5.1', 'YES'],
    ]);
    expect(audio[2]?.attrs['CHARACTERISTICS']).toBe('public.accessibility.describes-video');
    expect(audio[3]?.attrs['CHANNELS']).toBe('6');
    expect(audio[0]?.attrs['URI']).toBe(playlistUris(source)[fixtureId(21)]);
  });

  it('lists subtitles in one group, captions marked as such', () => {
    const tags = parsePlaylist(buildMasterPlaylist({ kept: everything(source), playlistUris: playlistUris(source) }));
    const subs = tags.filter((t) => t.name === 'EXT-X-MEDIA' && t.attrs['TYPE'] === 'SUBTITLES');
    expect(subs.map((s) => [s.attrs['GROUP-ID'], s.attrs['LANGUAGE'], s.attrs['FORCED']])).toEqual([
      ['subs', 'en', 'NO'],
      ['subs', 'es', 'NO'],
      ['subs', 'en', 'NO'],
    ]);
    expect(subs[2]?.attrs['CHARACTERISTICS']).toContain('public.accessibility.describes-music-and-sound');
  });

  it('keeps quotes and line breaks in labels from breaking the attribute list', () => {
    const tricky = { ...source, audioTracks: [{ ...source.audioTracks[0]!, label: 'Say "hi"\nthere' }] };
    const tags = parsePlaylist(buildMasterPlaylist({ kept: everything(tricky), playlistUris: playlistUris(tricky) }));
    expect(tags.find((t) => t.attrs['TYPE'] === 'AUDIO')?.attrs['NAME']).toBe("Say 'hi' there");
  });

  it('lists only the device-filtered representations, without groups that ended up empty', () => {
    const { kept } = filterForDevice({ ...source, subtitleTracks: [] }, DEFAULT_DEVICE_CAPABILITIES);
    const tags = parsePlaylist(buildMasterPlaylist({ kept, playlistUris: playlistUris(source) }));
    const variants = tags.filter((t) => t.name === 'EXT-X-STREAM-INF');
    expect(variants).toHaveLength(5);
    expect(variants.every((v) => v.attrs['CODECS']?.startsWith('avc1.') && v.attrs['SUBTITLES'] === undefined)).toBe(
      true,
    );
  });

  it('for any ladder and device: every kept encoding is a variant and every audio group is referenced', () => {
    fc.assert(
      fc.property(arbitrarySource, arbitraryCapabilities, (title, caps) => {
        const { kept } = filterForDevice(title, caps);
        const tags = parsePlaylist(buildMasterPlaylist({ kept, playlistUris: playlistUris(title) }));
        const variants = tags.filter((t) => t.name === 'EXT-X-STREAM-INF');
        const groups = new Set(
          tags.filter((t) => t.attrs['TYPE'] === 'AUDIO').map((t) => t.attrs['GROUP-ID'] ?? 'missing'),
        );
        expect(variants).toHaveLength(kept.encodings.length * Math.max(1, groups.size));
        for (const group of groups) {
          const defaults = tags.filter((t) => t.attrs['GROUP-ID'] === group && t.attrs['DEFAULT'] === 'YES');
          expect(defaults).toHaveLength(1);
        }
        for (const v of variants) {
          if (groups.size > 0) expect(groups.has(v.attrs['AUDIO'] ?? '')).toBe(true);
          expect(Number(v.attrs['BANDWIDTH'])).toBeGreaterThan(0);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('buildMediaPlaylist', () => {
  const source = sampleSource();
  const encoding = source.encodings[3]!;
  const location = sampleLocations(source)[encoding.id]!;

  it('is a VOD fMP4 playlist with the init map, every segment and an end', () => {
    const tags = parsePlaylist(buildMediaPlaylist(encoding, { durationSeconds: 58, location }));
    expect(tags.map((t) => t.name).filter((n) => n !== 'EXTINF')).toEqual([
      'EXT-X-VERSION',
      'EXT-X-TARGETDURATION',
      'EXT-X-MEDIA-SEQUENCE',
      'EXT-X-PLAYLIST-TYPE',
      'EXT-X-INDEPENDENT-SEGMENTS',
      'EXT-X-MAP',
      'EXT-X-ENDLIST',
    ]);
    expect(tags.find((t) => t.name === 'EXT-X-PLAYLIST-TYPE')?.value).toBe('VOD');
    expect(tags.find((t) => t.name === 'EXT-X-TARGETDURATION')?.value).toBe('4');
    expect(tags.find((t) => t.name === 'EXT-X-MAP')?.attrs['URI']).toBe(
      `${location.baseUrl}init.mp4?${location.query}`,
    );
    const segments = tags.filter((t) => t.name === 'EXTINF');
    expect(segments).toHaveLength(15);
    expect(segments[0]).toMatchObject({ value: '4.000,', uri: `${location.baseUrl}seg-1.m4s?${location.query}` });
    // 58 s = 14 full segments and 2 s left over.
    expect(segments[14]).toMatchObject({ value: '2.000,', uri: `${location.baseUrl}seg-15.m4s?${location.query}` });
  });

  it('takes segment lengths from the title duration and the segment count', () => {
    expect(segmentDurations({ segmentDurationSeconds: 4, segmentCount: 15 }, 60)).toEqual(Array(15).fill(4));
    expect(segmentDurations({ segmentDurationSeconds: 4, segmentCount: 16 }, 60)).toHaveLength(15);
    expect(segmentDurations({ segmentDurationSeconds: 4, segmentCount: 3 }, 9).at(-1)).toBe(1);
    expect(segmentDurations({ segmentDurationSeconds: 6, segmentCount: 1 }, 2)).toEqual([2]);
  });

  it('for any duration: the segments add up to the title (or to what the files hold)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20_000 }).map((ms) => ms / 100),
        fc.constantFrom(2, 4, 6, 3.2),
        (duration, step) => {
          const count = Math.ceil(duration / step - 1e-9);
          const durations = segmentDurations({ segmentDurationSeconds: step, segmentCount: count }, duration);
          expect(durations).toHaveLength(count);
          expect(durations.reduce((a, b) => a + b, 0)).toBeCloseTo(duration, 6);
          expect(durations.every((d) => d > 0 && d <= step)).toBe(true);
        },
      ),
    );
  });
});

describe('buildSubtitlePlaylist', () => {
  it('points at the signed WebVTT file as one segment of the whole title', () => {
    const tags = parsePlaylist(
      buildSubtitlePlaylist({
        durationSeconds: 58.5,
        location: { baseUrl: 'https://edge.example/v1/media/t/subs-en.vtt', query: 'token=abc' },
      }),
    );
    expect(tags.find((t) => t.name === 'EXT-X-TARGETDURATION')?.value).toBe('59');
    const segments = tags.filter((t) => t.name === 'EXTINF');
    expect(segments).toEqual([
      { name: 'EXTINF', value: '58.500,', attrs: {}, uri: 'https://edge.example/v1/media/t/subs-en.vtt?token=abc' },
    ]);
    expect(tags.at(-1)?.name).toBe('EXT-X-ENDLIST');
  });
});
