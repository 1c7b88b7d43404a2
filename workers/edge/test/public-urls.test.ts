/**
 * Where manifests send players: never to the host a request names. Every URL in a manifest or
 * playlist is resolved here as a player resolves it (RFC 3986 against the URL it fetched), level
 * by level, and fetched from the worker.
 */
import { SELF, env } from 'cloudflare:test';
import { XMLParser } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureId, sampleSource } from '../../../core/manifest/fixtures.ts';
import { PlaybackManifest } from '../../../core/manifest/json.ts';
import { newOwner, profileToken } from '../../test/helpers.ts';

const { titleId } = JSON.parse(env.TEST_PLAYBACK) as { titleId: string };
const source = sampleSource();
const avc720 = source.encodings.find((e) => e.id === fixtureId(4))!;
const englishAudio = source.audioTracks.find((a) => a.id === fixtureId(21))!;
const englishSubs = source.subtitleTracks.find((s) => s.id === fixtureId(31))!;
const EDGE = 'https://edge.test';
const EVIL = 'evil.example';

async function asPlayer(url: string | URL, token?: string): Promise<Response> {
  // The Host header a hostile client (or a proxy that forwards it) sends, and a URL naming it too.
  const headers = new Headers({ host: EVIL });
  if (token) headers.set('authorization', `Bearer ${token}`);
  return SELF.fetch(url, { headers });
}

async function expectServed(url: URL): Promise<void> {
  expect(url.origin, url.href).toBe(EDGE);
  const res = await SELF.fetch(url);
  expect(res.status, url.pathname).toBe(200);
  await res.arrayBuffer();
}

beforeAll(async () => {
  for (const prefix of [avc720.storagePrefix, englishAudio.storagePrefix]) {
    await env.MEDIA.put(`${prefix}init.mp4`, new Uint8Array(64));
    await env.MEDIA.put(`${prefix}seg-1.m4s`, new Uint8Array(256));
  }
  await env.MEDIA.put(englishSubs.storageKey, 'WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n');
});

describe('manifest URLs ignore the Host header', () => {
  it('DASH: no URL names the request host; BaseURL and SegmentTemplate resolve to served segments', async () => {
    const token = await profileToken(newOwner());
    const mpdUrl = `${EDGE}/v1/playback/${titleId}/manifest.mpd`;
    const evil = await asPlayer(`https://${EVIL}/v1/playback/${titleId}/manifest.mpd`, token);
    expect(evil.status).toBe(200);
    expect(await evil.text()).not.toContain(EVIL);

    const xml = await (await asPlayer(mpdUrl, token)).text();
    const mpd = new XMLParser({
      ignoreAttributes: false,
      isArray: (n) => ['AdaptationSet', 'Representation'].includes(n),
    }).parse(xml) as {
      MPD: {
        Period: {
          AdaptationSet: {
            Representation: {
              '@_id': string;
              BaseURL: string;
              SegmentTemplate?: { '@_initialization': string; '@_media': string };
            }[];
          }[];
        };
      };
    };
    const reps = mpd.MPD.Period.AdaptationSet.flatMap((s) => s.Representation);
    for (const id of [avc720.id, englishAudio.id]) {
      const rep = reps.find((r) => r['@_id'] === id)!;
      const base = new URL(rep.BaseURL, mpdUrl);
      await expectServed(new URL(rep.SegmentTemplate!['@_initialization'], base));
      await expectServed(new URL(rep.SegmentTemplate!['@_media'].replace('$Number$', '1'), base));
    }
    await expectServed(new URL(reps.find((r) => r['@_id'] === englishSubs.id)!.BaseURL, mpdUrl));
  });

  it('JSON: every URL is a path on the manifest’s origin that serves its object', async () => {
    const token = await profileToken(newOwner());
    const json = { authorization: `Bearer ${token}`, accept: 'application/json', host: EVIL };
    const evil = await SELF.fetch(`https://${EVIL}/v1/playback/${titleId}/manifest.mpd`, { headers: json });
    expect(evil.status).toBe(200);
    expect(await evil.text()).not.toContain(EVIL);

    const manifestUrl = `${EDGE}/v1/playback/${titleId}/manifest.mpd`;
    const body = PlaybackManifest.parse(await (await SELF.fetch(manifestUrl, { headers: json })).json());
    const tier = body.qualities.find((q) => q.id === avc720.id)!;
    await expectServed(new URL(tier.initUrl, manifestUrl));
    await expectServed(new URL(tier.baseUrl.replace('$Number$', '1'), manifestUrl));
    await expectServed(new URL(body.subtitles.find((s) => s.id === englishSubs.id)!.url, manifestUrl));
  });

  it('HLS: media playlists resolve against the master, segments against their media playlist', async () => {
    const token = await profileToken(newOwner());
    const evil = await asPlayer(`https://${EVIL}/v1/playback/${titleId}/master.m3u8`, token);
    expect(evil.status).toBe(200);
    expect(await evil.text()).not.toContain(EVIL);

    const masterUrl = `${EDGE}/v1/playback/${titleId}/master.m3u8`;
    const master = await (await asPlayer(masterUrl, token)).text();
    const uris = [
      ...master.split('\n').filter((l) => l !== '' && !l.startsWith('#')),
      ...[...master.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]!),
    ];
    const wanted = [avc720.id, englishAudio.id, englishSubs.id];
    const playlists = wanted.map(
      (id) =>
        new URL(
          uris.find((u) => u.includes(`/${id}.m3u8?`))!,
          masterUrl,
        ),
    );
    for (const playlistUrl of playlists) {
      expect(playlistUrl.origin).toBe(EDGE);
      // The player fetches a media playlist with no Authorization header: its URL carries the token.
      const evilPlaylist = await asPlayer(new URL(`${playlistUrl.pathname}${playlistUrl.search}`, `https://${EVIL}`));
      expect(evilPlaylist.status).toBe(200);
      expect(await evilPlaylist.text()).not.toContain(EVIL);
      const playlist = await (await asPlayer(playlistUrl)).text();
      const map = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)?.[1];
      if (map) await expectServed(new URL(map, playlistUrl));
      const first = playlist.split('\n').find((l) => l !== '' && !l.startsWith('#'))!;
      await expectServed(new URL(first, playlistUrl));
    }
  });
});

describe('odd request targets that reach the worker', () => {
  it('answer 4xx problems, not 500', async () => {
    const token = await profileToken(newOwner());
    for (const path of [
      `//${EVIL}/v1/playback/${titleId}/manifest.mpd`,
      `/v1/playback/%zz/manifest.mpd`,
      `/v1/playback/%E0%A4%A/master.m3u8`,
      `/v1/playback/${titleId}/hls/%ff.m3u8?token=%zz`,
      `/v1/media/%zz/%ff?token=%zz`,
      `/v1/playback/${titleId}/manifest.mpd?codecs=%zz`,
    ]) {
      const res = await SELF.fetch(`${EDGE}${path}`, { headers: { authorization: `Bearer ${token}`, host: EVIL } });
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
      expect(res.headers.get('content-type'), path).toContain('application/problem+json');
      await res.arrayBuffer();
    }
  });
});
