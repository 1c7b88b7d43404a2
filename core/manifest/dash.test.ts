import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';

import { arbitraryCapabilities, arbitrarySource } from './arbitraries.ts';
import { DASH_PROFILE, EDGEFLIX_MPD_NAMESPACE, buildMpd, isoDuration } from './dash.ts';
import { DEFAULT_DEVICE_CAPABILITIES, filterForDevice, parseDeviceCapabilities } from './device.ts';
import { fixtureId, sampleLocations, sampleSource } from './fixtures.ts';
import type { PlaybackSource, Selection } from './source.ts';
import { KEY_TIERS, videoKeyTier } from '../protection/tiers.ts';

interface Descriptor {
  schemeIdUri: string;
  value: string;
}
interface SegmentTemplate {
  timescale: string;
  duration: string;
  startNumber: string;
  initialization: string;
  media: string;
}
interface Representation {
  id: string;
  bandwidth: string;
  codecs?: string;
  width?: string;
  height?: string;
  frameRate?: string;
  audioSamplingRate?: string;
  AudioChannelConfiguration?: Descriptor[];
  BaseURL: string[];
  SegmentTemplate?: SegmentTemplate[];
}
interface AdaptationSet {
  id: string;
  contentType: string;
  mimeType: string;
  lang?: string;
  maxWidth?: string;
  maxHeight?: string;
  maxFrameRate?: string;
  segmentAlignment?: string;
  startWithSAP?: string;
  selectionPriority?: string;
  EssentialProperty?: Descriptor[];
  SupplementalProperty?: Descriptor[];
  Accessibility?: Descriptor[];
  Role: Descriptor[];
  Label?: string[];
  Representation: Representation[];
}
interface Mpd {
  xmlns: string;
  profiles: string;
  type: string;
  mediaPresentationDuration: string;
  minBufferTime: string;
  maxSegmentDuration: string;
  'edgeflix:resumePosition'?: string;
  ProgramInformation: { Title: string }[];
  Period: { id: string; AdaptationSet: AdaptationSet[] }[];
}

const ARRAYS = new Set([
  'ProgramInformation',
  'Period',
  'AdaptationSet',
  'Representation',
  'Role',
  'Label',
  'EssentialProperty',
  'SupplementalProperty',
  'Accessibility',
  'AudioChannelConfiguration',
  'BaseURL',
  'SegmentTemplate',
]);

/** Parses an MPD the way a player reads it: attributes as strings, repeated elements as arrays. */
function parseMpd(xml: string): Mpd {
  expect(XMLValidator.validate(xml)).toBe(true);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
    isArray: (name) => ARRAYS.has(name),
  });
  return (parser.parse(xml) as { MPD: Mpd }).MPD;
}

function sets(mpd: Mpd, contentType?: string): AdaptationSet[] {
  const all = mpd.Period[0]?.AdaptationSet ?? [];
  return contentType ? all.filter((s) => s.contentType === contentType) : all;
}

function mpdFor(source: PlaybackSource, kept: Selection, resumePosition?: number): Mpd {
  return parseMpd(
    buildMpd(source, {
      kept,
      locations: sampleLocations(source),
      ...(resumePosition === undefined ? {} : { resumePosition }),
    }),
  );
}

const everything = (source: PlaybackSource): Selection => ({
  encodings: source.encodings,
  audioTracks: source.audioTracks,
  subtitleTracks: source.subtitleTracks,
});

