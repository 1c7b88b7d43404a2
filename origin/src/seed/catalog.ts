/**
 * Deterministic catalog generator for the PostgreSQL schema in
 * migrations/postgres/0001_catalog_and_accounts.sql. Pure: no I/O, no clock, no global state.
 *
 * Same options → byte-identical rows. Every top-level title (movie or series) draws from its own
 * PRNG stream (seed + index) and gets ids named after its index, so a larger catalog is the
 * smaller one plus more titles: seeding `demo` and later `full` only adds rows.
 */
import { Rng, seedNamespace, uuidV5 } from './random.ts';
import {
  ADJECTIVES,
  ANIMALS,
  DOC_SUBJECTS,
  EPISODE_EVENTS,
  FIRST_NAMES,
  GENRE_NOUNS,
  INCITING,
  KIDS_ADJECTIVES,
  KIDS_NOUNS,
  KIDS_TOPICS,
  LAST_NAMES,
  NOUNS,
  PLACES,
  REALITY_NOUNS,
  ROLES,
  STAKES,
  STANDUP_TOPICS,
} from './words.ts';

// ---------------------------------------------------------------------------------------------
// Row types: one per table, snake_case like the columns, nulls explicit.

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

export type ArtworkKind = 'poster' | 'backdrop' | 'logo' | 'thumbnail';

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

// ---------------------------------------------------------------------------------------------
// Reference data.

export const DEFAULT_SEED = 'edgeflix';
/** "Now" for the catalog: `added_at` spreads over the ~3 years before it. Fixed for determinism. */
export const DEFAULT_EPOCH = '2025-06-01T00:00:00.000Z';
export const SEGMENT_DURATION_SECONDS = 4;
/** Highest maturity level a kids profile sees; titles at or below it count as kids-appropriate. */
export const KIDS_MAX_LEVEL = 10;

export const MATURITY_RATINGS: readonly MaturityRatingRow[] = [
  { code: 'TV-Y', level: 0, description: 'All children' },
  { code: 'TV-Y7', level: 10, description: 'Directed to older children (7+)' },
  { code: 'G', level: 10, description: 'General audiences' },
  { code: 'TV-G', level: 10, description: 'General audience' },
  { code: 'PG', level: 20, description: 'Parental guidance suggested' },
  { code: 'TV-PG', level: 20, description: 'Parental guidance suggested' },
  { code: 'PG-13', level: 30, description: 'Parents strongly cautioned (13+)' },
  { code: 'TV-14', level: 30, description: 'Parents strongly cautioned (14+)' },
  { code: 'R', level: 40, description: 'Restricted (17+ or with a parent)' },
  { code: 'TV-MA', level: 40, description: 'Mature audiences only' },
  { code: 'NC-17', level: 50, description: 'Adults only (18+)' },
];

export const GENRES: readonly GenreRow[] = [
  { id: 'action', name: 'Action' },
  { id: 'adventure', name: 'Adventure' },
  { id: 'animation', name: 'Animation' },
  { id: 'anime', name: 'Anime' },
  { id: 'comedy', name: 'Comedy' },
  { id: 'crime', name: 'Crime' },
  { id: 'documentary', name: 'Documentary' },
  { id: 'drama', name: 'Drama' },
  { id: 'fantasy', name: 'Fantasy' },
  { id: 'horror', name: 'Horror' },
  { id: 'kids-family', name: 'Kids & Family' },
  { id: 'music', name: 'Music & Musicals' },
  { id: 'mystery', name: 'Mystery' },
  { id: 'reality', name: 'Reality TV' },
  { id: 'romance', name: 'Romance' },
  { id: 'sci-fi', name: 'Sci-Fi' },
  { id: 'sports', name: 'Sports' },
  { id: 'stand-up', name: 'Stand-Up Comedy' },
  { id: 'thriller', name: 'Thriller' },
  { id: 'western', name: 'Western' },
];

export const PLANS: readonly PlanRow[] = [
  { id: 'basic', name: 'Basic', max_height: 720, hdr: false, max_streams: 1, price_cents: 999 },
  { id: 'standard', name: 'Standard', max_height: 1080, hdr: false, max_streams: 2, price_cents: 1549 },
  { id: 'premium', name: 'Premium', max_height: 2160, hdr: true, max_streams: 4, price_cents: 2299 },
];

