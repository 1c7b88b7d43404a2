import { SELF, env, runDurableObjectAlarm } from 'cloudflare:test';
import { XMLParser } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureId, sampleSource } from '../../../core/manifest/fixtures.ts';
import { PlaybackManifest } from '../../../core/manifest/json.ts';
import { signSegmentToken, type SegmentKeySet } from '../../../core/segment-token.ts';
import type { Identity } from '../../../core/tokens.ts';
import {
  bufferFor,
  newOwner,
  originCalls,
  profileToken,
  STORED_PATH,
  storedProgress,
  storeDirectly,
  titleOfType,
} from '../../test/helpers.ts';

const { titleId, matureTitleId } = JSON.parse(env.TEST_PLAYBACK) as { titleId: string; matureTitleId: string };
const KEYS = JSON.parse(env.SEGMENT_SIGNING_KEYS) as SegmentKeySet;
const source = sampleSource();
const [avc720, vp9720] = [fixtureId(4), fixtureId(7)];
const avc720Prefix = source.encodings.find((e) => e.id === avc720)!.storagePrefix;
const englishAudio = source.audioTracks.find((a) => a.id === fixtureId(21))!;
const englishSubs = source.subtitleTracks.find((s) => s.id === fixtureId(31))!;
const EDGE = 'https://edge.test';
const SEGMENT_BYTES = Uint8Array.from({ length: 1000 }, (_, i) => i % 256);

const tokenFor = (owner: Identity, plan?: string) => profileToken(owner, plan ? { plan } : {});

/** The owner played the sample title up to `positionSeconds`: one heartbeat, taken by its buffer. */
async function watched(owner: Identity, positionSeconds: number): Promise<void> {
  const hb = await SELF.fetch(`${EDGE}/v1/progress`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await tokenFor(owner)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ titleId, positionSeconds, durationSeconds: 58, eventTime: Date.now(), deviceId: 'web' }),
  });
  expect(hb.status).toBe(202);
}

async function get(
  path: string,
  options: { owner?: Identity; plan?: string; caps?: string; accept?: string } = {},
): Promise<Response> {
  const headers = new Headers({ authorization: `Bearer ${await tokenFor(options.owner ?? newOwner(), options.plan)}` });
  if (options.caps) headers.set('x-device-capabilities', options.caps);
  if (options.accept) headers.set('accept', options.accept);
  return SELF.fetch(`${EDGE}${path}`, { headers });
}

interface Representation {
  '@_id': string;
  '@_height'?: string;
  '@_bandwidth': string;
  SegmentTemplate?: { '@_initialization': string; '@_media': string };
}
interface AdaptationSet {
  '@_contentType': string;
  '@_lang'?: string;
  '@_codecs'?: string;
  Representation: Representation[];
}
const parser = new XMLParser({
  ignoreAttributes: false,
  isArray: (name) => ['AdaptationSet', 'Representation', 'Period'].includes(name),
});

function parseMpd(xml: string) {
  const doc = parser.parse(xml) as {
    MPD: { '@_type': string; '@_edgeflix:resumePosition'?: string; Period: { AdaptationSet: AdaptationSet[] }[] };
  };
  const sets = doc.MPD.Period[0]!.AdaptationSet;
  const of = (type: string) => sets.filter((s) => s['@_contentType'] === type);
  return {
    doc,
    video: of('video'),
    audio: of('audio'),
    text: of('text'),
    videoIds: of('video').flatMap((s) => s.Representation.map((r) => r['@_id'])),
    heights: of('video').flatMap((s) => s.Representation.map((r) => Number(r['@_height']))),
  };
}

function dropped(res: Response): Map<string, string> {
  const header = res.headers.get('x-dropped-representations') ?? '';
  return new Map(
    header
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((pair) => pair.split('=') as [string, string]),
  );
}

async function problem(res: Response) {
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  return (await res.json()) as { code: string; detail: string };
}