describe('buildMpd', () => {
  const source = sampleSource();

  it('is a static isoff-live MPD with one Period and the title duration', () => {
    const mpd = mpdFor(source, everything(source));
    expect(mpd.xmlns).toBe('urn:mpeg:dash:schema:mpd:2011');
    expect(mpd.profiles).toBe(DASH_PROFILE);
    expect(mpd.type).toBe('static');
    expect(mpd.mediaPresentationDuration).toBe('PT58S');
    expect(mpd.minBufferTime).toBe('PT4S');
    expect(mpd.maxSegmentDuration).toBe('PT4S');
    expect(mpd.Period).toHaveLength(1);
    expect(mpd.ProgramInformation[0]?.Title).toBe(source.name);
    expect(mpd['edgeflix:resumePosition']).toBeUndefined();
  });

  it('escapes markup in the title, labels and URLs', () => {
    const tricky = { ...source, name: `<script>&"'</script>` };
    const locations = sampleLocations(tricky);
    const id = fixtureId(1);
    const xml = buildMpd(tricky, {
      kept: everything(tricky),
      locations: { ...locations, [id]: { baseUrl: 'https://e.example/a&b/', query: 'token=x&y=<z>' } },
    });
    expect(xml).not.toContain('<script>');
    const mpd = parseMpd(xml);
    expect(mpd.ProgramInformation[0]?.Title).toBe(`<script>&"'</script>`);
    const rep = sets(mpd, 'video')[0]?.Representation.find((r) => r.id === id);
    expect(rep?.BaseURL[0]).toBe('https://e.example/a&b/');
    expect(rep?.SegmentTemplate?.[0]?.media).toBe('seg-$Number$.m4s?token=x&y=<z>');
  });

  it('groups video by codec family and dynamic range, with per-set maxima', () => {
    const video = sets(mpdFor(source, everything(source)), 'video');
    const summary = video.map((s) => ({
      codecs: [...new Set(s.Representation.map((r) => r.codecs?.slice(0, 4)))],
      heights: s.Representation.map((r) => Number(r.height)),
      max: `${s.maxWidth}x${s.maxHeight}@${s.maxFrameRate}`,
      hdr: s.EssentialProperty?.map((p) => p.value),
    }));
    expect(summary).toEqual([
      { codecs: ['avc1'], heights: [240, 360, 480, 720, 1080], max: '1920x1080@24000/1001', hdr: undefined },
      { codecs: ['vp09'], heights: [360, 720, 2160], max: '3840x2160@24000/1001', hdr: undefined },
      { codecs: ['hev1'], heights: [1080, 2160], max: '3840x2160@24000/1001', hdr: ['16'] },
      { codecs: ['av01'], heights: [1080], max: '1920x1080@24000/1001', hdr: ['18'] },
    ]);
    for (const set of video) {
      expect(set.mimeType).toBe('video/mp4');
      expect(set.segmentAlignment).toBe('true');
      expect(set.startWithSAP).toBe('1');
      for (const rep of set.Representation) {
        expect(rep.codecs).toMatch(/^(avc1|vp09|hev1|av01)\./);
        expect(rep.frameRate).toBe('24000/1001');
        expect(Number(rep.width)).toBeGreaterThan(0);
        expect(Number(rep.bandwidth)).toBeGreaterThan(0);
      }
    }
    // Lowest bandwidth first inside a set.
    for (const set of video) {
      const bandwidths = set.Representation.map((r) => Number(r.bandwidth));
      expect(bandwidths).toEqual([...bandwidths].sort((a, b) => a - b));
    }
  });

  it('marks HDR sets with an EssentialProperty so players that do not know PQ or HLG skip them', () => {
    const video = sets(mpdFor(source, everything(source)), 'video');
    const hdr10 = video.find((s) => s.Representation.some((r) => r.id === fixtureId(9)));
    expect(hdr10?.EssentialProperty).toEqual([
      { schemeIdUri: 'urn:mpeg:mpegB:cicp:TransferCharacteristics', value: '16' },
    ]);
    expect(hdr10?.SupplementalProperty?.map((p) => p.schemeIdUri)).toEqual([
      'urn:mpeg:mpegB:cicp:ColourPrimaries',
      'urn:mpeg:mpegB:cicp:MatrixCoefficients',
    ]);
    const sdr = video.find((s) => s.Representation.some((r) => r.id === fixtureId(1)));
    expect(sdr?.EssentialProperty).toBeUndefined();
    // HDR and SDR representations never share a set.
    for (const set of video) {
      const ranges = new Set(
        set.Representation.map((r) => source.encodings.find((e) => e.id === r.id)?.dynamicRange ?? 'missing'),
      );
      expect(ranges.size).toBe(1);
    }
  });

  it('lists audio per language and role with Role, channel configuration and the default first', () => {
    const audio = sets(mpdFor(source, everything(source)), 'audio');
    expect(
      audio.map((s) => ({
        lang: s.lang,
        role: s.Role[0]?.value,
        label: s.Label?.[0],
        channels: s.Representation.map((r) => r.AudioChannelConfiguration?.[0]?.value),
        codecs: s.Representation.map((r) => r.codecs),
        priority: s.selectionPriority,
      })),
    ).toEqual([
      { lang: 'en', role: 'main', label: 'English', channels: ['2'], codecs: ['mp4a.40.2'], priority: '2' },
      { lang: 'en', role: 'main', label: 'English 5.1', channels: ['6'], codecs: ['ec-3'], priority: '1' },
      { lang: 'es', role: 'dub', label: 'Español', channels: ['2'], codecs: ['mp4a.40.2'], priority: '1' },
      {
        lang: 'en',
        role: 'description',
        label: 'English – Audio Description',
        channels: ['2'],
        codecs: ['mp4a.40.2'],
        priority: '1',
      },
    ]);
    for (const set of audio) {
      expect(set.mimeType).toBe('audio/mp4');
      expect(set.Role[0]?.schemeIdUri).toBe('urn:mpeg:dash:role:2011');
      const config = set.Representation[0]?.AudioChannelConfiguration?.[0];
      expect(config?.schemeIdUri).toBe('urn:mpeg:mpegB:cicp:ChannelConfiguration');
      expect(set.Representation[0]?.audioSamplingRate).toBe('48000');
    }
    expect(audio[3]?.Accessibility?.[0]).toEqual({
      schemeIdUri: 'urn:tva:metadata:cs:AudioPurposeCS:2007',
      value: '1',
    });
  });

  it('lists each WebVTT track as a text set pointing at its signed file', () => {
    const text = sets(mpdFor(source, everything(source)), 'text');
    expect(text.map((s) => [s.lang, s.Role[0]?.value, s.mimeType])).toEqual([
      ['en', 'subtitle', 'text/vtt'],
      ['es', 'subtitle', 'text/vtt'],
      ['en', 'caption', 'text/vtt'],
    ]);
    expect(text[0]?.Representation[0]?.BaseURL[0]).toBe(
      `https://edge.example/v1/media/${source.titleId}/subs-en.vtt?token=tok-001f`,
    );
  });

  it('gives every representation a SegmentTemplate whose init and media carry its token', () => {
    const mpd = mpdFor(source, everything(source));
    for (const set of [...sets(mpd, 'video'), ...sets(mpd, 'audio')]) {
      for (const rep of set.Representation) {
        const token = `token=tok-${rep.id.slice(-4)}`;
        const template = rep.SegmentTemplate?.[0];
        expect(template).toEqual({
          timescale: '1000',
          duration: '4000',
          startNumber: '1',
          initialization: `init.mp4?${token}`,
          media: `seg-$Number$.m4s?${token}`,
        });
        const r = [...source.encodings, ...source.audioTracks].find((x) => x.id === rep.id);
        expect(rep.BaseURL).toEqual([`https://edge.example/v1/${r?.storagePrefix}`]);
      }
    }
  });

  it('doubles a literal $ in the query, as DASH templates require', () => {
    const id = fixtureId(1);
    const mpd = parseMpd(
      buildMpd(source, {
        kept: { encodings: [source.encodings[0]!], audioTracks: [], subtitleTracks: [] },
        locations: { [id]: { baseUrl: '/m/', query: 'token=a$b' } },
      }),
    );
    expect(sets(mpd, 'video')[0]?.Representation[0]?.SegmentTemplate?.[0]?.media).toBe('seg-$Number$.m4s?token=a$$b');
  });

  it('writes the resume position in its own namespace', () => {
    const mpd = mpdFor(source, everything(source), 31.25);
    expect(mpd['edgeflix:resumePosition']).toBe('31.25');
    expect((mpd as unknown as Record<string, string>)['xmlns:edgeflix']).toBe(EDGEFLIX_MPD_NAMESPACE);
  });

  it('lists only what the device filter kept', () => {
    const result = filterForDevice(source, DEFAULT_DEVICE_CAPABILITIES, { maxHeightFromPlan: 720 });
    const mpd = mpdFor(source, result.kept);
    expect(sets(mpd, 'video')).toHaveLength(1);
    expect(sets(mpd, 'video')[0]?.Representation.map((r) => r.height)).toEqual(['240', '360', '480', '720']);
    expect(sets(mpd, 'video')[0]?.maxHeight).toBe('720');
    expect(sets(mpd, 'audio').flatMap((s) => s.Representation.map((r) => r.codecs))).not.toContain('ec-3');

    const vp9 = filterForDevice(source, parseDeviceCapabilities({ header: 'codecs=vp09; max-res=1280x720' }));
    expect(sets(mpdFor(source, vp9.kept), 'video').map((s) => s.Representation.map((r) => r.codecs))).toEqual([
      ['vp09.00.21.08', 'vp09.00.31.08'],
    ]);
  });

  it('formats durations as xs:duration seconds', () => {
    expect(isoDuration(60)).toBe('PT60S');
    expect(isoDuration(5400.5)).toBe('PT5400.5S');
    expect(isoDuration(1 / 3)).toBe('PT0.333S');
  });

  it('for any ladder and device: lists exactly the kept representations, each in a set of its family and range', () => {
    fc.assert(
      fc.property(arbitrarySource, arbitraryCapabilities, (title, caps) => {
        const { kept } = filterForDevice(title, caps);
        const mpd = mpdFor(title, kept);
        const video = sets(mpd, 'video');
        const listed = video.flatMap((s) => s.Representation.map((r) => r.id)).sort();
        expect(listed).toEqual(kept.encodings.map((e) => e.id).sort());
        for (const set of video) {
          const reps = set.Representation.map((r) => kept.encodings.find((e) => e.id === r.id)!);
          expect(new Set(reps.map((e) => `${e.codecFamily}/${e.dynamicRange}`)).size).toBe(1);
          expect(Number(set.maxHeight)).toBe(Math.max(...reps.map((e) => e.height)));
          expect(Boolean(set.EssentialProperty)).toBe(reps[0]?.dynamicRange !== 'SDR');
        }
        const audio = sets(mpd, 'audio').flatMap((s) => s.Representation.map((r) => r.id));
        expect(audio.sort()).toEqual(kept.audioTracks.map((a) => a.id).sort());
        expect(sets(mpd, 'text')).toHaveLength(kept.subtitleTracks.length);
        const ids = sets(mpd).map((s) => s.id);
        expect(new Set(ids).size).toBe(ids.length);
      }),
      { numRuns: 200 },
    );
  });
});