export function referenceData(): ReferenceTables {
  return {
    maturity_ratings: MATURITY_RATINGS.map((r) => ({ ...r })),
    genres: GENRES.map((g) => ({ ...g })),
    plans: PLANS.map((p) => ({ ...p })),
  };
}

// ---------------------------------------------------------------------------------------------
// Encoding ladders.

/** 16:9 frame widths per rung height. */
const WIDTH_FOR_HEIGHT: Readonly<Record<number, number>> = {
  240: 426,
  360: 640,
  480: 854,
  720: 1280,
  1080: 1920,
  1440: 2560,
  2160: 3840,
};

/** Typical AVC bitrate per height in kbps; other families scale it down by FAMILY_EFFICIENCY. */
const AVC_EQUIVALENT_KBPS: Readonly<Record<number, number>> = {
  240: 300,
  360: 700,
  480: 1200,
  720: 3000,
  1080: 5800,
  1440: 13000,
  2160: 24000,
};

const FAMILY_EFFICIENCY: Readonly<Record<CodecFamily, number>> = { avc1: 1, hev1: 0.65, vp09: 0.68, av01: 0.55 };
/** 10-bit HDR costs more than SDR at the same height. */
const HDR_BITRATE_FACTOR = 1.25;

type Rung = readonly [height: number, codec: string];

/** RFC 6381 codec strings per rung; levels chosen so each rung's frame size fits. */
const LADDERS: Readonly<Record<CodecFamily, { sdr: readonly Rung[]; uhd: readonly Rung[]; hdr: readonly Rung[] }>> = {
  avc1: {
    sdr: [
      [240, 'avc1.42C01E'], // Constrained Baseline, level 3.0
      [360, 'avc1.42C01E'],
      [480, 'avc1.4D401F'], // Main, level 3.1
      [720, 'avc1.4D401F'],
      [1080, 'avc1.640028'], // High, level 4.0
    ],
    uhd: [], // AVC stops at 1080p.
    hdr: [],
  },
  hev1: {
    sdr: [
      [360, 'hev1.1.6.L63.B0'], // Main, level 2.1
      [480, 'hev1.1.6.L90.B0'], // level 3
      [720, 'hev1.1.6.L93.B0'], // level 3.1
      [1080, 'hev1.1.6.L120.B0'], // level 4
    ],
    uhd: [
      [1440, 'hev1.1.6.L150.B0'], // level 5
      [2160, 'hev1.1.6.L150.B0'],
    ],
    hdr: [
      [1080, 'hev1.2.4.L123.B0'], // Main 10, level 4.1
      [2160, 'hev1.2.4.L153.B0'], // Main 10, level 5.1
    ],
  },
  vp09: {
    sdr: [
      [360, 'vp09.00.21.08'],
      [480, 'vp09.00.30.08'],
      [720, 'vp09.00.31.08'],
      [1080, 'vp09.00.40.08'],
    ],
    uhd: [
      [1440, 'vp09.00.50.08'],
      [2160, 'vp09.00.51.08'],
    ],
    hdr: [[2160, 'vp09.02.51.10.01.09.16.09.00']], // profile 2, 10-bit, BT.2020 / PQ
  },
  av01: {
    sdr: [
      [240, 'av01.0.00M.08'],
      [360, 'av01.0.01M.08'],
      [480, 'av01.0.04M.08'],
      [720, 'av01.0.05M.08'],
      [1080, 'av01.0.08M.08'],
    ],
    uhd: [
      [1440, 'av01.0.12M.08'],
      [2160, 'av01.0.12M.08'],
    ],
    hdr: [
      [1080, 'av01.0.08M.10.0.110.09.16.09.0'],
      [2160, 'av01.0.12M.10.0.110.09.16.09.0'],
    ],
  },
};

const FRAME_RATES: readonly (readonly [string, number])[] = [
  ['24000/1001', 0.55],
  ['24', 0.15],
  ['25', 0.15],
  ['30', 0.15],
];

// ---------------------------------------------------------------------------------------------
// Languages.

