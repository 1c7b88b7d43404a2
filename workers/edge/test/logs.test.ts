/**
 * One request id from the client through the edge to the origin and back, and edge log lines
 * that carry it and never carry a credential.
 */
import { SELF, env } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEdgeApp } from '../src/app.ts';
import { calm, chaos, newOwner, profileToken } from '../../test/helpers.ts';

const EDGE = 'https://edge.test';
const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;

afterEach(() => vi.restoreAllMocks());

/** Every line the edge writes while `run` runs, at debug level. */
async function logsOf(run: (fetch: (req: Request) => Promise<Response>) => Promise<void>) {
  const lines: string[] = [];
  for (const method of ['log', 'warn', 'error'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
  }
  const app = createEdgeApp();
  await run(async (req) => app.fetch(req, { ...env, LOG_LEVEL: 'debug' }, ctx));
  vi.restoreAllMocks();
  return lines;
}

describe('request ids and logs', () => {
  it('echoes a well-formed client request id and sends it to the origin, which answers with it', async () => {
    const requestId = `client-${crypto.randomUUID()}`;
    const res = await SELF.fetch(`${EDGE}/v1/titles/${crypto.randomUUID()}`, {
      headers: { authorization: `Bearer ${await profileToken(newOwner())}`, 'x-request-id': requestId },
    });
    // The origin's 404 problem, passed through: its requestId is the one the client sent.
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe(requestId);
    expect(await res.json()).toMatchObject({ code: 'not_found', requestId });
  });

  it('replaces a malformed request id with a fresh one instead of trusting it', async () => {
    const res = await SELF.fetch(`${EDGE}/healthz`, { headers: { 'x-request-id': 'bad id <script>' } });
    const echoed = res.headers.get('x-request-id');
    expect(echoed).not.toBe('bad id <script>');
    expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('writes one JSON line per request with the request id and profile, and a failure line, without any token', async () => {
    const owner = newOwner();
    const token = await profileToken(owner);
    const requestId = `client-${crypto.randomUUID()}`;
    await chaos(owner, { mode: 'reset', failNext: 1, path: '/v1/profiles' });
    let status = 0;
    const lines = await logsOf(async (fetch) => {
      const res = await fetch(
        new Request(`${EDGE}/v1/profiles`, {
          headers: { authorization: `Bearer ${token}`, 'x-request-id': requestId },
        }),
      );
      status = res.status;
      await res.body?.cancel();
    });
    await calm(owner);
    expect(status).toBe(502);
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const e of entries) {
      expect(Object.keys(e).sort()).toEqual([
        'event',
        'level',
        'metadata',
        'profileId',
        'requestId',
        'service',
        'timestamp',
      ]);
      expect(e).toMatchObject({ service: 'edge', requestId });
    }
    expect(entries.map((e) => e.event)).toEqual(['request_failed', 'http_request']);
    expect(entries[0]).toMatchObject({ level: 'warn', profileId: owner.profileId, metadata: { status: 502 } });
    expect(entries[1]).toMatchObject({
      level: 'debug',
      profileId: owner.profileId,
      metadata: { method: 'GET', route: '/v1/profiles', status: 502 },
    });
    const text = lines.join('\n');
    expect(text).not.toContain(token);
    expect(text).not.toContain(env.SERVICE_TOKEN_SECRET);
  });

  it('does not log the password or the email of a sign-in', async () => {
    const email = `someone-${crypto.randomUUID()}@edgeflix.test`;
    const password = `pw-${crypto.randomUUID()}`;
    const lines = await logsOf(async (fetch) => {
      const res = await fetch(
        new Request(`${EDGE}/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'cf-connecting-ip': '10.1.2.3' },
          body: JSON.stringify({ email, password }),
        }),
      );
      expect(res.status).toBe(401);
    });
    expect(lines.length).toBeGreaterThan(0);
    const text = lines.join('\n');
    expect(text).not.toContain(password);
    expect(text).not.toContain(email);
  });
});
