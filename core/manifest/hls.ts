/**
 * HLS playlists over the same fMP4 (CMAF) segments the MPD lists, for devices that only speak
 * HLS: a multivariant ("master") playlist, fMP4 media playlists and WebVTT subtitle playlists.
 */
import { codecFamilyOf } from './device.ts';
import { INIT_SEGMENT, mediaUrl, segmentName, type MediaLocation } from './location.ts';
import { frameRateValue, type AudioTrack, type Selection, type VideoEncoding } from './source.ts';

export const HLS_CONTENT_TYPE = 'application/vnd.apple.mpegurl';
export const HLS_VERSION = 7;
const SUBTITLE_GROUP = 'subs';

/** HLS VIDEO-RANGE per dynamic range (Dolby Vision here is PQ-based). */
export const VIDEO_RANGE = { SDR: 'SDR', HDR10: 'PQ', HLG: 'HLG', DV: 'PQ' } as const;

export interface MasterPlaylistOptions {
  kept: Selection;
  /** The media playlist URI of every kept representation (video, audio, subtitles), keyed by its id. */
  playlistUris: Readonly<Record<string, string>>;
}

/**
 * The multivariant playlist: one `EXT-X-STREAM-INF` per video encoding and audio group (audio is
 * grouped by codec family, as a variant's CODECS must cover every rendition of its group).
 */
export function buildMasterPlaylist(options: MasterPlaylistOptions): string {
  const { kept } = options;
  const uri = (id: string) => quoted(uriOf(options.playlistUris, id));
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${HLS_VERSION}`, '#EXT-X-INDEPENDENT-SEGMENTS'];

  const audioGroups = groupAudio(kept.audioTracks);
  for (const group of audioGroups) {
    const defaultTrack = group.tracks.find((t) => t.isDefault) ?? group.tracks.find((t) => t.role === 'main');
    const names = new UniqueNames();
    for (const track of group.tracks) {
      const attrs = [
        'TYPE=AUDIO',
        `GROUP-ID=${quoted(group.id)}`,
        `LANGUAGE=${quoted(track.language)}`,
        `NAME=${quoted(names.take(track.label))}`,
        `DEFAULT=${track === (defaultTrack ?? group.tracks[0]) ? 'YES' : 'NO'}`,
        'AUTOSELECT=YES',
        ...(track.role === 'description' ? [`CHARACTERISTICS=${quoted('public.accessibility.describes-video')}`] : []),
        `CHANNELS=${quoted(String(track.channels))}`,
        `URI=${uri(track.id)}`,
      ];
      lines.push(`#EXT-X-MEDIA:${attrs.join(',')}`);
    }
  }

  const subtitleNames = new UniqueNames();
  for (const track of kept.subtitleTracks) {
    const attrs = [
      'TYPE=SUBTITLES',
      `GROUP-ID=${quoted(SUBTITLE_GROUP)}`,
      `LANGUAGE=${quoted(track.language)}`,
      `NAME=${quoted(subtitleNames.take(track.label))}`,
      'DEFAULT=NO',
      'AUTOSELECT=YES',
      `FORCED=${track.kind === 'forced' ? 'YES' : 'NO'}`,
      ...(track.kind === 'captions'
        ? [
            `CHARACTERISTICS=${quoted('public.accessibility.transcribes-spoken-dialog,public.accessibility.describes-music-and-sound')}`,
          ]
        : []),
      `URI=${uri(track.id)}`,
    ];
    lines.push(`#EXT-X-MEDIA:${attrs.join(',')}`);
  }

  const rangeOrder = (e: VideoEncoding) => Object.keys(VIDEO_RANGE).indexOf(e.dynamicRange);
  const encodings = [...kept.encodings].sort((a, b) => rangeOrder(a) - rangeOrder(b) || a.bandwidth - b.bandwidth);
  const variantsPerEncoding: (AudioGroup | undefined)[] = audioGroups.length > 0 ? audioGroups : [undefined];
  for (const encoding of encodings) {
    for (const group of variantsPerEncoding) {
      const audioBandwidth = group ? Math.max(...group.tracks.map((t) => t.bandwidth)) : 0;
      const codecs = [encoding.codec, ...new Set(group?.tracks.map((t) => t.codec) ?? [])];
      const attrs = [
        `BANDWIDTH=${encoding.bandwidth + audioBandwidth}`,
        `AVERAGE-BANDWIDTH=${encoding.bandwidth + audioBandwidth}`,
        `CODECS=${quoted(codecs.join(','))}`,
        `RESOLUTION=${encoding.width}x${encoding.height}`,
        `FRAME-RATE=${frameRateValue(encoding.frameRate).toFixed(3)}`,
        `VIDEO-RANGE=${VIDEO_RANGE[encoding.dynamicRange]}`,
        ...(group ? [`AUDIO=${quoted(group.id)}`] : []),
        ...(kept.subtitleTracks.length > 0 ? [`SUBTITLES=${quoted(SUBTITLE_GROUP)}`] : []),
      ];
      lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, uriOf(options.playlistUris, encoding.id));
    }
  }
  return `${lines.join('\n')}\n`;
}