const manifest = (id = titleId) => `/v1/playback/${id}/manifest.mpd`;
const ALL = 'codecs=avc1,hev1,vp09,av01,mp4a,ec-3; max-res=3840x2160; hdr=hdr10,hlg';

describe('DASH manifest', () => {
  it('lists what a default device plays (H.264 up to 1080p, SDR) and names the rest as dropped', async () => {
    const res = await get(manifest());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/dash+xml');
    expect(res.headers.get('cache-control')).toContain('no-store');
    const mpd = parseMpd(await res.text());
    expect(mpd.doc.MPD['@_type']).toBe('static');
    expect(mpd.video.every((s) => s['@_codecs'] === undefined || s['@_codecs'].startsWith('avc1'))).toBe(true);
    expect(mpd.heights.sort((a, b) => a - b)).toEqual([240, 360, 480, 720, 1080]);
    expect(mpd.audio.map((s) => s['@_lang']).sort()).toEqual(['en', 'en', 'es']);
    expect(mpd.text).toHaveLength(3);
    const drops = dropped(res);
    expect(drops.get(vp9720)).toBe('codec-unsupported');
    expect(drops.get(fixtureId(22))).toBe('codec-unsupported'); // ec-3 surround
    const rep = mpd.video.flatMap((s) => s.Representation).find((r) => r['@_id'] === avc720)!;
    expect(rep.SegmentTemplate!['@_media']).toMatch(/^seg-\$Number\$\.m4s\?token=[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('keeps UHD and HDR for a premium device that plays them, and the plan caps a basic account', async () => {
    const premium = parseMpd(await (await get(manifest(), { caps: ALL })).text());
    expect(Math.max(...premium.heights)).toBe(2160);
    expect(premium.videoIds).toContain(fixtureId(9)); // hev1 HDR10
    const basicRes = await get(manifest(), { caps: ALL, plan: 'basic' });
    const basic = parseMpd(await basicRes.text());
    expect(Math.max(...basic.heights)).toBe(720);
    const drops = dropped(basicRes);
    expect(drops.get(fixtureId(5))).toBe('resolution-above-plan');
    expect(drops.get(fixtureId(9))).toBe('hdr-not-in-plan');
    const standard = parseMpd(await (await get(manifest(), { caps: ALL, plan: 'standard' })).text());
    expect(Math.max(...standard.heights)).toBe(1080);
  });

  it('reads capabilities from the query too, a query key overriding the header', async () => {
    const res = await get(`${manifest()}?codecs=vp09,mp4a&max-res=1280x720`, { caps: ALL });
    const mpd = parseMpd(await res.text());
    expect(mpd.videoIds.sort()).toEqual([fixtureId(6), vp9720].sort());
    expect(dropped(res).get(fixtureId(8))).toBe('resolution-above-device');
  });

  it('answers 422 not_playable naming the reason when the device can play no video of the title', async () => {
    const res = await get(manifest(), { caps: 'codecs=hev1; hdr=none' });
    expect(res.status).toBe(422);
    const body = await problem(res);
    expect(body.code).toBe('not_playable');
    expect(body.detail).toContain('no video');
    expect(body.detail).toContain('codec-unsupported');
    expect(body.detail).toContain('hdr-unsupported');
  });

  it('refuses malformed capabilities with 400', async () => {
    const res = await get(manifest(), { caps: 'max-res=huge' });
    expect(res.status).toBe(400);
    expect((await problem(res)).code).toBe('validation_failed');
  });

  it('refuses a title above the profile\u2019s maturity level with 403', async () => {
    const res = await get(manifest(matureTitleId), { owner: newOwner(30) });
    expect(res.status).toBe(403);
    expect((await problem(res)).code).toBe('forbidden');
    expect((await get(manifest(matureTitleId), { owner: newOwner(50) })).status).toBe(200);
  });

  it('answers 404 for a title without media, an unknown title and a series; 401 without a token', async () => {
    const movieWithoutMedia = titleOfType('movie').id;
    for (const id of [movieWithoutMedia, crypto.randomUUID(), titleOfType('series').id]) {
      const res = await get(manifest(id));
      expect(res.status).toBe(404);
      expect((await problem(res)).code).toBe('not_found');
    }
    expect((await SELF.fetch(`${EDGE}${manifest()}`)).status).toBe(401);
  });

  it('starts at the profile\u2019s resume position, still in its buffer (not yet flushed)', async () => {
    const owner = newOwner();
    await watched(owner, 31);
    const mpd = parseMpd(await (await get(manifest(), { owner })).text());
    expect(Number(mpd.doc.MPD['@_edgeflix:resumePosition'])).toBe(31);
    const fresh = parseMpd(await (await get(manifest())).text());
    expect(Number(fresh.doc.MPD['@_edgeflix:resumePosition'] ?? 0)).toBe(0);
  });

  it('starts at a flushed position from the buffer’s watermark, without a progress query to the origin', async () => {
    const owner = newOwner();
    await watched(owner, 23);
    expect(await runDurableObjectAlarm(bufferFor(owner))).toBe(true);
    expect((await storedProgress(owner, [titleId])).get(titleId)?.positionSeconds).toBe(23);
    const mpd = parseMpd(await (await get(manifest(), { owner })).text());
    expect(Number(mpd.doc.MPD['@_edgeflix:resumePosition'])).toBe(23);
    expect(await originCalls(owner, '/internal/v1/progress/query')).toEqual([]);
  });

  it('learns the position of a title the profile’s buffer never saw from the origin, once', async () => {
    const owner = newOwner();
    // Progress the origin has but this profile's buffer never saw (e.g. written before it existed).
    await storeDirectly(owner, [
      { titleId, positionSeconds: 17, durationSeconds: 58, eventTime: Date.now() - 1000, tie: 0, deviceId: 'tv' },
    ]);
    for (let i = 0; i < 2; i += 1) {
      const mpd = parseMpd(await (await get(manifest(), { owner })).text());
      expect(Number(mpd.doc.MPD['@_edgeflix:resumePosition'])).toBe(17);
    }
    expect(await originCalls(owner, STORED_PATH)).toHaveLength(1);
    expect(await originCalls(owner, '/internal/v1/progress/query')).toEqual([]);
  });
});

describe('JSON manifest', () => {
  it('answers the PlaybackManifest shape with signed URLs and what was dropped, for Accept: application/json', async () => {
    const res = await get(manifest(), { accept: 'application/json', caps: 'codecs=avc1,mp4a; max-res=1280x720' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const body = PlaybackManifest.parse(await res.json());
    expect(body.videoId).toBe(titleId);
    expect(body.qualities.map((q) => q.height)).toEqual([720, 480, 360, 240]);
    expect(body.qualities[0]!.initUrl).toMatch(new RegExp(`^/v1/${avc720Prefix}init\\.mp4\\?token=`));
    expect(body.dropped).toContainEqual({ id: fixtureId(5), kind: 'video', reason: 'resolution-above-device' });
    expect(body.subtitles.map((s) => s.language).sort()).toEqual(['en', 'en', 'es']);
  });
});

describe('HLS', () => {
  it('answers a master playlist whose media playlists play through segment tokens alone', async () => {
    const res = await get(`/v1/playback/${titleId}/master.m3u8`);
    const masterUrl = `${EDGE}/v1/playback/${titleId}/master.m3u8`;
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    const master = await res.text();
    expect(master.startsWith('#EXTM3U\n')).toBe(true);
    const variants = master.split('\n').filter((l) => l.startsWith('#EXT-X-STREAM-INF:'));
    expect(variants.length).toBeGreaterThan(0);
    expect(variants.every((l) => /CODECS="avc1/.test(l))).toBe(true);
    const uri = master.split('\n').find((l) => l.includes(`/hls/${avc720}.m3u8?token=`))!;
    expect(uri).toBeDefined();

    const media = await SELF.fetch(new URL(uri, masterUrl)); // no Authorization: the player cannot add one
    expect(media.status).toBe(200);
    const playlist = await media.text();
    expect(playlist).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(playlist).toMatch(new RegExp(`#EXT-X-MAP:URI="/v1/${avc720Prefix}init\\.mp4\\?token=`));
    expect(playlist.split('\n').filter((l) => l.startsWith('#EXTINF:'))).toHaveLength(15);
    expect(playlist).toContain('#EXT-X-ENDLIST');

    const subsUri = master.match(/TYPE=SUBTITLES[^\n]*URI="([^"]+)"/)![1]!;
    const subs = await (await SELF.fetch(new URL(subsUri, masterUrl))).text();
    expect(subs).toMatch(/\.vtt\?token=/);
  });

  it('refuses a media playlist with a tampered token or another representation\u2019s token', async () => {
    const master = await (await get(`/v1/playback/${titleId}/master.m3u8`)).text();
    const uri = new URL(
      master.split('\n').find((l) => l.includes(`/hls/${avc720}.m3u8?token=`))!,
      `${EDGE}/v1/playback/${titleId}/master.m3u8`,
    ).href;
    const token = new URL(uri).searchParams.get('token')!;
    const tampered = `${uri.slice(0, -3)}${uri.endsWith('A') ? 'B' : 'A'}${uri.slice(-2)}`;
    expect((await SELF.fetch(tampered)).status).toBe(403);
    const other = `${EDGE}/v1/playback/${titleId}/hls/${englishAudio.id}.m3u8?token=${token}`;
    expect((await SELF.fetch(other)).status).toBe(403);
    expect((await SELF.fetch(`${EDGE}/v1/playback/${titleId}/hls/${avc720}.m3u8`)).status).toBe(403);
  });
});

describe('segment delivery', () => {
  const owner = newOwner();
  const sign = (
    grant: { titleId?: string; id?: string; prefix?: string },
    options: { now?: number; keys?: SegmentKeySet } = {},
  ) =>
    signSegmentToken(
      {
        titleId: grant.titleId ?? titleId,
        representationId: grant.id ?? avc720,
        prefix: grant.prefix ?? avc720Prefix,
        profileId: owner.profileId,
      },
      options.keys ?? KEYS,
      options.now !== undefined ? { now: options.now } : {},
    ).then((t) => t.token);
  const segment = (file: string, token: string) => `${EDGE}/v1/${avc720Prefix}${file}?token=${token}`;

  beforeAll(async () => {
    await env.MEDIA.put(`${avc720Prefix}init.mp4`, SEGMENT_BYTES.slice(0, 100));
    await env.MEDIA.put(`${avc720Prefix}seg-1.m4s`, SEGMENT_BYTES);
    await env.MEDIA.put(`${englishAudio.storagePrefix}seg-1.m4s`, SEGMENT_BYTES);
    await env.MEDIA.put(englishSubs.storageKey, 'WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n');
  });

  it('serves a segment with a good token: type, length, ETag and immutable caching, no user token needed', async () => {
    const res = await SELF.fetch(segment('seg-1.m4s', await sign({})));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('cache-control')).toMatch(/public, max-age=\d+, immutable/);
    expect(res.headers.get('etag')).toMatch(/^".+"$/);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(SEGMENT_BYTES);
    const again = await SELF.fetch(segment('seg-1.m4s', await sign({})), {
      headers: { 'if-none-match': res.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
  });

  it('serves byte ranges with 206 and Content-Range, and 416 for a range past the end', async () => {
    const url = segment('seg-1.m4s', await sign({}));
    const mid = await SELF.fetch(url, { headers: { range: 'bytes=10-19' } });
    expect(mid.status).toBe(206);
    expect(mid.headers.get('content-range')).toBe('bytes 10-19/1000');
    expect(new Uint8Array(await mid.arrayBuffer())).toEqual(SEGMENT_BYTES.slice(10, 20));
    const tail = await SELF.fetch(url, { headers: { range: 'bytes=-5' } });
    expect(tail.status).toBe(206);
    expect(tail.headers.get('content-range')).toBe('bytes 995-999/1000');
    const open = await SELF.fetch(url, { headers: { range: 'bytes=990-' } });
    expect((await open.arrayBuffer()).byteLength).toBe(10);
    const past = await SELF.fetch(url, { headers: { range: 'bytes=5000-' } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe('bytes */1000');
  });

  it('answers audio and subtitles with their content types', async () => {
    const audio = await SELF.fetch(
      `${EDGE}/v1/${englishAudio.storagePrefix}seg-1.m4s?token=${await sign({ id: englishAudio.id, prefix: englishAudio.storagePrefix })}`,
    );
    expect(audio.headers.get('content-type')).toBe('audio/mp4');
    const subs = await SELF.fetch(
      `${EDGE}/v1/${englishSubs.storageKey}?token=${await sign({ id: englishSubs.id, prefix: englishSubs.storageKey })}`,
    );
    expect(subs.status).toBe(200);
    expect(subs.headers.get('content-type')).toContain('text/vtt');
  });

  it('refuses a missing, tampered, expired or foreign-key token with a 403 problem', async () => {
    const good = await sign({});
    const [h, p, s] = good.split('.');
    const tampered = `${h}.${p!.slice(0, -1)}${p!.endsWith('A') ? 'B' : 'A'}.${s}`;
    const expired = await sign({}, { now: Date.now() - 2 * 60 * 60 * 1000 });
    const foreign = await sign({}, { keys: { current: 'test-2', keys: { 'test-2': 'x'.repeat(48) } } });
    for (const token of [tampered, expired, foreign]) {
      const res = await SELF.fetch(segment('seg-1.m4s', token));
      expect(res.status).toBe(403);
      expect((await problem(res)).code).toBe('forbidden');
    }
    expect((await SELF.fetch(`${EDGE}/v1/${avc720Prefix}seg-1.m4s`)).status).toBe(403);
  });

  it('refuses a token for another representation or another title on this path', async () => {
    const otherRep = await sign({ id: vp9720, prefix: source.encodings.find((e) => e.id === vp9720)!.storagePrefix });
    const otherTitle = await sign({ titleId: matureTitleId, prefix: `media/${matureTitleId}/avc1-720p-sdr/` });
    for (const token of [otherRep, otherTitle])
      expect((await SELF.fetch(segment('seg-1.m4s', token))).status).toBe(403);
    // A path that climbs out of the token's prefix is not a clean key.
    expect((await SELF.fetch(`${EDGE}/v1/${avc720Prefix}%2e%2e/x.m4s?token=${await sign({})}`)).status).toBe(403);
  });

  it('accepts a token signed with the previous key while keys rotate', async () => {
    const previous = await sign({}, { keys: { ...KEYS, current: 'test-1' } });
    expect((await SELF.fetch(segment('seg-1.m4s', previous))).status).toBe(200);
  });

  it('answers 404 for an object the bucket does not have, under a valid token', async () => {
    const res = await SELF.fetch(segment('seg-99.m4s', await sign({})));
    expect(res.status).toBe(404);
    expect((await problem(res)).code).toBe('not_found');
  });

  it('serves the segments a manifest lists, with the manifest\u2019s own token', async () => {
    const body = PlaybackManifest.parse(await (await get(manifest(), { accept: 'application/json' })).json());
    const tier = body.qualities.find((q) => q.id === avc720)!;
    // The manifest's URLs are paths: a client resolves them against the manifest's own URL.
    const at = (ref: string) => new URL(ref, `${EDGE}${manifest()}`);
    expect((await SELF.fetch(at(tier.initUrl))).status).toBe(200);
    expect((await SELF.fetch(at(tier.baseUrl.replace('$Number$', '1')))).status).toBe(200);
  });
});
