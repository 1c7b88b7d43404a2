/**
 * DASH MPD for a title's kept representations: static, isoff-live profile, one Period, following
 * the DASH-IF interoperability guidelines so dash.js and Shaka Player accept it.
 *
 * Token placement: each Representation has a `BaseURL` (its folder) and its own `SegmentTemplate`
 * whose `initialization` and `media` carry the signed query string (`init.mp4?token=…`,
 * `seg-$Number$.m4s?token=…`). A query on `BaseURL` would be lost when the templates resolve
 * against it (RFC 3986), so it goes on the templates, which both players keep as they are.
 */
import {
  FIRST_SEGMENT_NUMBER,
  INIT_SEGMENT,
  locationOf,
  mediaUrl,
  segmentName,
  type MediaLocation,
  type MediaLocations,
} from './location.ts';
import {
  CODEC_FAMILIES,
  DYNAMIC_RANGES,
  frameRateValue,
  type AudioTrack,
  type PlaybackSource,
  type Selection,
  type SubtitleTrack,
  type VideoEncoding,
} from './source.ts';
import { el, renderXml, type XmlElement } from './xml.ts';
import { codecFamilyOf } from './device.ts';
import { kidOfTier, videoKeyTier, type KeyTier, type Protection } from '../protection/tiers.ts';

export const DASH_CONTENT_TYPE = 'application/dash+xml';
export const DASH_PROFILE = 'urn:mpeg:dash:profile:isoff-live:2011';
const MPD_NAMESPACE = 'urn:mpeg:dash:schema:mpd:2011';
/** Our own attributes (the resume position) live in this namespace; players ignore them. */
export const EDGEFLIX_MPD_NAMESPACE = 'urn:edgeflix:mpd:1';
const ROLE_SCHEME = 'urn:mpeg:dash:role:2011';
const CICP_TRANSFER = 'urn:mpeg:mpegB:cicp:TransferCharacteristics';
const CICP_PRIMARIES = 'urn:mpeg:mpegB:cicp:ColourPrimaries';
const CICP_MATRIX = 'urn:mpeg:mpegB:cicp:MatrixCoefficients';
const CICP_CHANNELS = 'urn:mpeg:mpegB:cicp:ChannelConfiguration';
const AUDIO_PURPOSE_SCHEME = 'urn:tva:metadata:cs:AudioPurposeCS:2007';
/** DASH-IF IOP: the Common Encryption descriptor, and Clear Key's system id with its licence URL. */
export const MP4_PROTECTION_SCHEME = 'urn:mpeg:dash:mp4protection:2011';
export const CLEAR_KEY_SYSTEM_SCHEME = 'urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e';
const CENC_NAMESPACE = 'urn:mpeg:cenc:2013';
const DASHIF_NAMESPACE = 'https://dashif.org/CPS';
/** Milliseconds: every segment duration the catalog holds (numeric(6,3)) is exact in it. */
const TIMESCALE = 1000;
/** Nominal bandwidth for a WebVTT file (DASH requires one on every Representation). */
const TEXT_BANDWIDTH = 256;

/** ITU-T H.273 transfer characteristics per dynamic range: 16 = PQ (HDR10, Dolby Vision), 18 = HLG. */
export const TRANSFER_CHARACTERISTICS = { SDR: 1, HDR10: 16, HLG: 18, DV: 16 } as const;
/** ISO/IEC 23091-3 ChannelConfiguration per channel layout. */
export const CHANNEL_CONFIGURATION = { '1.0': 1, '2.0': 2, '5.1': 6, '7.1': 12 } as const;
/** DASH Role values for subtitle kinds. */
const TEXT_ROLE = { subtitles: 'subtitle', captions: 'caption', forced: 'forced-subtitle' } as const;

export interface MpdOptions {
  /** What survived device filtering (see `filterForDevice`). */
  kept: Selection;
  /** Where each kept representation is fetched from, keyed by its id. */
  locations: MediaLocations;
  /** Seconds into the title where this profile left off; written as `edgeflix:resumePosition`. */
  resumePosition?: number;
  /** Where players get licences, for a protected source (`dashif:laurl`). */
  licenceUrl?: string;
}

/** A protected source's signalling: its key ids and where licences come from. */
interface Signalling {
  protection: Protection;
  licenceUrl: string;
}

