/**
 * The catalog's rows, one type per table of migrations/postgres/0001_catalog_and_accounts.sql and
 * 0006_search.sql
 * (snake_case like the columns, nulls explicit), and the table groups a writer walks in
 * foreign-key order.
 */
import type { ArtworkKind } from '../../../core/artwork.ts';

export interface MaturityRatingRow {
  code: string;
  level: number;
  description: string;
}

export interface GenreRow {
  id: string;
  name: string;
}

export interface PlanRow {
  id: string;
  name: string;
  max_height: number;
  hdr: boolean;
  max_streams: number;
  price_cents: number;
}

export type TitleType = 'movie' | 'series' | 'episode';

export interface TitleRow {
  id: string;
  type: TitleType;
  name: string;
  synopsis: string;
  release_year: number;
  maturity_rating: string;
  duration_seconds: number | null;
  series_id: string | null;
  season_number: number | null;
  episode_number: number | null;
  popularity: number;
  /** ISO 8601 UTC. */
  added_at: string;
}

export interface SeasonRow {
  series_id: string;
  season_number: number;
  name: string;
}

export interface TitleGenreRow {
  title_id: string;
  genre_id: string;
}

export type CreditRole = 'actor' | 'director' | 'creator' | 'writer';

/** Cast and crew of a top-level title, in billing order. */
export interface TitleCreditRow {
  title_id: string;
  position: number;
  person_name: string;
  role: CreditRole;
  /** The part an actor plays; null for crew. */
  character_name: string | null;
}

export interface TitleKeywordRow {
  title_id: string;
  keyword: string;
}

/** The title in the language it was made in, when that is not English. */
export interface TitleOriginalNameRow {
  title_id: string;
  /** BCP 47 language code. */
  language: string;
  name: string;
}

export type { ArtworkKind };

export interface ArtworkRow {
  id: string;
  title_id: string;
  kind: ArtworkKind;
  /** A genre id for a personalized variant; null for the default artwork. */
  variant: string | null;
  url: string;
  width: number;
  height: number;
}

export type CodecFamily = 'avc1' | 'hev1' | 'vp09' | 'av01';
export type DynamicRange = 'SDR' | 'HDR10';

export interface EncodingRow {
  id: string;
  title_id: string;
  codec: string;
  codec_family: CodecFamily;
  width: number;
  height: number;
  bandwidth: number;
  frame_rate: string;
  dynamic_range: DynamicRange;
  segment_duration_seconds: number;
  segment_count: number;
  storage_prefix: string;
}

export type ChannelLayout = '2.0' | '5.1';
export type AudioRole = 'main' | 'dub' | 'commentary' | 'description';

export interface AudioTrackRow {
  id: string;
  title_id: string;
  language: string;
  label: string;
  codec: string;
  channel_layout: ChannelLayout;
  channels: number;
  bandwidth: number;
  sample_rate: number;
  role: AudioRole;
  is_default: boolean;
  segment_duration_seconds: number;
  segment_count: number;
  storage_prefix: string;
}

export type SubtitleKind = 'subtitles' | 'captions' | 'forced';

export interface SubtitleTrackRow {
  id: string;
  title_id: string;
  language: string;
  label: string;
  kind: SubtitleKind;
  format: 'webvtt';
  storage_key: string;
}

/** Lookup tables: the same for every catalog size and seed. */
export interface ReferenceTables {
  maturity_ratings: MaturityRatingRow[];
  genres: GenreRow[];
  plans: PlanRow[];
}

/** Rows that belong to titles; also the shape of one top-level title's bundle. */
export interface TitleTables {
  titles: TitleRow[];
  seasons: SeasonRow[];
  title_genres: TitleGenreRow[];
  title_credits: TitleCreditRow[];
  title_keywords: TitleKeywordRow[];
  title_original_names: TitleOriginalNameRow[];
  artwork: ArtworkRow[];
  encodings: EncodingRow[];
  audio_tracks: AudioTrackRow[];
  subtitle_tracks: SubtitleTrackRow[];
}

export type Catalog = ReferenceTables & TitleTables;
export type CatalogTable = keyof Catalog;
export type RowOf<T extends CatalogTable> = Catalog[T][number];

/** The per-title tables, in an insert order that satisfies every foreign key. */
export const TITLE_TABLES = [
  'titles',
  'seasons',
  'title_genres',
  'title_credits',
  'title_keywords',
  'title_original_names',
  'artwork',
  'encodings',
  'audio_tracks',
  'subtitle_tracks',
] as const satisfies readonly (keyof TitleTables)[];

/** Every catalog table in insert order: the lookup tables first, then the per-title ones. */
export const TABLE_ORDER = [
  'maturity_ratings',
  'genres',
  'plans',
  ...TITLE_TABLES,
] as const satisfies readonly CatalogTable[];

/** Empty per-title tables (useful to accumulate bundles). */
export function emptyTitleTables(): TitleTables {
  return {
    titles: [],
    seasons: [],
    title_genres: [],
    title_credits: [],
    title_keywords: [],
    title_original_names: [],
    artwork: [],
    encodings: [],
    audio_tracks: [],
    subtitle_tracks: [],
  };
}

/** Appends every row of `bundle` to `into`. */
export function appendTitleTables(into: TitleTables, bundle: TitleTables): void {
  for (const table of TITLE_TABLES) {
    const target = into[table] as unknown[];
    for (const row of bundle[table]) target.push(row);
  }
}
