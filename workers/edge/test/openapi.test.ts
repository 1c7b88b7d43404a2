import { SELF, env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { findOperation, responseConformance } from '../../../core/api/conformance.ts';
import { undocumentedRoutes, type JsonSchema } from '../../../core/api/openapi.ts';
import type { PlaybackManifest } from '../../../core/manifest/json.ts';
import { signServiceToken } from '../../../core/tokens.ts';
import { createEdgeApp } from '../src/app.ts';

const EDGE = 'https://edge.test';
const DEMO = { email: 'demo@edgeflix.test', password: 'edgeflix-demo' };
/** No other edge test signs this account in, so signing its sessions out disturbs none of them. */
const BASIC = { email: 'basic@edgeflix.test', password: 'edgeflix-basic' };
const { titleId } = JSON.parse(env.TEST_PLAYBACK) as { titleId: string };

let document: JsonSchema;
/** operationIds of every response checked, to show the session covered the whole document. */
const exercised = new Set<string>();

/** Calls the edge and checks the response against its own document before the test sees it. */
async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const url = path.startsWith('http') ? path : `${EDGE}${path}`;
  const method = init.method ?? 'GET';
  const res = await SELF.fetch(url, init);
  expect(await responseConformance(document, { method, url }, res), `${method} ${path}`).toEqual([]);
  const op = findOperation(document, method, new URL(url).pathname) as { operationId?: string } | undefined;
  if (op?.operationId) exercised.add(op.operationId);
  return res;
}

const bearer = (token: string, headers: Record<string, string> = {}): RequestInit => ({
  headers: { authorization: `Bearer ${token}`, ...headers },
});
const post = (body: unknown, token?: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify(body),
});

beforeAll(async () => {
  const res = await SELF.fetch(`${EDGE}/openapi.json`);
  document = (await res.json()) as JsonSchema;
});

describe('the OpenAPI document', () => {
  it('describes every route the edge answers', () => {
    expect(undocumentedRoutes(createEdgeApp() as never)).toEqual([]);
  });

  it('is served at /openapi.json as OpenAPI 3.1 with the four credentials, and rendered at /docs', async () => {
    const res = await call('/openapi.json');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await res.json()) as { openapi: string; components: { securitySchemes: Record<string, unknown> } };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual([
      'accountToken',
      'profileToken',
      'segmentToken',
      'serviceCredential',
    ]);
    const page = await call('/docs');
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('/vendor/swagger-ui/swagger-ui-bundle.js');
    expect(html).toContain("url: '/openapi.json'");
  });

  it('documents each problem under its status with its code', () => {
    const paths = document.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>;
    const login = paths['/v1/auth/login']!.post!.responses['401'] as {
      content: Record<string, { examples: Record<string, unknown> }>;
    };
    expect(Object.keys(login.content['application/problem+json']!.examples)).toEqual(['invalid_credentials']);
    const manifest = paths['/v1/playback/{titleId}/manifest.mpd']!.get!.responses;
    expect(Object.keys(manifest).sort()).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '409',
      '422',
      '429',
      '502',
      '503',
    ]);
  });
});