export const LANGUAGE_LABELS: Readonly<Record<string, string>> = {
  en: 'English',
  es: 'Español',
  fr: 'Français',
  de: 'Deutsch',
  ja: '日本語',
  'pt-BR': 'Português (Brasil)',
  it: 'Italiano',
  ko: '한국어',
  ar: 'العربية',
  'zh-Hans': '中文（简体）',
  nl: 'Nederlands',
  pl: 'Polski',
  sv: 'Svenska',
  tr: 'Türkçe',
  hi: 'हिन्दी',
};

const DUB_LANGUAGES = ['es', 'fr', 'de', 'ja', 'pt-BR', 'it', 'ko'] as const;
const SUBTITLE_LANGUAGES = Object.keys(LANGUAGE_LABELS).filter((l) => l !== 'en');

function label(language: string): string {
  return LANGUAGE_LABELS[language] ?? language;
}

// ---------------------------------------------------------------------------------------------
// Generation.

export interface CatalogOptions {
  /** Top-level titles (movies + series); episodes come on top. */
  titles: number;
  seed?: string;
  /** ISO timestamp treated as "now"; defaults to DEFAULT_EPOCH. */
  epoch?: string;
}

const DAY_MS = 86_400_000;
const WINDOW_MS = Math.round(3 * 365.25 * DAY_MS);

const KIDS_COMPANIONS = ['animation', 'comedy', 'adventure', 'fantasy', 'music'] as const;

/** Primary genres of non-kids titles, with weights, per top-level type. */
const PRIMARY_GENRES: Readonly<Record<'movie' | 'series', readonly (readonly [string, number])[]>> = {
  movie: [
    ['drama', 14],
    ['comedy', 13],
    ['action', 12],
    ['thriller', 10],
    ['horror', 7],
    ['romance', 7],
    ['sci-fi', 6],
    ['documentary', 7],
    ['crime', 5],
    ['adventure', 4],
    ['fantasy', 3],
    ['mystery', 3],
    ['stand-up', 3],
    ['music', 2],
    ['sports', 2],
    ['western', 1],
    ['anime', 1],
  ],
  series: [
    ['drama', 16],
    ['crime', 11],
    ['comedy', 12],
    ['reality', 9],
    ['documentary', 8],
    ['thriller', 7],
    ['sci-fi', 6],
    ['anime', 6],
    ['fantasy', 5],
    ['mystery', 5],
    ['action', 4],
    ['romance', 4],
    ['horror', 3],
    ['sports', 2],
    ['music', 1],
    ['western', 1],
  ],
};

/** Genres that plausibly accompany a primary genre. */
const COMPANIONS: Readonly<Record<string, readonly string[]>> = {
  action: ['adventure', 'thriller', 'sci-fi', 'crime', 'comedy'],
  adventure: ['action', 'fantasy', 'comedy', 'drama'],
  anime: ['action', 'fantasy', 'sci-fi', 'drama', 'comedy'],
  comedy: ['romance', 'drama', 'crime', 'music'],
  crime: ['drama', 'thriller', 'mystery'],
  documentary: ['sports', 'music', 'crime'],
  drama: ['romance', 'crime', 'mystery', 'sports', 'music'],
  fantasy: ['adventure', 'drama', 'romance', 'horror'],
  horror: ['thriller', 'mystery', 'sci-fi', 'comedy'],
  music: ['drama', 'romance', 'comedy', 'documentary'],
  mystery: ['thriller', 'crime', 'drama'],
  reality: ['comedy', 'romance'],
  romance: ['comedy', 'drama', 'music'],
  'sci-fi': ['action', 'thriller', 'adventure', 'drama'],
  sports: ['drama', 'comedy', 'documentary'],
  'stand-up': ['comedy'],
  thriller: ['crime', 'mystery', 'action', 'drama'],
  western: ['action', 'drama', 'adventure'],
};

const GRITTY = new Set(['horror', 'thriller', 'crime']);

function ratingFor(rng: Rng, type: 'movie' | 'series', kids: boolean, primary: string): string {
  if (kids) {
    return type === 'movie'
      ? rng.weighted([
          ['G', 0.6],
          ['TV-G', 0.2],
          ['TV-Y7', 0.2],
        ])
      : rng.weighted([
          ['TV-Y', 0.4],
          ['TV-Y7', 0.35],
          ['TV-G', 0.25],
        ]);
  }
  const gritty = GRITTY.has(primary);
  return type === 'movie'
    ? rng.weighted([
        ['PG', gritty ? 0.03 : 0.25],
        ['PG-13', 0.4],
        ['R', gritty ? 0.5 : 0.3],
        ['NC-17', 0.05],
      ])
    : rng.weighted([
        ['TV-PG', gritty ? 0.05 : 0.3],
        ['TV-14', 0.4],
        ['TV-MA', gritty ? 0.55 : 0.3],
      ]);
}

