import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlaybackSource } from '../../core/manifest/source.ts';
import { asEdge } from './support/as-edge.ts';
import type { FixtureTitles } from './support/fixtures.ts';
import type { TestKeys } from './support/keys.ts';
import { realTestOrigin, type TestOrigin } from './support/origin.ts';

let keys: TestKeys;
let origin: TestOrigin;
let t: FixtureTitles;
const cleanup: (() => Promise<void>)[] = [];
const ids = { h264: randomUUID(), vp9: randomUUID(), en: randomUUID(), fr: randomUUID(), subs: randomUUID() };

beforeAll(async () => {
  const real = await realTestOrigin('playback');
  cleanup.push(() => real.stop());
  ({ origin, keys, titles: t } = real);
  const sql = postgres(real.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const m = t.movie;
    await sql`INSERT INTO encodings (id, title_id, codec, codec_family, width, height, bandwidth, frame_rate,
                                     dynamic_range, segment_duration_seconds, segment_count, storage_prefix)
              VALUES (${ids.h264}, ${m}, 'avc1.4D401F', 'avc1', 1280, 720, 3000000, '24', 'SDR', 4, 1500, ${`media/${m}/avc1-720p-sdr/`}),
                     (${ids.vp9}, ${m}, 'vp09.00.31.08', 'vp09', 1920, 1080, 4500000, '24000/1001', 'HDR10', 3.2, 1875, ${`media/${m}/vp09-1080p-hdr10/`})`;
    await sql`INSERT INTO audio_tracks (id, title_id, language, label, codec, channel_layout, channels, bandwidth,
                                        role, is_default, segment_duration_seconds, segment_count, storage_prefix)
              VALUES (${ids.en}, ${m}, 'en', 'English', 'mp4a.40.2', '2.0', 2, 128000, 'main', true, 4, 1500, ${`media/${m}/audio-en-2.0/`}),
                     (${ids.fr}, ${m}, 'fr', 'Français', 'mp4a.40.2', '2.0', 2, 128000, 'dub', false, 4, 1500, ${`media/${m}/audio-fr-2.0/`})`;
    await sql`INSERT INTO subtitle_tracks (id, title_id, language, label, kind, storage_key)
              VALUES (${ids.subs}, ${m}, 'en', 'English', 'subtitles', ${`media/${m}/subs-en.vtt`})`;
    await sql`UPDATE titles SET media_available = true WHERE id IN (${m}, ${t.matureMovie}, ${t.episodes[0]}, ${t.series})`;
  } finally {
    await sql.end();
  }
});

afterAll(async () => {
  for (const step of cleanup) await step();
});

const source = (titleId: string, caller: { pid?: string; mat?: number } = {}) =>
  asEdge(origin, keys.serviceSecret, {
    path: `/internal/v1/playback/${titleId}/source`,
    sub: randomUUID(),
    pid: caller.pid ?? randomUUID(),
    mat: caller.mat ?? 50,
  });

describe('GET /internal/v1/playback/{titleId}/source', () => {
  it('answers a playable movie with its whole ladder in the wire shape, numeric durations as numbers', async () => {
    const res = await source(t.movie);
    expect(res.status).toBe(200);
    const body = PlaybackSource.parse(await res.json());
    expect(body).toMatchObject({
      titleId: t.movie,
      name: 'Fixture Movie',
      durationSeconds: 6000,
      maturityRating: 'PG',
    });
    expect(body.maturityLevel).toBeTypeOf('number');
    expect(body.encodings.map((e) => e.id)).toEqual([ids.vp9, ids.h264]);
    expect(body.encodings.find((e) => e.id === ids.vp9)).toMatchObject({
      codecFamily: 'vp09',
      frameRate: '24000/1001',
      dynamicRange: 'HDR10',
      segmentDurationSeconds: 3.2,
    });
    expect(body.audioTracks.map((a) => [a.language, a.isDefault, a.segmentDurationSeconds])).toEqual([
      ['en', true, 4],
      ['fr', false, 4],
    ]);
    expect(body.subtitleTracks).toEqual([
      { id: ids.subs, language: 'en', label: 'English', kind: 'subtitles', storageKey: `media/${t.movie}/subs-en.vtt` },
    ]);
  });

  it('answers every profile the same, whatever its maturity level (the edge checks maturity)', async () => {
    const adult = await (await source(t.matureMovie, { mat: 50 })).json();
    const kids = await source(t.matureMovie, { mat: 0 });
    expect(kids.status).toBe(200);
    expect(await kids.json()).toEqual(adult);
  });

  it('answers an episode with media', async () => {
    const res = await source(t.episodes[0]);
    expect(res.status).toBe(200);
    expect(((await res.json()) as PlaybackSource).titleId).toBe(t.episodes[0]);
  });

  it('refuses a series, a title without media and an unknown title with a 404 problem', async () => {
    for (const id of [t.series, t.episodes[1], randomUUID()]) {
      const res = await source(id);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(((await res.json()) as { code: string }).code).toBe('not_found');
    }
  });

  it('refuses a malformed id with 400 and a call without the service credential with 401', async () => {
    expect((await source('not-a-uuid')).status).toBe(400);
    const res = await asEdge(origin, keys.serviceSecret, {
      path: `/internal/v1/playback/${t.movie}/source`,
      noCredential: true,
    });
    expect(res.status).toBe(401);
  });
});
