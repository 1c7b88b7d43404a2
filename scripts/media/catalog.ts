/**
 * The catalog side of the media script: which titles get real media, and the `encodings`,
 * `audio_tracks` and `subtitle_tracks` rows that describe the generated files exactly.
 */
import type postgres from 'postgres';

import type { PlaybackSource } from '../../core/manifest/source.ts';
import { EDGEFLIX_SEED_NAMESPACE, uuidV5 } from '../../origin/src/seed/random.ts';
import type { AudioTrackRow, EncodingRow, SubtitleTrackRow } from '../../origin/src/seed/catalog.ts';
import { KIDS_MAX_LEVEL } from '../../origin/src/seed/catalog.ts';
import type { GeneratedTitle } from './generate.ts';
import { objectKey } from './ladder.ts';

/** Ids of generated media rows: stable across runs, never equal to a seeded row's id. */
const MEDIA_NAMESPACE = uuidV5(EDGEFLIX_SEED_NAMESPACE, 'media');
/** Titles rated above this are adults-only (R, TV-MA, NC-17): no kids or teen profile sees them. */
const ADULT_MIN_LEVEL = 40;

export interface DemoTitle {
  id: string;
  name: string;
  maturityRating: string;
  maturityLevel: number;
}

/**
 * The titles that get media, chosen deterministically: the first `count - 1` movies (by id) a kids
 * profile may watch, then the first adults-only movie, so maturity rules can be seen at work.
 */
export async function pickDemoTitles(sql: postgres.Sql, count: number): Promise<DemoTitle[]> {
  const kidsCount = count > 1 ? count - 1 : count;
  const kids = await sql<DemoTitle[]>`
    SELECT t.id, t.name, t.maturity_rating AS "maturityRating", m.level AS "maturityLevel"
    FROM titles t JOIN maturity_ratings m ON m.code = t.maturity_rating
    WHERE t.type = 'movie' AND m.level <= ${KIDS_MAX_LEVEL}
    ORDER BY t.id LIMIT ${kidsCount}`;
  const adult =
    count > 1
      ? await sql<DemoTitle[]>`
          SELECT t.id, t.name, t.maturity_rating AS "maturityRating", m.level AS "maturityLevel"
          FROM titles t JOIN maturity_ratings m ON m.code = t.maturity_rating
          WHERE t.type = 'movie' AND m.level >= ${ADULT_MIN_LEVEL}
          ORDER BY t.id LIMIT 1`
      : [];
  const titles = [...kids, ...adult];
  if (titles.length < count) {
    throw new Error(
      `found ${titles.length} suitable movies, need ${count}: is the catalog seeded? (npm run seed, or npm start once)`,
    );
  }
  return titles;
}

export interface MediaRows {
  encodings: EncodingRow[];
  audio_tracks: AudioTrackRow[];
  subtitle_tracks: SubtitleTrackRow[];
}

/** The catalog rows for a generated title, matching its files. */
export function mediaRows(media: GeneratedTitle): MediaRows {
  const titleId = media.titleId;
  return {
    encodings: media.video.map((v) => ({
      id: uuidV5(MEDIA_NAMESPACE, `encoding:${titleId}:${v.dir}`),
      title_id: titleId,
      codec: v.codec,
      codec_family: v.family,
      width: v.width,
      height: v.height,
      bandwidth: v.bandwidth,
      frame_rate: v.frameRate,
      dynamic_range: 'SDR',
      segment_duration_seconds: media.segmentDurationSeconds,
      segment_count: v.segmentCount,
      storage_prefix: objectKey(titleId, `${v.dir}/`),
    })),
    audio_tracks: media.audio.map((a) => ({
      id: uuidV5(MEDIA_NAMESPACE, `audio:${titleId}:${a.dir}`),
      title_id: titleId,
      language: a.language,
      label: a.label,
      codec: a.codec,
      channel_layout: '2.0',
      channels: a.channels,
      bandwidth: a.bandwidth,
      sample_rate: a.sampleRate,
      role: a.role,
      is_default: a.isDefault,
      segment_duration_seconds: media.segmentDurationSeconds,
      segment_count: a.segmentCount,
      storage_prefix: objectKey(titleId, `${a.dir}/`),
    })),
    subtitle_tracks: media.subtitles.map((s) => ({
      id: uuidV5(MEDIA_NAMESPACE, `subtitle:${titleId}:${s.file}`),
      title_id: titleId,
      language: s.language,
      label: s.label,
      kind: s.kind,
      format: 'webvtt',
      storage_key: objectKey(titleId, s.file),
    })),
  };
}

/**
 * Replaces the media rows of every given title with rows matching its generated files, sets its
 * duration to the media's and marks it `media_available`, in one transaction. Call it once the
 * files are in the object store: the catalog offers `media_available` titles as playable. Unless
 * `stillPreparing`, it also ends the titles' preparing claim (see claimPreparing).
 */