type Style = 'general' | 'kids' | 'documentary' | 'stand-up' | 'reality' | 'anime';

function styleFor(kids: boolean, primary: string): Style {
  if (kids) return 'kids';
  if (primary === 'documentary' || primary === 'stand-up' || primary === 'reality' || primary === 'anime')
    return primary;
  return 'general';
}

function nameCandidate(rng: Rng, style: Style, primary: string): string {
  const noun = (): string => {
    const flavour = GENRE_NOUNS[primary];
    return flavour && rng.chance(0.45) ? rng.pick(flavour) : rng.pick(NOUNS);
  };
  switch (style) {
    case 'kids': {
      const animal = rng.pick(ANIMALS);
      return rng.pick([
        () => `${rng.pick(KIDS_ADJECTIVES)} ${animal} ${rng.pick(KIDS_NOUNS)}`,
        () => `${rng.pick(FIRST_NAMES)} the ${animal}`,
        () => `The ${rng.pick(KIDS_ADJECTIVES)} ${animal}s`,
        () => `${animal} ${rng.pick(KIDS_NOUNS)}`,
        () => `${rng.pick(KIDS_ADJECTIVES)} ${rng.pick(KIDS_NOUNS)}`,
      ])();
    }
    case 'documentary': {
      const subject = rng.pick(DOC_SUBJECTS);
      return rng.pick([
        () => `Inside ${subject}`,
        () => `${rng.pick(PLACES)} Uncovered`,
        () => `Chasing ${subject}`,
        () => `The Secret Life of ${subject}`,
        () => `${subject.replace(/^the /, 'The ')}: The Untold Story`,
        () => `Our ${rng.pick(ADJECTIVES)} Planet`,
      ])();
    }
    case 'stand-up':
      return rng.pick([
        () => `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}: Live in ${rng.pick(PLACES)}`,
        () => `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}: ${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}`,
      ])();
    case 'reality':
      return rng.pick([
        () => `${rng.pick(PLACES)} ${rng.pick(REALITY_NOUNS)}`,
        () => `Love in ${rng.pick(PLACES)}`,
        () => `The Great ${rng.pick(REALITY_NOUNS)}`,
        () => `Million Dollar ${rng.pick(REALITY_NOUNS)}`,
      ])();
    case 'anime':
      return rng.pick([
        () => `${noun()} of the ${rng.pick(ADJECTIVES)} ${noun()}`,
        () => `${rng.pick(ADJECTIVES)} ${noun()}: ${noun()}`,
        () => `${noun()} Hunter`,
        () => `${rng.pick(ADJECTIVES)} Blade ${noun()}`,
      ])();
    case 'general':
      return rng.pick([
        () => `The ${rng.pick(ADJECTIVES)} ${noun()}`,
        () => `${rng.pick(ADJECTIVES)} ${noun()}`,
        () => `The ${noun()} of ${rng.pick(PLACES)}`,
        () => `${rng.pick(FIRST_NAMES)}'s ${noun()}`,
        () => `${rng.pick(PLACES)} ${noun()}`,
        () => `The Last ${noun()}`,
        () => `Beyond the ${noun()}`,
        () => `${rng.pick(ADJECTIVES)} ${rng.pick(PLACES)}`,
      ])();
  }
}

const SEQUEL_SUFFIXES = ['II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X'];

