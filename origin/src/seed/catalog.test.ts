import { artworkUrl } from '../../../core/artwork.ts';
import { createHash } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { DEFAULT_EPOCH, generateCatalog, generateTitleBundles } from './catalog.ts';
import { GENRES, KIDS_MAX_LEVEL, MATURITY_RATINGS, PLANS } from './reference.ts';
import { TITLE_TABLES, type Catalog, type TitleRow } from './tables.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[45][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const LANGUAGE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

const small = generateCatalog({ titles: 200 });
const large = generateCatalog({ titles: 2000 });

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = groups.get(k);
    if (list) list.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}

/** Keys that appear more than once. */
function duplicates<T>(rows: readonly T[], key: (row: T) => string): string[] {
  return [...groupBy(rows, key)].filter(([, list]) => list.length > 1).map(([k]) => k);
}

const playable = (c: Catalog): TitleRow[] => c.titles.filter((t) => t.type !== 'series');
const topLevel = (c: Catalog): TitleRow[] => c.titles.filter((t) => t.type !== 'episode');

describe('generateCatalog determinism', () => {
  it('returns byte-identical rows for the same options', () => {
    const a = JSON.stringify(generateCatalog({ titles: 150, seed: 'repeat-me' }));
    const b = JSON.stringify(generateCatalog({ titles: 150, seed: 'repeat-me' }));
    expect(a).toBe(b);
  });

  it('gives another seed different ids and names', () => {
    const other = generateCatalog({ titles: 200, seed: 'another-seed' });
    const ids = new Set(small.titles.map((t) => t.id));
    expect(other.titles.some((t) => ids.has(t.id))).toBe(false);
    expect(other.titles.map((t) => t.name)).not.toEqual(small.titles.map((t) => t.name));
  });

  it('keeps every row of a smaller catalog when the catalog grows (demo → full only adds rows)', () => {
    const grown = generateCatalog({ titles: 400 });
    for (const table of TITLE_TABLES) {
      const prefix = grown[table].slice(0, small[table].length);
      expect(JSON.stringify(prefix), table).toBe(JSON.stringify(small[table]));
    }
  });

  it('does not read the clock: added_at stays within the 3 years before the fixed epoch', () => {
    const epoch = Date.parse(DEFAULT_EPOCH);
    for (const t of large.titles) {
      const added = Date.parse(t.added_at);
      expect(added).toBeLessThanOrEqual(epoch);
      expect(added).toBeGreaterThanOrEqual(epoch - 3.01 * 365.25 * 86_400_000);
      expect(t.release_year).toBeLessThanOrEqual(new Date(added).getUTCFullYear());
    }
    const shifted = generateCatalog({ titles: 5, epoch: '2030-01-01T00:00:00Z' });
    expect(shifted.titles.every((t) => t.added_at > '2026-12-31')).toBe(true);
  });

  it('streams the same rows bundle by bundle, one top-level title per bundle', () => {
    const bundles = [...generateTitleBundles({ titles: 200 })];
    expect(bundles).toHaveLength(200);
    expect(bundles.flatMap((b) => b.encodings)).toEqual(small.encodings);
    for (const b of bundles) expect(b.titles.filter((t) => t.type !== 'episode')).toHaveLength(1);
  });

  it('rejects a negative or fractional title count', () => {
    expect(() => generateCatalog({ titles: -1 })).toThrow(RangeError);
    expect(() => generateCatalog({ titles: 1.5 })).toThrow(RangeError);
  });
});