export async function replaceTitleMedia(
  sql: postgres.Sql,
  titles: readonly GeneratedTitle[],
  options: { stillPreparing?: boolean } = {},
): Promise<void> {
  await behindMigrations(() => replaceInTransaction(sql, titles, options.stillPreparing ?? false));
}

async function replaceInTransaction(
  sql: postgres.Sql,
  titles: readonly GeneratedTitle[],
  stillPreparing: boolean,
): Promise<void> {
  await sql.begin(async (tx) => {
    for (const media of titles) {
      const rows = mediaRows(media);
      await tx`DELETE FROM encodings WHERE title_id = ${media.titleId}`;
      await tx`DELETE FROM audio_tracks WHERE title_id = ${media.titleId}`;
      await tx`DELETE FROM subtitle_tracks WHERE title_id = ${media.titleId}`;
      await tx`INSERT INTO encodings ${tx(rows.encodings)}`;
      if (rows.audio_tracks.length > 0) await tx`INSERT INTO audio_tracks ${tx(rows.audio_tracks)}`;
      if (rows.subtitle_tracks.length > 0) await tx`INSERT INTO subtitle_tracks ${tx(rows.subtitle_tracks)}`;
      const updated = await tx`
        UPDATE titles SET duration_seconds = ${Math.round(media.durationSeconds)}, media_available = true
          ${stillPreparing ? tx`` : tx`, media_preparing_until = NULL`}
        WHERE id = ${media.titleId} AND type <> 'series'`;
      if (updated.count !== 1) throw new Error(`title ${media.titleId} is not a playable title in this database`);
    }
  });
}

/** How long a claim to be preparing a title holds unless renewed: a dead run's claim lapses this soon. */
export const PREPARING_LEASE_SECONDS = 30;

/**
 * Marks titles as being prepared for the next PREPARING_LEASE_SECONDS (the catalog's `preparing`);
 * call again to renew while the work goes on. replaceTitleMedia or releasePreparing end it.
 */
export async function claimPreparing(sql: postgres.Sql, titleIds: readonly string[]): Promise<void> {
  if (titleIds.length === 0) return;
  await behindMigrations(
    () => sql`
      UPDATE titles SET media_preparing_until = now() + make_interval(secs => ${PREPARING_LEASE_SECONDS})
      WHERE id = ANY(${[...titleIds]}::uuid[])`,
  );
}

/** Ends the preparing claim on titles (a run that stops without finishing them). */
export async function releasePreparing(sql: postgres.Sql, titleIds: readonly string[]): Promise<void> {
  if (titleIds.length === 0) return;
  await behindMigrations(
    () => sql`UPDATE titles SET media_preparing_until = NULL WHERE id = ANY(${[...titleIds]}::uuid[])`,
  );
}

/** Which of the titles the catalog already offers as playable. */
export async function availableTitles(sql: postgres.Sql, titleIds: readonly string[]): Promise<Set<string>> {
  const rows = await sql<{ id: string }[]>`
    SELECT id FROM titles WHERE id = ANY(${[...titleIds]}::uuid[]) AND media_available`;
  return new Set(rows.map((r) => r.id));
}

async function behindMigrations<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    // 42703 undefined_column: a database from before migrations 0003/0006 (media_available, media_preparing_until).
    if ((err as { code?: unknown }).code === '42703') {
      throw new Error(`${(err as Error).message}: the database is behind; run "npm run migrate" (or npm start) first`);
    }
    throw err;
  }
}

/** The PlaybackSource the origin would send for a generated title (what the smoke test plays). */
export function playbackSourceOf(
  media: GeneratedTitle,
  rating: { maturityRating: string; maturityLevel: number },
): PlaybackSource {
  const rows = mediaRows(media);
  return {
    titleId: media.titleId,
    name: media.name,
    durationSeconds: media.durationSeconds,
    maturityRating: rating.maturityRating,
    maturityLevel: rating.maturityLevel,
    encodings: rows.encodings.map((e) => ({
      id: e.id,
      codec: e.codec,
      codecFamily: e.codec_family,
      width: e.width,
      height: e.height,
      bandwidth: e.bandwidth,
      frameRate: e.frame_rate,
      dynamicRange: e.dynamic_range,
      segmentDurationSeconds: e.segment_duration_seconds,
      segmentCount: e.segment_count,
      storagePrefix: e.storage_prefix,
    })),
    audioTracks: rows.audio_tracks.map((a) => ({
      id: a.id,
      language: a.language,
      label: a.label,
      codec: a.codec,
      channelLayout: a.channel_layout,
      channels: a.channels,
      bandwidth: a.bandwidth,
      sampleRate: a.sample_rate,
      role: a.role,
      isDefault: a.is_default,
      segmentDurationSeconds: a.segment_duration_seconds,
      segmentCount: a.segment_count,
      storagePrefix: a.storage_prefix,
    })),
    subtitleTracks: rows.subtitle_tracks.map((s) => ({
      id: s.id,
      language: s.language,
      label: s.label,
      kind: s.kind,
      storageKey: s.storage_key,
    })),
  };
}