function uniqueName(rng: Rng, style: Style, primary: string, used: Set<string>): string {
  let candidate = nameCandidate(rng, style, primary);
  for (let attempt = 0; attempt < 12 && used.has(candidate); attempt++) {
    candidate = nameCandidate(rng, style, primary);
  }
  if (used.has(candidate)) {
    const base = candidate;
    for (let n = 0; used.has(candidate); n++) {
      candidate = n < SEQUEL_SUFFIXES.length ? `${base} ${SEQUEL_SUFFIXES[n]}` : `${base} ${n + 2}`;
    }
  }
  used.add(candidate);
  return candidate;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function synopsisFor(rng: Rng, style: Style, type: 'movie' | 'series'): string {
  switch (style) {
    case 'kids':
      return `${rng.pick(FIRST_NAMES)} the ${rng.pick(ANIMALS).toLowerCase()} and friends ${
        type === 'series' ? 'go on a new adventure every day and learn' : 'set off on a big adventure and learn'
      } about ${rng.pick(KIDS_TOPICS)}.`;
    case 'documentary':
      return `${type === 'series' ? 'This docuseries' : 'This documentary'} takes a close look at ${rng
        .pick(DOC_SUBJECTS)
        .replace(/^The /, 'the ')}, from ${rng.pick(PLACES)} to ${rng.pick(PLACES)}, with never-before-seen footage.`;
    case 'stand-up':
      return `The comedian riffs on ${rng.pick(STANDUP_TOPICS)}, ${rng.pick(STANDUP_TOPICS)} and ${rng.pick(
        STANDUP_TOPICS,
      )} in a sold-out show.`;
    case 'reality':
      return `Contestants from across ${rng.pick(PLACES)} compete for a life-changing prize as alliances form and tempers flare.`;
    case 'anime':
    case 'general':
      return `In ${rng.pick(PLACES)}, ${rng.pick(ROLES)} ${rng.pick(INCITING)} and ${rng.pick(STAKES)}.`;
  }
}

function episodeName(rng: Rng, season: number, episode: number, primary: string): string {
  if (season === 1 && episode === 1 && rng.chance(0.3)) return 'Pilot';
  const flavour = GENRE_NOUNS[primary] ?? NOUNS;
  return rng.weighted<() => string>([
    [() => `Chapter ${episode}: The ${rng.pick(flavour)}`, 2],
    [() => `The ${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}`, 3],
    [() => `${rng.pick(NOUNS)}`, 1],
    [() => `Episode ${episode}`, 1],
  ])();
}

function episodeSynopsis(rng: Rng, style: Style): string {
  if (style === 'kids') return `Today the gang learns about ${rng.pick(KIDS_TOPICS)}.`;
  if (style === 'documentary') return `A closer look at ${rng.pick(DOC_SUBJECTS).replace(/^The /, 'the ')}.`;
  if (style === 'reality') return `${capitalize(rng.pick(EPISODE_EVENTS))}, and one contestant goes home.`;
  return `${capitalize(rng.pick(EPISODE_EVENTS))} as ${rng.pick(ROLES)} ${rng.pick(INCITING)}.`;
}

/** Everything about how a top-level title is encoded and localized; episodes share it. */
interface MediaProfile {
  frameRate: string;
  /** Per-title encoding complexity: scales bitrates (animation is cheap, grain is not). */
  complexity: number;
  families: readonly CodecFamily[];
  uhd: boolean;
  hdr: boolean;
  originalLanguage: string;
  audioLanguages: readonly string[];
  surround: boolean;
  audioDescription: boolean;
  subtitleLanguages: readonly string[];
  captions: boolean;
}

function mediaProfile(rng: Rng, genres: readonly string[], kids: boolean): MediaProfile {
  const animated = genres.includes('animation') || genres.includes('anime') || kids;
  const hdr = rng.chance(0.3);
  const uhd = hdr || rng.chance(0.2);
  const families: CodecFamily[] = ['avc1'];
  if (uhd || rng.chance(0.6)) families.push('hev1');
  if (rng.chance(0.5)) families.push('vp09');
  if (rng.chance(0.4)) families.push('av01');

  const originalLanguage = genres.includes('anime')
    ? 'ja'
    : rng.chance(0.85)
      ? 'en'
      : rng.pick(DUB_LANGUAGES.filter((l) => l !== 'ja'));
  const extraCount = rng.int(1, 2);
  const others = new Set<string>();
  if (originalLanguage !== 'en') others.add(originalLanguage);
  for (const l of rng.sample(DUB_LANGUAGES, 3)) {
    if (others.size >= extraCount) break;
    others.add(l);
  }
  const audioLanguages = ['en', ...others];

  const subtitleCount = rng.int(2, 5);
  const subtitleLanguages = ['en'];
  for (const l of [...others, ...rng.sample(SUBTITLE_LANGUAGES, 5)]) {
    if (subtitleLanguages.length >= subtitleCount) break;
    if (!subtitleLanguages.includes(l)) subtitleLanguages.push(l);
  }

  return {
    frameRate: rng.weighted(FRAME_RATES),
    complexity: animated ? rng.real(0.65, 0.9) : rng.real(0.85, 1.25),
    families,
    uhd,
    hdr,
    originalLanguage,
    audioLanguages,
    surround: rng.chance(0.5),
    audioDescription: rng.chance(0.2),
    subtitleLanguages,
    captions: rng.chance(0.5),
  };
}

function kbpsToBps(kbps: number): number {
  return Math.max(1000, Math.round(kbps) * 1000);
}

/** Video, audio and subtitle rows for one playable title (a movie or an episode). */
function playableMedia(
  rng: Rng,
  ns: string,
  titleId: string,
  durationSeconds: number,
  media: MediaProfile,
  out: TitleTables,
): void {
  const segmentCount = Math.ceil(durationSeconds / SEGMENT_DURATION_SECONDS);
  const jitter = rng.real(0.95, 1.05);

  for (const family of media.families) {
    const ladder = LADDERS[family];
    const rungs: (readonly [number, string, DynamicRange])[] = [
      ...ladder.sdr.map(([h, c]) => [h, c, 'SDR'] as const),
      ...(media.uhd ? ladder.uhd.map(([h, c]) => [h, c, 'SDR'] as const) : []),
      ...(media.hdr ? ladder.hdr.map(([h, c]) => [h, c, 'HDR10'] as const) : []),
    ];
    for (const [height, codec, range] of rungs) {
      const kbps =
        (AVC_EQUIVALENT_KBPS[height] ?? 1000) *
        FAMILY_EFFICIENCY[family] *
        (range === 'SDR' ? 1 : HDR_BITRATE_FACTOR) *
        media.complexity *
        jitter;
      out.encodings.push({
        id: uuidV5(ns, `encoding:${titleId}:${family}:${height}:${range}`),
        title_id: titleId,
        codec,
        codec_family: family,
        width: WIDTH_FOR_HEIGHT[height] ?? Math.round((height * 16) / 9),
        height,
        bandwidth: kbpsToBps(kbps),
        frame_rate: media.frameRate,
        dynamic_range: range,
        segment_duration_seconds: SEGMENT_DURATION_SECONDS,
        segment_count: segmentCount,
        storage_prefix: `media/${titleId}/${family}-${height}p-${range.toLowerCase()}/`,
      });
    }
  }

  const audio = (
    language: string,
    layout: ChannelLayout,
    role: AudioRole,
    isDefault: boolean,
    trackLabel: string,
  ): void => {
    const codec = layout === '5.1' ? 'ec-3' : 'mp4a.40.2';
    const suffix = role === 'description' || role === 'commentary' ? `-${role}` : '';
    out.audio_tracks.push({
      id: uuidV5(ns, `audio:${titleId}:${language}:${codec}:${layout}:${role}`),
      title_id: titleId,
      language,
      label: trackLabel,
      codec,
      channel_layout: layout,
      channels: layout === '5.1' ? 6 : 2,
      bandwidth: layout === '5.1' ? 640_000 : 128_000,
      sample_rate: 48_000,
      role,
      is_default: isDefault,
      segment_duration_seconds: SEGMENT_DURATION_SECONDS,
      segment_count: segmentCount,
      storage_prefix: `media/${titleId}/audio-${language}-${layout}${suffix}/`,
    });
  };
  for (const language of media.audioLanguages) {
    const role: AudioRole = language === media.originalLanguage ? 'main' : 'dub';
    audio(language, '2.0', role, language === 'en', label(language));
    if (media.surround && (language === 'en' || language === media.originalLanguage)) {
      audio(language, '5.1', role, false, `${label(language)} 5.1`);
    }
  }
  if (media.audioDescription) audio('en', '2.0', 'description', false, 'English – Audio Description');

  const subtitle = (language: string, kind: SubtitleKind, key: string, trackLabel: string): void => {
    out.subtitle_tracks.push({
      id: uuidV5(ns, `subtitle:${titleId}:${language}:${kind}`),
      title_id: titleId,
      language,
      label: trackLabel,
      kind,
      format: 'webvtt',
      storage_key: `media/${titleId}/${key}.vtt`,
    });
  };
  for (const language of media.subtitleLanguages) subtitle(language, 'subtitles', `subs-${language}`, label(language));
  if (media.captions) subtitle('en', 'captions', 'subs-en-sdh', 'English (CC)');
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function isoAt(ms: number): string {
  return new Date(Math.round(ms / 1000) * 1000).toISOString();
}

function yearOf(ms: number): number {
  return new Date(ms).getUTCFullYear();
}

/** Empty per-title tables (useful to accumulate bundles). */
export function emptyTitleTables(): TitleTables {
  return {
    titles: [],
    seasons: [],
    title_genres: [],
    artwork: [],
    encodings: [],
    audio_tracks: [],
    subtitle_tracks: [],
  };
}

interface NormalizedOptions {
  titles: number;
  seed: string;
  epochMs: number;
}

function normalize(options: CatalogOptions): NormalizedOptions {
  if (!Number.isSafeInteger(options.titles) || options.titles < 0) {
    throw new RangeError(`titles must be a non-negative integer, got ${String(options.titles)}`);
  }
  const epoch = options.epoch ?? DEFAULT_EPOCH;
  const epochMs = Date.parse(epoch);
  if (Number.isNaN(epochMs)) throw new RangeError(`epoch is not a timestamp: ${epoch}`);
  return { titles: options.titles, seed: options.seed ?? DEFAULT_SEED, epochMs };
}

/** The id of the index-th top-level title (0-based) for a seed. */
export function topLevelTitleId(seed: string, index: number): string {
  return uuidV5(seedNamespace(seed), `title/${index}`);
}

/**
 * Yields one bundle per top-level title, in order: the title row first, then (for a series) its
 * seasons and episodes, and every child row. Lets a writer stream a large catalog in batches.
 */
export function* generateTitleBundles(options: CatalogOptions): Generator<TitleTables, void, undefined> {
  const { titles, seed, epochMs } = normalize(options);
  const ns = seedNamespace(seed);
  const usedNames = new Set<string>();
  for (let index = 0; index < titles; index++) {
    yield topLevelBundle(index, seed, ns, epochMs, usedNames);
  }
}

function topLevelBundle(index: number, seed: string, ns: string, epochMs: number, usedNames: Set<string>): TitleTables {
  const rng = new Rng(`${seed}\u0000title\u0000${index}`);
  const out = emptyTitleTables();
  const id = uuidV5(ns, `title/${index}`);
  const type: 'movie' | 'series' = rng.chance(0.7) ? 'movie' : 'series';
  const kids = rng.chance(0.25);

  let genres: string[];
  let primary: string;
  if (kids) {
    primary = 'kids-family';
    genres = ['kids-family', ...rng.sample(KIDS_COMPANIONS, rng.int(0, 2))];
  } else {
    primary = rng.weighted(PRIMARY_GENRES[type]);
    genres = [
      primary,
      ...rng.sample(
        COMPANIONS[primary] ?? [],
        rng.weighted([
          [0, 3],
          [1, 5],
          [2, 2],
        ] as const),
      ),
    ];
  }
  const rating = ratingFor(rng, type, kids, primary);
  const style = styleFor(kids, primary);
  const name = uniqueName(rng, style, primary, usedNames);
  const synopsis = synopsisFor(rng, style, type);

  // Arrival on the service: over the 3 years before the epoch, a little denser recently.
  const addedMs = epochMs - WINDOW_MS * Math.pow(rng.next(), 1.15);
  const addedYear = yearOf(addedMs);
  const original = rng.chance(0.35);
  const age = original
    ? 0
    : rng.weighted<() => number>([
        [() => rng.int(0, 10), 6],
        [() => rng.int(10, 30), 3],
        [() => rng.int(30, 60), 1],
      ])();
  const releaseYear = Math.max(1925, addedYear - age);
  const recency = 1 - (epochMs - addedMs) / WINDOW_MS;
  const popularity = round2(100 * Math.pow(rng.next(), 2.5) * (0.7 + 0.3 * recency));
  const media = mediaProfile(rng, genres, kids);

  for (const genre of genres) out.title_genres.push({ title_id: id, genre_id: genre });

  const art = (
    titleId: string,
    kind: ArtworkKind,
    variant: string | null,
    file: string,
    width: number,
    height: number,
  ): void => {
    out.artwork.push({
      id: uuidV5(ns, `artwork:${titleId}:${kind}:${variant ?? ''}`),
      title_id: titleId,
      kind,
      variant,
      url: `/artwork/${titleId}/${file}`,
      width,
      height,
    });
  };
  art(id, 'poster', null, 'poster.jpg', 1000, 1500);
  art(id, 'backdrop', null, 'backdrop.jpg', 1920, 1080);
  if (rng.chance(0.6)) art(id, 'logo', null, 'logo.png', 800, 310);
  if (genres.length >= 2 && rng.chance(0.4)) {
    for (const genre of genres) art(id, 'poster', genre, `poster-${genre}.jpg`, 1000, 1500);
  }

  if (type === 'movie') {
    const duration = rng.int(80 * 60, 160 * 60);
    out.titles.push({
      id,
      type: 'movie',
      name,
      synopsis,
      release_year: releaseYear,
      maturity_rating: rating,
      duration_seconds: duration,
      series_id: null,
      season_number: null,
      episode_number: null,
      popularity,
      added_at: isoAt(addedMs),
    });
    playableMedia(rng, ns, id, duration, media, out);
    return out;
  }

  out.titles.push({
    id,
    type: 'series',
    name,
    synopsis,
    release_year: releaseYear,
    maturity_rating: rating,
    duration_seconds: null,
    series_id: null,
    season_number: null,
    episode_number: null,
    popularity,
    added_at: isoAt(addedMs),
  });

  const seasonCount = rng.weighted([
    [1, 40],
    [2, 30],
    [3, 18],
    [4, 12],
  ] as const);
  // Originals drop a season at a time; licensed shows arrive with every season at once.
  const gapMs = original && seasonCount > 1 ? Math.min(365 * DAY_MS, (epochMs - addedMs) / seasonCount) : 0;
  const baseMinutes = kids ? rng.int(20, 26) : rng.chance(0.35) ? rng.int(22, 32) : rng.int(42, 58);
  for (let season = 1; season <= seasonCount; season++) {
    out.seasons.push({ series_id: id, season_number: season, name: `Season ${season}` });
    const seasonAddedMs = addedMs + (season - 1) * gapMs * rng.real(0.85, 1);
    const seasonYear = original ? yearOf(seasonAddedMs) : Math.min(addedYear, releaseYear + season - 1);
    const episodes = rng.int(4, 10);
    for (let episode = 1; episode <= episodes; episode++) {
      const episodeId = uuidV5(ns, `title/${index}/s${season}/e${episode}`);
      const minutes = Math.min(60, Math.max(20, baseMinutes * rng.real(0.9, 1.1)));
      const duration = Math.min(3600, Math.max(1200, Math.round(minutes * 60)));
      out.titles.push({
        id: episodeId,
        type: 'episode',
        name: episodeName(rng, season, episode, primary),
        synopsis: episodeSynopsis(rng, style),
        release_year: seasonYear,
        maturity_rating: rating,
        duration_seconds: duration,
        series_id: id,
        season_number: season,
        episode_number: episode,
        popularity: round2(popularity * Math.pow(0.97, episode - 1) * Math.pow(0.9, season - 1) * rng.real(0.8, 1)),
        added_at: isoAt(seasonAddedMs),
      });
      art(episodeId, 'thumbnail', null, 'thumbnail.jpg', 640, 360);
      playableMedia(rng, ns, episodeId, duration, media, out);
    }
  }
  return out;
}

/** Appends every row of `bundle` to `into`. */
export function appendTitleTables(into: TitleTables, bundle: TitleTables): void {
  for (const table of TITLE_TABLES) {
    const target = into[table] as unknown[];
    for (const row of bundle[table]) target.push(row);
  }
}

/** The whole catalog as plain rows, for every table. Same options → identical output. */
export function generateCatalog(options: CatalogOptions): Catalog {
  const tables = emptyTitleTables();
  for (const bundle of generateTitleBundles(options)) appendTitleTables(tables, bundle);
  return { ...referenceData(), ...tables };
}