describe('catalog shape', () => {
  it('counts scale with the requested number of top-level titles', () => {
    expect(topLevel(small)).toHaveLength(200);
    expect(topLevel(large)).toHaveLength(2000);
    const ratio = (f: (c: Catalog) => number): number => f(large) / f(small);
    expect(ratio((c) => c.titles.length)).toBeGreaterThan(7);
    expect(ratio((c) => c.titles.length)).toBeLessThan(13);
    expect(ratio((c) => c.encodings.length)).toBeGreaterThan(7);
    expect(ratio((c) => c.encodings.length)).toBeLessThan(13);
    expect(generateCatalog({ titles: 0 }).titles).toHaveLength(0);
    expect(generateCatalog({ titles: 0 }).genres).toHaveLength(GENRES.length);
  });

  it('makes roughly 70% of top-level titles movies and the rest series', () => {
    const top = topLevel(large);
    const movieShare = top.filter((t) => t.type === 'movie').length / top.length;
    expect(movieShare).toBeGreaterThan(0.65);
    expect(movieShare).toBeLessThan(0.75);
  });

  it('numbers seasons 1..n (n ≤ 4) and episodes 1..m (4 ≤ m ≤ 10) without gaps', () => {
    const series = large.titles.filter((t) => t.type === 'series');
    const seasonsBySeries = groupBy(large.seasons, (s) => s.series_id);
    const episodesBySeason = groupBy(
      large.titles.filter((t) => t.type === 'episode'),
      (e) => `${e.series_id}/${e.season_number}`,
    );
    expect(series.length).toBeGreaterThan(0);
    for (const s of series) {
      const seasons = (seasonsBySeries.get(s.id) ?? []).map((x) => x.season_number).sort((a, b) => a - b);
      expect(seasons.length).toBeGreaterThanOrEqual(1);
      expect(seasons.length).toBeLessThanOrEqual(4);
      expect(seasons).toEqual(seasons.map((_, i) => i + 1));
      for (const n of seasons) {
        const episodes = (episodesBySeason.get(`${s.id}/${n}`) ?? [])
          .map((e) => e.episode_number ?? 0)
          .sort((a, b) => a - b);
        expect(episodes.length).toBeGreaterThanOrEqual(4);
        expect(episodes.length).toBeLessThanOrEqual(10);
        expect(episodes).toEqual(episodes.map((_, i) => i + 1));
      }
    }
    // Every episode hangs off a season that exists (the titles_episode_season foreign key).
    const seasonKeys = new Set(large.seasons.map((s) => `${s.series_id}/${s.season_number}`));
    for (const key of episodesBySeason.keys()) expect(seasonKeys.has(key)).toBe(true);
  });

  it('satisfies the titles CHECK constraints (episode shape, duration iff playable, year range)', () => {
    const seriesIds = new Set(large.titles.filter((t) => t.type === 'series').map((t) => t.id));
    for (const t of large.titles) {
      const isEpisode = t.type === 'episode';
      expect(isEpisode).toBe(t.series_id !== null && t.season_number !== null && t.episode_number !== null);
      if (!isEpisode) expect([t.series_id, t.season_number, t.episode_number]).toEqual([null, null, null]);
      expect(t.type === 'series').toBe(t.duration_seconds === null);
      if (isEpisode) expect(seriesIds.has(t.series_id ?? '')).toBe(true);
      expect(t.release_year).toBeGreaterThanOrEqual(1880);
      expect(t.release_year).toBeLessThanOrEqual(2100);
      expect(t.name.length).toBeGreaterThan(0);
      expect(t.synopsis.length).toBeGreaterThan(0);
      expect(Number.isFinite(t.popularity)).toBe(true);
    }
  });

  it('keeps movies at 80–160 minutes and episodes at 20–60 minutes', () => {
    for (const t of large.titles) {
      if (t.type === 'movie') {
        expect(t.duration_seconds).toBeGreaterThanOrEqual(80 * 60);
        expect(t.duration_seconds).toBeLessThanOrEqual(160 * 60);
      } else if (t.type === 'episode') {
        expect(t.duration_seconds).toBeGreaterThanOrEqual(20 * 60);
        expect(t.duration_seconds).toBeLessThanOrEqual(60 * 60);
      }
    }
  });

  it('gives top-level titles distinct names', () => {
    expect(duplicates(topLevel(large), (t) => t.name)).toEqual([]);
  });
});