/** The MPD XML document for `source`, listing only `options.kept`. */
export function buildMpd(source: PlaybackSource, options: MpdOptions): string {
  const { kept, locations } = options;
  const signalling =
    source.protection && options.licenceUrl !== undefined
      ? { protection: source.protection, licenceUrl: options.licenceUrl }
      : undefined;
  if (source.protection && !signalling) throw new Error('a protected source needs a licence URL in its MPD');
  let nextSetId = 1;
  const sets: XmlElement[] = [];
  for (const group of videoGroups(kept.encodings, signalling !== undefined)) {
    sets.push(videoSet(nextSetId++, group, locations, signalling));
  }
  for (const group of audioGroups(kept.audioTracks)) sets.push(audioSet(nextSetId++, group, locations, signalling));
  for (const track of kept.subtitleTracks) sets.push(textSet(nextSetId++, track, locationOf(locations, track.id)));

  const segmentDurations = [...kept.encodings, ...kept.audioTracks].map((r) => r.segmentDurationSeconds);
  const maxSegment = segmentDurations.length > 0 ? Math.max(...segmentDurations) : 2;
  const resume = options.resumePosition;
  const mpd = el(
    'MPD',
    {
      xmlns: MPD_NAMESPACE,
      'xmlns:edgeflix': resume === undefined ? undefined : EDGEFLIX_MPD_NAMESPACE,
      'xmlns:cenc': signalling ? CENC_NAMESPACE : undefined,
      'xmlns:dashif': signalling ? DASHIF_NAMESPACE : undefined,
      profiles: DASH_PROFILE,
      type: 'static',
      mediaPresentationDuration: isoDuration(source.durationSeconds),
      maxSegmentDuration: isoDuration(maxSegment),
      minBufferTime: isoDuration(maxSegment),
      'edgeflix:resumePosition': resume === undefined ? undefined : round3(Math.max(0, resume)),
    },
    [el('ProgramInformation', {}, [el('Title', {}, [source.name])]), el('Period', { id: '0', start: 'PT0S' }, sets)],
  );
  return renderXml(mpd);
}

