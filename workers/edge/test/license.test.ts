import { SELF, env } from 'cloudflare:test';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { PlaybackManifest } from '../../../core/manifest/json.ts';
import { toBase64url } from '../../../core/protection/key-wrap.ts';
import { KEY_TIERS, type KeyTier } from '../../../core/protection/tiers.ts';
import { ClearKeyLicence } from '../../../core/protection/wire.ts';
import type { Identity } from '../../../core/tokens.ts';
import type { ProtectedFixtures, ProtectedTitle } from '../../../origin/test/support/protected.ts';
import { newOwner, originCalls, profileToken } from '../../test/helpers.ts';

const { pg, adult } = JSON.parse(env.TEST_PROTECTED) as ProtectedFixtures;
const EDGE = 'https://edge.test';
const WITHHELD = 'edgeflix-keys-withheld';

async function licence(
  title: ProtectedTitle,
  kids: string[],
  options: { owner?: Identity; plan?: string; token?: string; body?: string; query?: string } = {},
): Promise<Response> {
  const token = options.token ?? (await profileToken(options.owner ?? newOwner(), { plan: options.plan ?? 'premium' }));
  return SELF.fetch(`${EDGE}/v1/license/clearkey${options.query ?? `?title=${title.titleId}`}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: options.body ?? JSON.stringify({ kids, type: 'temporary' }),
  });
}

const kidsOf = (title: ProtectedTitle, tiers: readonly KeyTier[] = KEY_TIERS) => tiers.map((t) => title.keys[t].kidB64);
/** The licence's keys as `{kid: k}`, after checking its shape. */
async function grantedKeys(res: Response): Promise<Record<string, string>> {
  expect(res.status).toBe(200);
  const body = ClearKeyLicence.parse(await res.json());
  return Object.fromEntries(body.keys.map((k) => [k.kid, k.k]));
}
const keysOf = (title: ProtectedTitle, tiers: readonly KeyTier[]) =>
  Object.fromEntries(tiers.map((t) => [title.keys[t].kidB64, title.keys[t].k]));
const withheldOf = (title: ProtectedTitle, entries: [KeyTier, string][]) =>
  entries.map(([t, reason]) => `${title.keys[t].kidB64}=${reason}`).join(', ');

describe('POST /v1/license/clearkey', () => {
  it('gives a premium profile every tier key of the title, exactly the stored keys', async () => {
    const res = await licence(pg, kidsOf(pg), { plan: 'premium' });
    expect(await grantedKeys(res)).toEqual(keysOf(pg, KEY_TIERS));
    expect(res.headers.get(WITHHELD)).toBe('');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('gives a basic profile only audio and SD keys, and names the HD and UHD keys as withheld for the plan', async () => {
    const res = await licence(pg, kidsOf(pg), { plan: 'basic' });
    expect(await grantedKeys(res)).toEqual(keysOf(pg, ['audio', 'sd']));
    expect(res.headers.get(WITHHELD)).toBe(
      withheldOf(pg, [
        ['hd', 'plan'],
        ['uhd', 'plan'],
      ]),
    );
  });

  it('gives a standard profile keys up to HD, not UHD', async () => {
    const res = await licence(pg, kidsOf(pg), { plan: 'standard' });
    expect(await grantedKeys(res)).toEqual(keysOf(pg, ['audio', 'sd', 'hd']));
    expect(res.headers.get(WITHHELD)).toBe(withheldOf(pg, [['uhd', 'plan']]));
  });

  it('withholds another title\u2019s keys and unknown key ids alike, as not-this-title', async () => {
    const unknown = toBase64url(crypto.getRandomValues(new Uint8Array(16)));
    const res = await licence(pg, [pg.keys.sd.kidB64, adult.keys.sd.kidB64, unknown]);
    expect(await grantedKeys(res)).toEqual(keysOf(pg, ['sd']));
    expect(res.headers.get(WITHHELD)).toBe(`${adult.keys.sd.kidB64}=not-this-title, ${unknown}=not-this-title`);
  });

  it('withholds every key of a title above the profile\u2019s maturity level', async () => {
    const res = await licence(adult, kidsOf(adult), { owner: newOwner(10) });
    expect(await grantedKeys(res)).toEqual({});
    expect(res.headers.get(WITHHELD)).toBe(
      withheldOf(
        adult,
        KEY_TIERS.map((t) => [t, 'maturity']),
      ),
    );
  });

  it('answers a tampered, foreign-signed or missing token with 401 and an account token with 403, never with keys', async () => {
    const good = await profileToken(newOwner());
    const [h, p, s] = good.split('.');
    const tampered = `${h}.${p}.${s!.slice(0, -4)}${s!.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    for (const token of [tampered, 'not-a-token']) {
      const res = await licence(pg, kidsOf(pg), { token });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    const anonymous = await SELF.fetch(`${EDGE}/v1/license/clearkey?title=${pg.titleId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kids: kidsOf(pg) }),
    });
    expect(anonymous.status).toBe(401);
  });

  it('answers a malformed request with 400 problem+json before looking any key up', async () => {
    const owner = newOwner();
    const cases = [
      { body: '{"kids": [' },
      { body: JSON.stringify({ kids: [] }) },
      { body: JSON.stringify({ kids: ['not base64url!'] }) },
      { body: JSON.stringify({ kids: [pg.keys.sd.kidB64], type: 'streaming' }) },
      { body: JSON.stringify({ type: 'temporary' }) },
      { query: '' },
      { query: '?title=not-a-uuid' },
    ];
    for (const c of cases) {
      const res = await licence(pg, [], { owner, ...c });
      expect(res.status, JSON.stringify(c)).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    expect(await originCalls(owner, '/internal/v1/content-keys/lookup')).toEqual([]);
  });

  it('asks the origin once for keys it has just looked up (isolate cache)', async () => {
    const owner = newOwner();
    const kid = toBase64url(crypto.getRandomValues(new Uint8Array(16)));
    for (let i = 0; i < 2; i++) {
      const res = await licence(pg, [kid], { owner });
      expect(res.status, await res.clone().text()).toBe(200);
    }
    expect(await originCalls(owner, '/internal/v1/content-keys/lookup')).toHaveLength(1);
  });
});

describe('manifests of a protected title', () => {
  const parser = new XMLParser({
    ignoreAttributes: false,
    isArray: (n) => ['AdaptationSet', 'Representation', 'ContentProtection'].includes(n),
  });
  interface Set {
    '@_contentType': string;
    '@_maxHeight'?: string;
    ContentProtection: {
      '@_schemeIdUri': string;
      '@_cenc:default_KID'?: string;
      'dashif:laurl'?: string;
      'cenc:pssh'?: string;
    }[];
    Representation: { '@_height'?: string }[];
  }
  const mpd = async (plan: string) => {
    const res = await SELF.fetch(`${EDGE}/v1/playback/${pg.titleId}/manifest.mpd`, {
      headers: {
        authorization: `Bearer ${await profileToken(newOwner(), { plan })}`,
        'x-device-capabilities': 'codecs=avc1,vp09,hev1,av01,mp4a,ec-3; max-res=3840x2160; hdr=hdr10,hlg',
      },
    });
    expect(res.status).toBe(200);
    const doc = parser.parse(await res.text()) as { MPD: { Period: { AdaptationSet: Set[] } } };
    return doc.MPD.Period.AdaptationSet.filter((s) => s['@_contentType'] !== 'text');
  };

  it('signals cenc with the tier default_KID and Clear Key with the licence URL on every video and audio set, one tier per set', async () => {
    const sets = await mpd('premium');
    const tierOf = (kid: string | undefined) => KEY_TIERS.find((t) => pg.keys[t].kid === kid);
    for (const set of sets) {
      const [cenc, clearKey] = set.ContentProtection;
      expect(cenc?.['@_schemeIdUri']).toBe('urn:mpeg:dash:mp4protection:2011');
      const tier = tierOf(cenc?.['@_cenc:default_KID']);
      expect(tier).toBeDefined();
      expect(clearKey?.['@_schemeIdUri']).toBe('urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e');
      expect(clearKey?.['dashif:laurl']).toBe(`/v1/license/clearkey?title=${pg.titleId}`);
      if (set['@_contentType'] === 'audio') expect(tier).toBe('audio');
      else {
        const heights = set.Representation.map((r) => Number(r['@_height']));
        const expected = heights.every((h) => h <= 480)
          ? 'sd'
          : heights.every((h) => h > 480 && h <= 1080)
            ? 'hd'
            : 'uhd';
        // HDR sets are UHD whatever their height.
        if (tier !== 'uhd') expect(tier).toBe(expected);
      }
    }
    expect(new Set(sets.map((s) => tierOf(s.ContentProtection[0]?.['@_cenc:default_KID'])))).toEqual(
      new Set(KEY_TIERS),
    );
  });

  it('lists for a basic profile only what it gets keys for: nothing above 480p', async () => {
    const heights = (await mpd('basic')).flatMap((s) => s.Representation.map((r) => Number(r['@_height'] ?? 0)));
    expect(Math.max(...heights)).toBe(480);
  });

  it('carries the same protection in the JSON manifest, a key id on every quality and audio track', async () => {
    const res = await SELF.fetch(`${EDGE}/v1/playback/${pg.titleId}/manifest.mpd`, {
      headers: {
        authorization: `Bearer ${await profileToken(newOwner(), { plan: 'standard' })}`,
        accept: 'application/json',
      },
    });
    const manifest = PlaybackManifest.parse(await res.json());
    expect(manifest.protection?.keySystems).toEqual([
      {
        keySystem: 'org.w3.clearkey',
        schemeIdUri: 'urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e',
        licenceUrl: `/v1/license/clearkey?title=${pg.titleId}`,
      },
    ]);
    for (const q of manifest.qualities) expect(q.kid).toBe(q.height <= 480 ? pg.keys.sd.kid : pg.keys.hd.kid);
    for (const a of manifest.audioTracks) expect(a.kid).toBe(pg.keys.audio.kid);
  });

  it('refuses HLS for a protected title with 422 not_playable saying to use DASH', async () => {
    const res = await SELF.fetch(`${EDGE}/v1/playback/${pg.titleId}/master.m3u8`, {
      headers: { authorization: `Bearer ${await profileToken(newOwner())}` },
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/DASH only/);
  });
});