describe('maturity ratings and genres', () => {
  const levelOf = new Map(MATURITY_RATINGS.map((r) => [r.code, r.level]));

  it('uses only known ratings, and about 25% of titles are kids-appropriate', () => {
    const top = topLevel(large);
    for (const t of large.titles) expect(levelOf.has(t.maturity_rating)).toBe(true);
    const kidsShare = top.filter((t) => (levelOf.get(t.maturity_rating) ?? 99) <= KIDS_MAX_LEVEL).length / top.length;
    expect(kidsShare).toBeGreaterThan(0.2);
    expect(kidsShare).toBeLessThan(0.3);
    const adultShare = top.filter((t) => (levelOf.get(t.maturity_rating) ?? 0) >= 40).length / top.length;
    expect(adultShare).toBeGreaterThan(0.15);
  });

  it('gives episodes the rating of their series', () => {
    const byId = new Map(large.titles.map((t) => [t.id, t]));
    for (const e of large.titles.filter((t) => t.type === 'episode')) {
      expect(e.maturity_rating).toBe(byId.get(e.series_id ?? '')?.maturity_rating);
    }
  });

  it('defines about 20 genres with slug ids, and 1–3 genres per top-level title', () => {
    expect(GENRES.length).toBeGreaterThanOrEqual(18);
    for (const g of GENRES) expect(g.id).toMatch(/^[a-z0-9-]+$/);
    const known = new Set(GENRES.map((g) => g.id));
    const byTitle = groupBy(large.title_genres, (g) => g.title_id);
    for (const t of topLevel(large)) {
      const genres = byTitle.get(t.id) ?? [];
      expect(genres.length).toBeGreaterThanOrEqual(1);
      expect(genres.length).toBeLessThanOrEqual(3);
      for (const g of genres) expect(known.has(g.genre_id)).toBe(true);
    }
    const topIds = new Set(topLevel(large).map((t) => t.id));
    expect(large.title_genres.every((g) => topIds.has(g.title_id))).toBe(true);
  });

  it('files every kids-appropriate title under kids-family and no mature title there', () => {
    const byTitle = groupBy(large.title_genres, (g) => g.title_id);
    for (const t of topLevel(large)) {
      const kidsGenre = (byTitle.get(t.id) ?? []).some((g) => g.genre_id === 'kids-family');
      expect(kidsGenre).toBe((levelOf.get(t.maturity_rating) ?? 99) <= KIDS_MAX_LEVEL);
    }
  });

  it('defines the basic / standard / premium plans with their quality caps', () => {
    expect(PLANS.map((p) => [p.id, p.max_height, p.hdr, p.max_streams])).toEqual([
      ['basic', 720, false, 1],
      ['standard', 1080, false, 2],
      ['premium', 2160, true, 4],
    ]);
  });
});