/** An xs:duration in seconds, e.g. PT60S or PT5400.5S. */
export function isoDuration(seconds: number): string {
  return `PT${round3(seconds)}S`;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/**
 * Video groups: one per codec family and dynamic range (SDR first), lowest bandwidth first inside;
 * for a protected source also one per key tier, since an AdaptationSet has one `default_KID`.
 */
function videoGroups(encodings: readonly VideoEncoding[], byTier: boolean): VideoEncoding[][] {
  const groups = new Map<string, VideoEncoding[]>();
  const order = (e: VideoEncoding) =>
    DYNAMIC_RANGES.indexOf(e.dynamicRange) * CODEC_FAMILIES.length + CODEC_FAMILIES.indexOf(e.codecFamily);
  for (const e of [...encodings].sort((a, b) => order(a) - order(b) || a.bandwidth - b.bandwidth)) {
    const key = `${e.codecFamily}/${e.dynamicRange}${byTier ? `/${videoKeyTier(e)}` : ''}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  return [...groups.values()];
}

/**
 * The ContentProtection descriptors of a set whose key is `tier`'s (DASH-IF IOP §7): the cenc
 * scheme with its `default_KID`, then Clear Key with its licence URL.
 */
function contentProtection(signalling: Signalling | undefined, tier: KeyTier): XmlElement[] {
  if (!signalling) return [];
  const kid = kidOfTier(signalling.protection, tier);
  if (!kid) throw new Error(`the protected source has no ${tier} key`);
  return [
    el('ContentProtection', { schemeIdUri: MP4_PROTECTION_SCHEME, value: 'cenc', 'cenc:default_KID': kid }),
    el('ContentProtection', { schemeIdUri: CLEAR_KEY_SYSTEM_SCHEME, value: 'ClearKey1.0' }, [
      // No cenc:pssh here: dash.js hands Clear Key init data to EME as `keyids`, which it builds
      // from default_KID; a pssh would be passed under that type and refused. The init segments
      // carry the pssh for players that read it there.
      el('dashif:laurl', {}, [signalling.licenceUrl]),
    ]),
  ];
}

function videoSet(
  id: number,
  group: readonly VideoEncoding[],
  locations: MediaLocations,
  signalling: Signalling | undefined,
): XmlElement {
  const first = group[0];
  if (!first) throw new Error('empty video group');
  const fastest = group.reduce((a, b) => (frameRateValue(b.frameRate) > frameRateValue(a.frameRate) ? b : a));
  const range = first.dynamicRange;
  const hdr = range !== 'SDR';
  return el(
    'AdaptationSet',
    {
      id,
      contentType: 'video',
      mimeType: 'video/mp4',
      segmentAlignment: 'true',
      startWithSAP: 1,
      maxWidth: Math.max(...group.map((e) => e.width)),
      maxHeight: Math.max(...group.map((e) => e.height)),
      maxFrameRate: fastest.frameRate,
    },
    [
      ...contentProtection(signalling, videoKeyTier(first)),
      // A player that does not know PQ/HLG must skip the whole set: EssentialProperty says so.
      hdr && el('EssentialProperty', { schemeIdUri: CICP_TRANSFER, value: TRANSFER_CHARACTERISTICS[range] }),
      hdr && el('SupplementalProperty', { schemeIdUri: CICP_PRIMARIES, value: 9 }),
      hdr && el('SupplementalProperty', { schemeIdUri: CICP_MATRIX, value: 9 }),
      el('Role', { schemeIdUri: ROLE_SCHEME, value: 'main' }),
      ...group.map((e) =>
        el(
          'Representation',
          {
            id: e.id,
            bandwidth: e.bandwidth,
            codecs: e.codec,
            width: e.width,
            height: e.height,
            frameRate: e.frameRate,
            sar: '1:1',
          },
          segmentElements(e.segmentDurationSeconds, locationOf(locations, e.id)),
        ),
      ),
    ],
  );
}

/** Audio groups: one per language, role and codec family (players switch bitrates, not codecs, inside a set). */
function audioGroups(tracks: readonly AudioTrack[]): AudioTrack[][] {
  const groups = new Map<string, AudioTrack[]>();
  const sorted = [...tracks].sort((a, b) => Number(b.isDefault) - Number(a.isDefault));
  for (const t of sorted) {
    const key = `${t.language}/${t.role}/${codecFamilyOf(t.codec)}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  return [...groups.values()].map((g) => g.sort((a, b) => a.bandwidth - b.bandwidth));
}

function audioSet(
  id: number,
  group: readonly AudioTrack[],
  locations: MediaLocations,
  signalling: Signalling | undefined,
): XmlElement {
  const first = group[0];
  if (!first) throw new Error('empty audio group');
  const isDefault = group.some((t) => t.isDefault);
  return el(
    'AdaptationSet',
    {
      id,
      contentType: 'audio',
      mimeType: 'audio/mp4',
      lang: first.language,
      segmentAlignment: 'true',
      startWithSAP: 1,
      // dash.js and Shaka start with the highest selectionPriority when no language is preferred.
      selectionPriority: isDefault ? 2 : 1,
    },
    [
      ...contentProtection(signalling, 'audio'),
      el('Label', {}, [first.label]),
      first.role === 'description' && el('Accessibility', { schemeIdUri: AUDIO_PURPOSE_SCHEME, value: 1 }),
      el('Role', { schemeIdUri: ROLE_SCHEME, value: first.role }),
      ...group.map((t) =>
        el('Representation', { id: t.id, bandwidth: t.bandwidth, codecs: t.codec, audioSamplingRate: t.sampleRate }, [
          el('AudioChannelConfiguration', {
            schemeIdUri: CICP_CHANNELS,
            value: CHANNEL_CONFIGURATION[t.channelLayout],
          }),
          ...segmentElements(t.segmentDurationSeconds, locationOf(locations, t.id)),
        ]),
      ),
    ],
  );
}

function textSet(id: number, track: SubtitleTrack, location: MediaLocation): XmlElement {
  return el('AdaptationSet', { id, contentType: 'text', mimeType: 'text/vtt', lang: track.language }, [
    el('Label', {}, [track.label]),
    el('Role', { schemeIdUri: ROLE_SCHEME, value: TEXT_ROLE[track.kind] }),
    el('Representation', { id: track.id, bandwidth: TEXT_BANDWIDTH }, [el('BaseURL', {}, [mediaUrl(location)])]),
  ]);
}

/** `BaseURL` (the folder) and a `SegmentTemplate` whose init and media names carry the query. */
function segmentElements(segmentDurationSeconds: number, location: MediaLocation): XmlElement[] {
  // `$` starts a template identifier; a literal one in the query must be written `$$`.
  const query = location.query?.replace(/\$/g, '$$$$');
  const withQuery = (file: string) => (query ? `${file}?${query}` : file);
  return [
    el('BaseURL', {}, [location.baseUrl]),
    el('SegmentTemplate', {
      timescale: TIMESCALE,
      duration: Math.round(segmentDurationSeconds * TIMESCALE),
      startNumber: FIRST_SEGMENT_NUMBER,
      initialization: withQuery(INIT_SEGMENT),
      media: withQuery(segmentName('$Number$')),
    }),
  ];
}
