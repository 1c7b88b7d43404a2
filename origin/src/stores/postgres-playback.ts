/** The playback source of a title: its row and its encoding ladder, audio and subtitle tracks. */
import type postgres from 'postgres';

import { PlaybackSource } from '../../../core/manifest/source.ts';

interface TitleRow {
  id: string;
  name: string;
  duration_seconds: number;
  maturity_rating: string;
  maturity_level: number;
}

/** `numeric` columns come back from postgres.js as strings. */
const seconds = (value: string | number): number => Number(value);

/**
 * A movie or episode with `media_available`, or null. Parsed with the wire schema, so a row the
 * edge could not use is an error here rather than a broken manifest there.
 */
export async function queryPlaybackSource(sql: postgres.Sql, id: string): Promise<PlaybackSource | null> {
  const [title] = await sql<TitleRow[]>`
    SELECT t.id, t.name, t.duration_seconds, t.maturity_rating, r.level AS maturity_level
    FROM titles t JOIN maturity_ratings r ON r.code = t.maturity_rating
    WHERE t.id = ${id} AND t.type <> 'series' AND t.media_available`;
  if (!title) return null;
  const [encodings, audio, subtitles, keys] = await Promise.all([
    sql`
      SELECT id, codec, codec_family, width, height, bandwidth, frame_rate, dynamic_range,
             segment_duration_seconds, segment_count, storage_prefix
      FROM encodings WHERE title_id = ${id} ORDER BY bandwidth DESC, id`,
    sql`
      SELECT id, language, label, codec, channel_layout, channels, bandwidth, sample_rate, role, is_default,
             segment_duration_seconds, segment_count, storage_prefix
      FROM audio_tracks WHERE title_id = ${id} ORDER BY is_default DESC, language, id`,
    sql`
      SELECT id, language, label, kind, storage_key
      FROM subtitle_tracks WHERE title_id = ${id} ORDER BY language, kind, id`,
    sql<{ tier: string; kid: string }[]>`SELECT tier, kid FROM content_keys WHERE title_id = ${id} ORDER BY tier`,
  ]);
  return PlaybackSource.parse({
    titleId: title.id,
    name: title.name,
    durationSeconds: title.duration_seconds,
    maturityRating: title.maturity_rating,
    maturityLevel: title.maturity_level,
    encodings: encodings.map((e) => ({
      id: e['id'],
      codec: e['codec'],
      codecFamily: e['codec_family'],
      width: e['width'],
      height: e['height'],
      bandwidth: e['bandwidth'],
      frameRate: e['frame_rate'],
      dynamicRange: e['dynamic_range'],
      segmentDurationSeconds: seconds(e['segment_duration_seconds']),
      segmentCount: e['segment_count'],
      storagePrefix: e['storage_prefix'],
    })),
    audioTracks: audio.map((a) => ({
      id: a['id'],
      language: a['language'],
      label: a['label'],
      codec: a['codec'],
      channelLayout: a['channel_layout'],
      channels: a['channels'],
      bandwidth: a['bandwidth'],
      sampleRate: a['sample_rate'],
      role: a['role'],
      isDefault: a['is_default'],
      segmentDurationSeconds: seconds(a['segment_duration_seconds']),
      segmentCount: a['segment_count'],
      storagePrefix: a['storage_prefix'],
    })),
    subtitleTracks: subtitles.map((s) => ({
      id: s['id'],
      language: s['language'],
      label: s['label'],
      kind: s['kind'],
      storageKey: s['storage_key'],
    })),
    ...(keys.length > 0
      ? { protection: { scheme: 'cenc', keys: keys.map((k) => ({ tier: k.tier, kid: k.kid })) } }
      : {}),
  });
}