describe('encoding ladders', () => {
  const byTitle = groupBy(large.encodings, (e) => e.title_id);

  it('gives every playable title an SDR avc1 ladder from 240p to 1080p', () => {
    for (const t of playable(large)) {
      const heights = (byTitle.get(t.id) ?? [])
        .filter((e) => e.codec_family === 'avc1' && e.dynamic_range === 'SDR')
        .map((e) => e.height)
        .sort((a, b) => a - b);
      expect(heights.length).toBeGreaterThanOrEqual(4);
      expect(heights[0]).toBe(240);
      expect(heights[heights.length - 1]).toBe(1080);
      expect(heights).toEqual(expect.arrayContaining([240, 360, 480, 720, 1080]));
    }
  });

  it('encodes no series row and nothing that is not a title', () => {
    const playableIds = new Set(playable(large).map((t) => t.id));
    expect(large.encodings.filter((e) => !playableIds.has(e.title_id))).toEqual([]);
  });

  it('uses RFC 6381 codec strings that match family, height and dynamic range', () => {
    const HDR =
      /^(hev1\.2\.4\.L\d+\.B0|vp09\.02\.51\.10\.01\.09\.16\.09\.00|av01\.0\.\d\dM\.10\.0\.110\.09\.16\.09\.0)$/;
    const SDR = /^(avc1\.[0-9A-F]{6}|hev1\.1\.6\.L\d+\.B0|vp09\.00\.\d\d\.08|av01\.0\.\d\dM\.08)$/;
    const avcCodec = (height: number): string =>
      height <= 360 ? 'avc1.42C01E' : height <= 720 ? 'avc1.4D401F' : 'avc1.640028';
    const bad = large.encodings.filter(
      (e) =>
        !e.codec.startsWith(`${e.codec_family}.`) ||
        (e.codec_family === 'avc1' &&
          (e.height > 1080 || e.dynamic_range !== 'SDR' || e.codec !== avcCodec(e.height))) ||
        (e.dynamic_range === 'HDR10' ? e.height < 1080 || !HDR.test(e.codec) : !SDR.test(e.codec)),
    );
    expect(bad).toEqual([]);
  });

  it('puts HDR rungs on only about 30% of titles, and 2160p only where HEVC exists', () => {
    const seriesOf = (t: TitleRow): string => t.series_id ?? t.id;
    const hdrTop = new Set<string>();
    const all = new Set<string>();
    for (const t of playable(large)) {
      all.add(seriesOf(t));
      const rungs = byTitle.get(t.id) ?? [];
      if (rungs.some((e) => e.dynamic_range !== 'SDR')) hdrTop.add(seriesOf(t));
      if (rungs.some((e) => e.height > 1080))
        expect(rungs.some((e) => e.codec_family === 'hev1' && e.height === 2160)).toBe(true);
    }
    const share = hdrTop.size / all.size;
    expect(share).toBeGreaterThan(0.22);
    expect(share).toBeLessThan(0.38);
  });

  // These walk every row of a 2,000-title catalog: they collect what is wrong and assert once, since
  // an expect() per row made them the slowest unit tests.
  it('has sensible bitrates: rising with height, HEVC/VP9/AV1 cheaper than AVC', () => {
    const wrong: string[] = [];
    for (const [titleId, rungs] of byTitle) {
      for (const family of ['avc1', 'hev1', 'vp09', 'av01']) {
        const b = rungs
          .filter((e) => e.codec_family === family && e.dynamic_range === 'SDR')
          .sort((x, y) => x.height - y.height)
          .map((e) => e.bandwidth);
        if (b.some((v, i) => i > 0 && v < (b[i - 1] ?? 0))) wrong.push(`${titleId} ${family}: ${b.join(' ')}`);
      }
      const avc1080 = rungs.find((e) => e.codec_family === 'avc1' && e.height === 1080)?.bandwidth ?? 0;
      for (const e of rungs) {
        if (!(e.bandwidth > 80_000 && e.bandwidth < 40_000_000)) wrong.push(`${titleId} ${e.bandwidth} out of range`);
        if (
          e.codec_family !== 'avc1' &&
          e.height === 1080 &&
          e.dynamic_range === 'SDR' &&
          !(e.bandwidth < avc1080 * 0.75)
        )
          wrong.push(`${titleId} ${e.codec_family} 1080p ${e.bandwidth} not below 0.75 × avc1 ${avc1080}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('derives segments, frame rate and storage prefix from the title', () => {
    const duration = new Map(playable(large).map((t) => [t.id, t.duration_seconds ?? 0]));
    const bad = large.encodings.filter(
      (e) =>
        !/^(24000\/1001|24|25|30)$/.test(e.frame_rate) ||
        e.segment_duration_seconds !== 4 ||
        e.segment_count !== Math.ceil((duration.get(e.title_id) ?? 0) / 4) ||
        e.storage_prefix !== `media/${e.title_id}/${e.codec_family}-${e.height}p-${e.dynamic_range.toLowerCase()}/` ||
        e.width <= e.height,
    );
    expect(bad).toEqual([]);
    expect(duplicates(large.encodings, (e) => e.storage_prefix)).toEqual([]);
  });
});

describe('audio, subtitles and artwork', () => {
  it('gives every playable title 2–3 audio languages with one default English AAC stereo track', () => {
    const byTitle = groupBy(large.audio_tracks, (a) => a.title_id);
    const wrong: string[] = [];
    for (const t of playable(large)) {
      const tracks = byTitle.get(t.id) ?? [];
      const defaults = tracks.filter((a) => a.is_default);
      const d = defaults[0];
      if (defaults.length !== 1) wrong.push(`${t.id}: ${defaults.length} default tracks`);
      else if (!(d && d.language === 'en' && d.codec === 'mp4a.40.2' && d.channel_layout === '2.0' && d.channels === 2))
        wrong.push(`${t.id}: default track ${JSON.stringify(d)}`);
      const languages = new Set(tracks.map((a) => a.language));
      if (languages.size < 2 || languages.size > 3) wrong.push(`${t.id}: ${languages.size} languages`);
      for (const a of tracks) {
        if (!LANGUAGE.test(a.language)) wrong.push(`${t.id}: language ${a.language}`);
        if (a.codec !== (a.channel_layout === '5.1' ? 'ec-3' : 'mp4a.40.2'))
          wrong.push(`${t.id}: ${a.codec} ${a.channel_layout}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(large.audio_tracks.some((a) => a.channel_layout === '5.1')).toBe(true);
    expect(duplicates(large.audio_tracks, (a) => a.storage_prefix)).toEqual([]);
  });

  it('gives every playable title 2–5 WebVTT subtitle languages including English', () => {
    const byTitle = groupBy(large.subtitle_tracks, (s) => s.title_id);
    const wrong: string[] = [];
    for (const t of playable(large)) {
      const tracks = byTitle.get(t.id) ?? [];
      const languages = new Set(tracks.map((s) => s.language));
      if (!languages.has('en') || languages.size < 2 || languages.size > 5)
        wrong.push(`${t.id}: languages ${[...languages].join(',')}`);
      for (const s of tracks) {
        const ok =
          LANGUAGE.test(s.language) &&
          s.format === 'webvtt' &&
          s.storage_key.startsWith(`media/${t.id}/subs-${s.language}`) &&
          s.storage_key.endsWith('.vtt');
        if (!ok) wrong.push(`${t.id}: ${JSON.stringify(s)}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(large.subtitle_tracks.some((s) => s.kind === 'captions' && s.language === 'en')).toBe(true);
    expect(duplicates(large.subtitle_tracks, (s) => s.storage_key)).toEqual([]);
  });

  it('gives every top-level title a default poster and backdrop and one poster per genre, at fingerprinted URLs', () => {
    const byTitle = groupBy(large.artwork, (a) => a.title_id);
    const genresByTitle = groupBy(large.title_genres, (g) => g.title_id);
    for (const t of topLevel(large)) {
      const art = byTitle.get(t.id) ?? [];
      const genres = (genresByTitle.get(t.id) ?? []).map((g) => g.genre_id);
      const inputs = { titleId: t.id, name: t.name, genres };
      expect(art.find((a) => a.kind === 'poster' && a.variant === null)?.url).toBe(
        artworkUrl({ ...inputs, kind: 'poster', variant: null }),
      );
      expect(art.find((a) => a.kind === 'backdrop' && a.variant === null)?.url).toBe(
        artworkUrl({ ...inputs, kind: 'backdrop', variant: null }),
      );
      const variants = art.filter((a) => a.variant !== null);
      expect(variants.map((v) => v.variant).sort()).toEqual([...genres].sort());
      for (const v of variants) expect(v.url).toBe(artworkUrl({ ...inputs, kind: 'poster', variant: v.variant }));
    }
    expect(new Set(large.artwork.map((a) => a.url)).size).toBe(large.artwork.length);
    for (const a of large.artwork) {
      expect(a.width).toBeGreaterThan(0);
      expect(a.height).toBeGreaterThan(0);
    }
  });
});

describe('keys and references', () => {
  it('has no duplicate primary or unique keys in any table', () => {
    const c = large;
    expect(duplicates(c.maturity_ratings, (r) => r.code)).toEqual([]);
    expect(duplicates(c.genres, (g) => g.id)).toEqual([]);
    expect(duplicates(c.genres, (g) => g.name)).toEqual([]);
    expect(duplicates(c.plans, (p) => p.id)).toEqual([]);
    expect(duplicates(c.titles, (t) => t.id)).toEqual([]);
    expect(
      duplicates(
        c.titles.filter((t) => t.type === 'episode'),
        (t) => `${t.series_id}/${t.season_number}/${t.episode_number}`,
      ),
    ).toEqual([]);
    expect(duplicates(c.seasons, (s) => `${s.series_id}/${s.season_number}`)).toEqual([]);
    expect(duplicates(c.title_genres, (g) => `${g.title_id}/${g.genre_id}`)).toEqual([]);
    expect(duplicates(c.artwork, (a) => a.id)).toEqual([]);
    expect(duplicates(c.artwork, (a) => `${a.title_id}/${a.kind}/${a.variant ?? ''}`)).toEqual([]);
    expect(duplicates(c.encodings, (e) => e.id)).toEqual([]);
    expect(duplicates(c.encodings, (e) => `${e.title_id}/${e.codec_family}/${e.height}/${e.dynamic_range}`)).toEqual(
      [],
    );
    expect(duplicates(c.audio_tracks, (a) => a.id)).toEqual([]);
    expect(
      duplicates(c.audio_tracks, (a) => `${a.title_id}/${a.language}/${a.codec}/${a.channel_layout}/${a.role}`),
    ).toEqual([]);
    expect(duplicates(c.subtitle_tracks, (s) => s.id)).toEqual([]);
    expect(duplicates(c.subtitle_tracks, (s) => `${s.title_id}/${s.language}/${s.kind}`)).toEqual([]);
  });

  it('formats every id as an RFC 4122 UUID, unique across all tables', () => {
    const ids = [
      ...large.titles.map((t) => t.id),
      ...large.artwork.map((a) => a.id),
      ...large.encodings.map((e) => e.id),
      ...large.audio_tracks.map((a) => a.id),
      ...large.subtitle_tracks.map((s) => s.id),
    ];
    expect(ids.filter((id) => !UUID.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('points every child row at a title that exists', () => {
    const titleIds = new Set(large.titles.map((t) => t.id));
    for (const rows of [
      large.artwork,
      large.encodings,
      large.audio_tracks,
      large.subtitle_tracks,
      large.title_genres,
    ]) {
      expect(rows.filter((r: { title_id: string }) => !titleIds.has(r.title_id))).toEqual([]);
    }
    expect(large.seasons.filter((s) => !titleIds.has(s.series_id))).toEqual([]);
  });
});

describe('credits, keywords and original titles', () => {
  const catalog = generateCatalog({ titles: 300 });
  const topLevelIds = new Set(catalog.titles.filter((t) => t.type !== 'episode').map((t) => t.id));

  it('credits every top-level title with a cast or a host and one director or creator, never an episode', () => {
    for (const id of topLevelIds) {
      const credits = catalog.title_credits.filter((c) => c.title_id === id);
      expect(credits.some((c) => c.role === 'actor')).toBe(true);
      expect(credits.filter((c) => c.role === 'director' || c.role === 'creator')).toHaveLength(1);
      expect(credits.map((c) => c.position)).toEqual(credits.map((_, i) => i + 1));
    }
    expect(catalog.title_credits.every((c) => topLevelIds.has(c.title_id))).toBe(true);
    expect(catalog.title_keywords.every((k) => topLevelIds.has(k.title_id))).toBe(true);
  });

  it('gives some titles an original title in a non-Latin script, and every anime one in Japanese', () => {
    const nonLatin = catalog.title_original_names.filter((o) => !/\p{Script=Latin}/u.test(o.name));
    expect(nonLatin.length).toBeGreaterThanOrEqual(5);
    expect(new Set(nonLatin.map((o) => o.language)).size).toBeGreaterThanOrEqual(2);
  });

  it('left the rows of the tables before it unchanged (digest of the demo catalog pinned)', () => {
    const before = [
      'maturity_ratings',
      'genres',
      'plans',
      'titles',
      'seasons',
      'title_genres',
      'artwork',
      'encodings',
      'audio_tracks',
      'subtitle_tracks',
    ] as const;
    const digest = createHash('sha256')
      .update(JSON.stringify(before.map((table) => catalog[table])))
      .digest('hex');
    expect(digest).toBe('4d9c2c90537a3b8973c3d08fe7d0c5b791edbc08c9655fdd7c19901db51c8c04');
  });

  it('draws from a stream of its own: the first titles of a larger catalog have the same credits', () => {
    const small = generateCatalog({ titles: 40 });
    const smallIds = new Set(small.titles.map((t) => t.id));
    expect(catalog.title_credits.filter((c) => smallIds.has(c.title_id))).toEqual(small.title_credits);
    expect(catalog.title_original_names.filter((o) => smallIds.has(o.title_id))).toEqual(small.title_original_names);
  });
});