describe('real responses conform to the document', () => {
  it('for a whole session: sign in, browse, play, report progress, read it back', async () => {
    expect((await call('/healthz')).status).toBe(200);
    expect((await call('/v1/auth/login', post({ ...DEMO, password: 'wrong' }))).status).toBe(401);
    expect((await call('/v1/auth/login', post({ email: 'not-an-email' }))).status).toBe(400);
    const login = await call('/v1/auth/login', post(DEMO));
    expect(login.status).toBe(200);
    const { token: account } = (await login.json()) as { token: string };

    const profiles = await call('/v1/profiles', bearer(account));
    const adult = ((await profiles.json()) as { profiles: { id: string; maturityLevel: number }[] }).profiles.find(
      (p) => p.maturityLevel >= 50,
    )!;
    expect(
      (await call(`/v1/profiles/${crypto.randomUUID()}/select`, { method: 'POST', ...bearer(account) })).status,
    ).toBe(403);
    const select = await call(`/v1/profiles/${adult.id}/select`, { method: 'POST', ...bearer(account) });
    expect(select.status).toBe(200);
    const { token } = (await select.json()) as { token: string };
    expect((await call('/v1/home', bearer(account))).status).toBe(403);

    const name = `Robin ${crypto.randomUUID().slice(0, 8)}`;
    const created = await call('/v1/profiles', post({ name, kids: true, favouriteGenres: ['animation'] }, account));
    expect(created.status).toBe(201);
    const robin = (await created.json()) as { id: string; maturityLevel: number; favouriteGenres: string[] };
    expect(robin).toMatchObject({ maturityLevel: 10, favouriteGenres: ['animation'] });
    expect((await call('/v1/profiles', post({ name }, account))).status).toBe(409);
    expect((await call('/v1/profiles', post({ name: 'X', favouriteGenres: ['no-such-genre'] }, account))).status).toBe(
      422,
    );
    expect((await call('/v1/profiles', post({ name: 'X', maturityLevel: 37 }, account))).status).toBe(400);
    expect((await call('/v1/profiles', post({ name: 'X', kids: true, maturityLevel: 50 }, account))).status).toBe(422);
    expect((await call('/v1/profiles', post({ name: 'X' }, token))).status).toBe(403);
    const patch = (body: unknown, who = account): RequestInit => ({
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${who}` },
      body: JSON.stringify(body),
    });
    const changed = await call(`/v1/profiles/${robin.id}`, patch({ favouriteGenres: ['comedy', 'animation'] }));
    expect(changed.status).toBe(200);
    expect(((await changed.json()) as { favouriteGenres: string[] }).favouriteGenres).toEqual(['comedy', 'animation']);
    expect((await call(`/v1/profiles/${robin.id}`, patch({}))).status).toBe(400);
    expect((await call(`/v1/profiles/${robin.id}`, patch({ favouriteGenres: ['comedy', 'comedy'] }))).status).toBe(400);
    expect((await call(`/v1/profiles/${robin.id}`, patch({ maturityLevel: 40 }))).status).toBe(422);
    expect((await call(`/v1/profiles/${crypto.randomUUID()}`, patch({ name: 'Y' }))).status).toBe(404);
    expect((await call(`/v1/profiles/${robin.id}`, patch({ name: 'Y' }, token))).status).toBe(403);
    expect((await call('/v1/home')).status).toBe(401);

    expect((await call('/v1/titles?limit=2', bearer(token))).status).toBe(200);
    expect((await call('/v1/titles?limit=0', bearer(token))).status).toBe(400);
    expect((await call(`/v1/titles/${titleId}`, bearer(token))).status).toBe(200);
    expect((await call(`/v1/titles/${crypto.randomUUID()}`, bearer(token))).status).toBe(404);
    const card = (
      (await (await call('/v1/titles?limit=40', bearer(token))).json()) as { items: { posterUrl: string | null }[] }
    ).items.find((t) => t.posterUrl?.startsWith('/v1/artwork/'));
    const poster = await call(`${card!.posterUrl}?w=160`);
    expect(poster.status).toBe(200);
    await poster.arrayBuffer();
    const etag = poster.headers.get('etag')!;
    expect((await call(`${card!.posterUrl}?w=160`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await call(`${card!.posterUrl}?w=160`, { method: 'HEAD' })).status).toBe(200);
    expect((await call(`${card!.posterUrl}?w=161`)).status).toBe(400);
    expect((await call(`/v1/artwork/${crypto.randomUUID()}/poster.00000000.webp`)).status).toBe(404);
    const search = await call('/v1/search?q=harbr&limit=3', bearer(token));
    expect(search.status).toBe(200);
    expect((await call('/v1/search?q=harbr&limit=3', bearer(token))).headers.get('x-cache')).toMatch(/^(hit|miss)$/);
    expect((await call('/v1/search?q=%20', bearer(token))).status).toBe(400);
    expect((await call(`/v1/search?q=${'a'.repeat(201)}`, bearer(token))).status).toBe(400);
    expect((await call('/v1/home', bearer(token))).status).toBe(200);
    expect((await call('/v1/experiments', bearer(token))).status).toBe(200);
    expect((await call('/v1/experiments', bearer(token, { 'x-device-type': 'toaster' }))).status).toBe(400);

    const heartbeat = { titleId, positionSeconds: 12, durationSeconds: 58, eventTime: Date.now(), deviceId: 'web' };
    expect((await call('/v1/progress', post(heartbeat, token))).status).toBe(202);
    expect((await call('/v1/progress/batch', post({ heartbeats: [heartbeat] }, token))).status).toBe(202);
    expect((await call('/v1/progress', post({ ...heartbeat, titleId: crypto.randomUUID() }, token))).status).toBe(404);
    expect((await call(`/v1/progress/${titleId}`, bearer(token))).status).toBe(200);
    expect((await call(`/v1/progress/${crypto.randomUUID()}`, bearer(token))).status).toBe(404);
    expect((await call('/v1/continue-watching', bearer(token))).status).toBe(200);
    expect((await call(`/v1/continue-watching/${titleId}`, { method: 'DELETE', ...bearer(token) })).status).toBe(204);
    expect((await call('/v1/history?limit=5', bearer(token))).status).toBe(200);
    expect((await call('/v1/history?cursor=zz', bearer(token))).status).toBe(400);
  });

  it('for sessions: refresh, the device list, signing out one device or all, changing the password', async () => {
    type Session = { token: string; refreshToken: string; sessionId: string; deviceToken: string };
    const signIn = async (deviceName: string, deviceToken?: string) => {
      const res = await call('/v1/auth/login', post({ ...BASIC, deviceName, deviceType: 'browser', deviceToken }));
      expect(res.status).toBe(200);
      return (await res.json()) as Session;
    };
    const phone = await signIn('Phone');
    // The device token of its first sign-in comes back with the next one on the same device.
    const tv = await signIn('TV', (await signIn('TV')).deviceToken);
    expect(tv.deviceToken).toMatch(/^dt1\./);

    expect((await call('/v1/auth/refresh', post({ refreshToken: `rt_${'A'.repeat(43)}` }))).status).toBe(401);
    expect((await call('/v1/auth/refresh', post({ refreshToken: '' }))).status).toBe(400);
    const refreshed = await call('/v1/auth/refresh', post({ refreshToken: phone.refreshToken }));
    expect(refreshed.status).toBe(200);
    const { token: phoneToken } = (await refreshed.json()) as Session;

    const list = await call('/v1/sessions', bearer(phoneToken));
    expect(list.status).toBe(200);
    const ids = ((await list.json()) as { sessions: { id: string }[] }).sessions.map((s) => s.id);
    expect(ids).toEqual(expect.arrayContaining([phone.sessionId, tv.sessionId]));
    expect((await call('/v1/sessions', bearer('x.y.z'))).status).toBe(401);
    expect(
      (await call(`/v1/sessions/${crypto.randomUUID()}`, { method: 'DELETE', ...bearer(phoneToken) })).status,
    ).toBe(404);
    expect((await call('/v1/sessions/not-a-uuid', { method: 'DELETE', ...bearer(phoneToken) })).status).toBe(400);
    // The sign-out socket: without an upgrade (what a fuzzer sends) a 426, without a token a 401.
    expect((await call('/v1/sessions/events', bearer(phoneToken))).status).toBe(426);
    expect((await call('/v1/sessions/events')).status).toBe(401);
    expect((await call(`/v1/sessions/${tv.sessionId}`, { method: 'DELETE', ...bearer(phoneToken) })).status).toBe(204);
    expect((await call('/v1/sessions', bearer(tv.token))).status).toBe(401);

    const change = (oldPassword: string, newPassword: string) =>
      call('/v1/account/password', post({ oldPassword, newPassword }, phoneToken));
    expect((await change('wrong-password', 'a-longer-secret')).status).toBe(401);
    expect((await change(BASIC.password, 'short')).status).toBe(400);
    expect((await change(BASIC.password, 'a-longer-secret')).status).toBe(204);
    expect((await change('a-longer-secret', BASIC.password)).status).toBe(204);

    expect((await call('/v1/auth/logout', { method: 'POST', ...bearer(phoneToken) })).status).toBe(204);
    expect((await call('/v1/auth/logout', { method: 'POST', ...bearer(phoneToken) })).status).toBe(401);
    const laptop = await signIn('Laptop');
    expect((await call('/v1/auth/logout-all', { method: 'POST', ...bearer(laptop.token) })).status).toBe(204);
    expect((await call('/v1/auth/logout-all', { method: 'POST' })).status).toBe(401);
  });

  it('for manifests, playlists and media', async () => {
    const login = await SELF.fetch(`${EDGE}/v1/auth/login`, post(DEMO));
    const { token: account } = (await login.json()) as { token: string };
    const profiles = (await (await SELF.fetch(`${EDGE}/v1/profiles`, bearer(account))).json()) as {
      profiles: { id: string; maturityLevel: number }[];
    };
    const adult = profiles.profiles.find((p) => p.maturityLevel >= 50)!;
    const select = await SELF.fetch(`${EDGE}/v1/profiles/${adult.id}/select`, { method: 'POST', ...bearer(account) });
    const { token } = (await select.json()) as { token: string };

    const mpd = await call(`/v1/playback/${titleId}/manifest.mpd`, bearer(token));
    expect(mpd.status).toBe(200);
    const streamId = mpd.headers.get('edgeflix-stream-id')!;
    expect((await call('/v1/streams', bearer(token))).status).toBe(200);
    expect((await call(`/v1/streams/${crypto.randomUUID()}`, { method: 'DELETE', ...bearer(token) })).status).toBe(404);
    expect((await call(`/v1/streams/${streamId}`, { method: 'DELETE', ...bearer(token) })).status).toBe(204);
    const json = await call(`/v1/playback/${titleId}/manifest.mpd`, bearer(token, { accept: 'application/json' }));
    expect(json.status).toBe(200);
    const manifest = (await json.json()) as PlaybackManifest;
    expect(
      (await call(`/v1/playback/${titleId}/manifest.mpd`, bearer(token, { 'x-device-capabilities': 'max-res=1x' })))
        .status,
    ).toBe(400);
    expect((await call(`/v1/playback/${titleId}/manifest.mpd?codecs=zz9`, bearer(token))).status).toBe(422);
    const master = await call(`/v1/playback/${titleId}/master.m3u8`, bearer(token));
    expect(master.status).toBe(200);
    const playlistUri = (await master.text()).split('\n').find((l) => !l.startsWith('#') && l.includes('/hls/'))!;
    expect((await call(playlistUri)).status).toBe(200);
    expect((await call(playlistUri.replace(/token=[^&]+/, 'token=x.y.z'))).status).toBe(403);

    const { pg } = JSON.parse(env.TEST_PROTECTED) as { pg: { titleId: string; keys: { sd: { kidB64: string } } } };
    const licenceUrl = `/v1/license/clearkey?title=${pg.titleId}`;
    expect((await call(licenceUrl, post({ kids: [pg.keys.sd.kidB64], type: 'temporary' }, token))).status).toBe(200);
    expect((await call(licenceUrl, post({ kids: ['x'] }, token))).status).toBe(400);
    expect((await call(`/v1/playback/${pg.titleId}/master.m3u8`, bearer(token))).status).toBe(422);

    const init = manifest.qualities[0]!.initUrl;
    const key = new URL(init, EDGE).pathname.slice('/v1/'.length);
    await env.MEDIA.put(
      key,
      Uint8Array.from({ length: 100 }, (_, i) => i),
    );
    const whole = await call(init);
    expect(whole.status).toBe(200);
    const etag = whole.headers.get('etag')!;
    expect((await call(init, { headers: { range: 'bytes=0-9' } })).status).toBe(206);
    expect((await call(init, { headers: { range: 'bytes=500-' } })).status).toBe(416);
    expect((await call(init, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await call(init, { headers: { 'if-match': '"other"' } })).status).toBe(412);
    expect((await call(init, { method: 'HEAD', headers: { range: 'bytes=0-9' } })).status).toBe(200);
    expect((await call(init, { method: 'HEAD' })).status).toBe(200);
    expect((await call(init.replace(/token=[^&]+/, 'token=x.y.z'))).status).toBe(403);
  });

  it('for the invalidation entry of a profile’s progress buffer', async () => {
    const path = '/internal/v1/progress/invalidate';
    const body = JSON.stringify({ titleIds: [titleId] });
    const pid = crypto.randomUUID();
    const credential = await signServiceToken(
      { htm: 'POST', htu: path, rid: 'openapi', sub: crypto.randomUUID(), pid, mat: 50 },
      env.SERVICE_TOKEN_SECRET,
      { body },
    );
    const ok = await call(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
      body,
    });
    expect(ok.status).toBe(200);
    expect((await call(path, post({ titleIds: [titleId] }))).status).toBe(401);
  });

  it('leaves no operation of the document unexercised', () => {
    const operations = Object.values(document.paths as Record<string, Record<string, { operationId: string }>>)
      .flatMap((ops) => Object.values(ops))
      .map((op) => op.operationId);
    expect(operations.filter((id) => !exercised.has(id))).toEqual([]);
  });
});