describe('buildMpd for a protected source', () => {
  /** The source with one key id per tier, as the catalog gives a protected title. */
  const protect = (source: PlaybackSource): PlaybackSource => ({
    ...source,
    protection: {
      scheme: 'cenc',
      keys: KEY_TIERS.map((tier, i) => ({ tier, kid: `00000000-0000-0000-0000-00000000000${i + 1}` })),
    },
  });

  it('puts one key tier in each video and audio set, with its default_KID and the Clear Key licence URL', () => {
    fc.assert(
      fc.property(arbitrarySource, (clear) => {
        const source = protect(clear);
        const kept = { encodings: source.encodings, audioTracks: source.audioTracks, subtitleTracks: [] };
        const xml = buildMpd(source, {
          kept,
          locations: sampleLocations(source),
          licenceUrl: '/v1/license/clearkey?title=t',
        });
        const mpd = parseMpd(xml) as unknown as {
          Period: { AdaptationSet: (AdaptationSet & { ContentProtection?: Record<string, unknown>[] })[] }[];
        };
        for (const set of mpd.Period[0]?.AdaptationSet ?? []) {
          const [cenc, clearKey] = (set.ContentProtection ?? []) as Record<string, unknown>[];
          expect(cenc?.['schemeIdUri']).toBe('urn:mpeg:dash:mp4protection:2011');
          expect(clearKey?.['schemeIdUri']).toBe('urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e');
          expect(clearKey?.['dashif:laurl']).toBe('/v1/license/clearkey?title=t');
          const tiers = set.Representation.map((r) => {
            if (set.contentType === 'audio') return 'audio';
            const e = source.encodings.find((x) => x.id === r.id)!;
            return videoKeyTier(e);
          });
          expect(new Set(tiers).size).toBe(1);
          expect(cenc?.['cenc:default_KID']).toBe(source.protection!.keys.find((k) => k.tier === tiers[0])!.kid);
        }
      }),
    );
  });
});