export interface MediaPlaylistOptions {
  /** The title's duration: the last segment's length is what remains of it. */
  durationSeconds: number;
  location: MediaLocation;
}

/** An fMP4 media playlist for one video or audio representation: init map, every segment, end. */
export function buildMediaPlaylist(
  representation: Pick<VideoEncoding | AudioTrack, 'segmentDurationSeconds' | 'segmentCount'>,
  options: MediaPlaylistOptions,
): string {
  const durations = segmentDurations(representation, options.durationSeconds);
  const lines = [
    '#EXTM3U',
    `#EXT-X-VERSION:${HLS_VERSION}`,
    `#EXT-X-TARGETDURATION:${Math.ceil(Math.max(...durations))}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    `#EXT-X-MAP:URI=${quoted(mediaUrl(options.location, INIT_SEGMENT))}`,
  ];
  durations.forEach((duration, i) => {
    lines.push(`#EXTINF:${duration.toFixed(3)},`, mediaUrl(options.location, segmentName(i + 1)));
  });
  lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

/** A WebVTT subtitle playlist: the whole file as one segment. */
export function buildSubtitlePlaylist(options: MediaPlaylistOptions): string {
  const duration = options.durationSeconds;
  return `${[
    '#EXTM3U',
    `#EXT-X-VERSION:${HLS_VERSION}`,
    `#EXT-X-TARGETDURATION:${Math.ceil(duration)}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    `#EXTINF:${duration.toFixed(3)},`,
    mediaUrl(options.location),
    '#EXT-X-ENDLIST',
  ].join('\n')}\n`;
}

/**
 * Segment lengths: full segments up to the title's end, the last one what remains. Segments the
 * title's duration does not reach are left out.
 */
export function segmentDurations(
  representation: Pick<VideoEncoding | AudioTrack, 'segmentDurationSeconds' | 'segmentCount'>,
  durationSeconds: number,
): number[] {
  const step = representation.segmentDurationSeconds;
  // Tolerate float noise: 60 / 4 must give 15 segments, not 16.
  const needed = Math.max(1, Math.ceil(durationSeconds / step - 1e-9));
  const count = Math.min(representation.segmentCount, needed);
  const out = Array.from({ length: count }, () => step);
  const rest = durationSeconds - (count - 1) * step;
  if (count === needed && rest > 0 && rest < step) out[count - 1] = rest;
  return out;
}

interface AudioGroup {
  id: string;
  tracks: AudioTrack[];
}

function groupAudio(tracks: readonly AudioTrack[]): AudioGroup[] {
  const groups = new Map<string, AudioTrack[]>();
  for (const track of tracks) {
    const id = `audio-${codecFamilyOf(track.codec)}`;
    groups.set(id, [...(groups.get(id) ?? []), track]);
  }
  return [...groups].map(([id, list]) => ({ id, tracks: list }));
}

function uriOf(uris: Readonly<Record<string, string>>, id: string): string {
  const uri = uris[id];
  if (uri === undefined) throw new Error(`No playlist URI for representation ${id}`);
  if (/[\r\n"]/.test(uri)) throw new Error(`Playlist URI for ${id} contains a quote or line break`);
  return uri;
}

/** An HLS quoted-string: no double quotes, CR or LF allowed inside, so they are replaced. */
function quoted(value: string): string {
  return `"${value.replace(/"/g, "'").replace(/[\r\n]+/g, ' ')}"`;
}

/** NAME must be unique inside a group: a repeated label gets " (2)", " (3)"… */
class UniqueNames {
  readonly #seen = new Map<string, number>();
  take(label: string): string {
    const n = (this.#seen.get(label) ?? 0) + 1;
    this.#seen.set(label, n);
    return n === 1 ? label : `${label} (${n})`;
  }
}
