/** Playable titles with known ladders (core/manifest/fixtures.ts), for manifest and segment tests. */
import postgres from 'postgres';

import { FIXTURE_TITLE_ID, fixtureId, sampleSource } from '../../../core/manifest/fixtures.ts';
import type { PlaybackSource } from '../../../core/manifest/source.ts';

export interface PlaybackFixtures {
  /** `sampleSource()` exactly: PG (level 20), every representation id as in the fixture. */
  titleId: string;
  /** The same ladder under other ids, rated R (level 40). */
  matureTitleId: string;
}

/** The sample source under another title id, its representation ids shifted by `offset`. */
export function shiftedSource(titleId: string, offset: number, rating: string): PlaybackSource {
  const source = sampleSource();
  const id = (old: string) => fixtureId(Number.parseInt(old.slice(-12), 16) + offset);
  const key = (old: string) => old.replace(FIXTURE_TITLE_ID, titleId);
  return {
    ...source,
    titleId,
    maturityRating: rating,
    encodings: source.encodings.map((e) => ({ ...e, id: id(e.id), storagePrefix: key(e.storagePrefix) })),
    audioTracks: source.audioTracks.map((a) => ({ ...a, id: id(a.id), storagePrefix: key(a.storagePrefix) })),
    subtitleTracks: source.subtitleTracks.map((s) => ({ ...s, id: id(s.id), storageKey: key(s.storageKey) })),
  };
}

/** Inserts the sample title (and a mature copy) with its media rows, marked `media_available`. */
export async function insertPlaybackFixtures(databaseUrl: string): Promise<PlaybackFixtures> {
  const fixtures = { titleId: FIXTURE_TITLE_ID, matureTitleId: fixtureId(0x2f00) };
  const sources = [sampleSource(), shiftedSource(fixtures.matureTitleId, 0x1000, 'R')];
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.begin(async (tx) => {
      for (const s of sources) await insertSource(tx, s);
    });
  } finally {
    await sql.end();
  }
  return fixtures;
}

export async function insertSource(tx: postgres.TransactionSql, s: PlaybackSource): Promise<void> {
  await tx`INSERT INTO titles (id, type, name, release_year, maturity_rating, duration_seconds, media_available)
           VALUES (${s.titleId}, 'movie', ${s.name}, 2024, ${s.maturityRating}, ${s.durationSeconds}, true)`;
  for (const e of s.encodings) {
    await tx`INSERT INTO encodings (id, title_id, codec, codec_family, width, height, bandwidth, frame_rate,
                                    dynamic_range, segment_duration_seconds, segment_count, storage_prefix)
             VALUES (${e.id}, ${s.titleId}, ${e.codec}, ${e.codecFamily}, ${e.width}, ${e.height}, ${e.bandwidth},
                     ${e.frameRate}, ${e.dynamicRange}, ${e.segmentDurationSeconds}, ${e.segmentCount}, ${e.storagePrefix})`;
  }
  for (const a of s.audioTracks) {
    await tx`INSERT INTO audio_tracks (id, title_id, language, label, codec, channel_layout, channels, bandwidth,
                                       sample_rate, role, is_default, segment_duration_seconds, segment_count, storage_prefix)
             VALUES (${a.id}, ${s.titleId}, ${a.language}, ${a.label}, ${a.codec}, ${a.channelLayout}, ${a.channels},
                     ${a.bandwidth}, ${a.sampleRate}, ${a.role}, ${a.isDefault}, ${a.segmentDurationSeconds},
                     ${a.segmentCount}, ${a.storagePrefix})`;
  }
  for (const t of s.subtitleTracks) {
    await tx`INSERT INTO subtitle_tracks (id, title_id, language, label, kind, storage_key)
             VALUES (${t.id}, ${s.titleId}, ${t.language}, ${t.label}, ${t.kind}, ${t.storageKey})`;
  }
}
