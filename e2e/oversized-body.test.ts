/**
 * Oversized chunked bodies against the edge under `wrangler dev` (as `npm start` runs it), over
 * raw sockets: a client that streams more than the limit gets its 413 and disturbs nobody else.
 * A body read in part and then cancelled used to wedge the dev proxy: other connections' POSTs got
 * 503 "Your worker restarted mid-request" and their GETs no answer for tens of seconds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importUserTokenSigner, signUserToken } from '../core/tokens.ts';
import { makeTestKeys, type TestKeys } from '../origin/test/support/keys.ts';
import { freePort, startEdge, type EdgeProcess } from '../scripts/edge-process.ts';

/** Each test's bound: a healthy edge answers these in well under a second; the wedge lasted 10-40 s. */
const TEST_TIMEOUT_MS = 20_000;

let edge: EdgeProcess;
let keys: TestKeys;
let port: number;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  keys = await makeTestKeys();
  const persist = await mkdtemp(path.join(tmpdir(), 'edgeflix-oversized-'));
  cleanup.push(() => rm(persist, { recursive: true, force: true }));
  port = await freePort();
  edge = await startEdge({
    port,
    // Nothing here reaches the origin: every request is answered (or refused) at the edge.
    originUrl: `http://127.0.0.1:${await freePort()}`,
    secrets: {
      AUTH_PUBLIC_JWKS: JSON.stringify(keys.publicJwks),
      SERVICE_TOKEN_SECRET: keys.serviceSecret,
      SEGMENT_SIGNING_KEYS: keys.segmentSigningKeys,
    },
    // The sign-in tier stays on (its email peek reads a copy of the body), with room for these tests.
    vars: { RATE_LIMITS: JSON.stringify({ tiers: { auth: { limit: 1000 }, progressUpdate: { limit: 1000 } } }) },
    persistTo: persist,
    stdio: 'ignore',
  });
  cleanup.unshift(() => edge.stop());
}, 180_000);

afterAll(async () => {
  for (const step of cleanup) await step();
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One HTTP/1.1 connection read response by response (Content-Length or chunked bodies). `next()`
 * resolves with the next response, or `'closed'` when the server closed the connection first.
 */
function connect(): Promise<{ socket: net.Socket; next: () => Promise<RawResponse | 'closed'> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buffer = Buffer.alloc(0);
    let closed = false;
    let wake: () => void = () => {};
    socket.on('data', (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      wake();
    });
    socket.on('close', () => {
      closed = true;
      wake();
    });
    socket.on('error', () => {});
    const more = () => new Promise<void>((r) => (wake = r));
    const take = async (n: number): Promise<Buffer | undefined> => {
      while (buffer.length < n && !closed) await more();
      if (buffer.length < n) return undefined;
      const out = buffer.subarray(0, n);
      buffer = buffer.subarray(n);
      return out;
    };
    const line = async (): Promise<string | undefined> => {
      for (;;) {
        const end = buffer.indexOf('\r\n');
        if (end >= 0) return (await take(end + 2))!.subarray(0, end).toString('latin1');
        if (closed) return undefined;
        await more();
      }
    };
    const next = async (): Promise<RawResponse | 'closed'> => {
      const statusLine = await line();
      if (statusLine === undefined) return 'closed';
      const headers: Record<string, string> = {};
      for (let h = await line(); h !== undefined && h !== ''; h = await line()) {
        const colon = h.indexOf(':');
        headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
      }
      let body = '';
      if (headers['transfer-encoding']?.includes('chunked')) {
        for (let size = parseInt((await line()) ?? '0', 16); size > 0; size = parseInt((await line()) ?? '0', 16)) {
          body += (await take(size))?.toString('utf8') ?? '';
          await line();
        }
        await line();
      } else {
        body = (await take(Number(headers['content-length'] ?? 0)))?.toString('utf8') ?? '';
      }
      return { status: Number(statusLine.split(' ')[1]), headers, body };
    };
    socket.once('connect', () => resolve({ socket, next }));
    socket.once('error', reject);
  });
}

const requestHead = (method: string, target: string, headers: Record<string, string>) =>
  `${method} ${target} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n` +
  Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('') +
  '\r\n';

/** A JSON body of about `bytes` bytes, as chunks of `chunkBytes` (curl sends one chunk per 64 KiB read). */
function chunked(bytes: number, chunkBytes: number): string {
  const json = JSON.stringify({ email: 'nobody@edgeflix.test', password: 'x'.repeat(bytes) });
  let out = '';
  for (let i = 0; i < json.length; i += chunkBytes) {
    const part = json.slice(i, i + chunkBytes);
    out += `${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`;
  }
  return `${out}0\r\n\r\n`;
}

/** Another client, on its own connection: one request, its response. */
async function single(method: string, target: string, body?: string): Promise<RawResponse | 'closed'> {
  const { socket, next } = await connect();
  const headers: Record<string, string> = { connection: 'close' };
  if (body !== undefined)
    Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
  socket.write(requestHead(method, target, headers) + (body ?? ''));
  try {
    return await next();
  } finally {
    socket.destroy();
  }
}

async function profileToken(): Promise<string> {
  const signer = await importUserTokenSigner(keys.signingJwk);
  const claims = {
    sub: crypto.randomUUID(),
    scope: 'profile',
    pid: crypto.randomUUID(),
    mat: 50,
    plan: 'premium',
    since: 1,
  } as const;
  return (await signUserToken(claims, signer, { issuer: 'edgeflix', audience: 'edgeflix-api' })).token;
}

const status = (r: RawResponse | 'closed') => (r === 'closed' ? 'closed' : r.status);

/** Other clients right after the oversized body: a POST that the edge answers itself, and a health check. */
async function othersAnswer(): Promise<void> {
  const [post, health] = await Promise.all([
    single('POST', '/v1/auth/login', JSON.stringify({ email: 'not-an-email', password: 'x' })),
    single('GET', '/healthz'),
  ]);
  expect(status(post)).toBe(400);
  expect(post !== 'closed' && JSON.parse(post.body)).toMatchObject({ code: 'validation_failed' });
  expect(status(health)).toBe(200);
}

describe.each([
  { what: 'sign-in, 17 KB in one chunk', target: '/v1/auth/login', bytes: 17_000, chunkBytes: 65_536 },
  { what: 'sign-in, 70 KB in one chunk', target: '/v1/auth/login', bytes: 70_000, chunkBytes: 65_536 },
  { what: 'sign-in, 70 KB in 4 KiB chunks', target: '/v1/auth/login', bytes: 70_000, chunkBytes: 4096 },
  { what: 'a heartbeat, 40 KB in one chunk', target: '/v1/progress', bytes: 40_000, chunkBytes: 65_536 },
])('an oversized chunked body ($what)', ({ target, bytes, chunkBytes }) => {
  const head = async () => ({
    'content-type': 'application/json',
    'transfer-encoding': 'chunked',
    ...(target === '/v1/progress' ? { authorization: `Bearer ${await profileToken()}` } : {}),
  });

  it(
    'gets 413, and then other connections’ POST and GET /healthz are answered',
    async () => {
      const { socket, next } = await connect();
      socket.write(requestHead('POST', target, await head()) + chunked(bytes, chunkBytes));
      const refused = await next();
      socket.destroy();
      expect(status(refused)).toBe(413);
      expect(refused !== 'closed' && JSON.parse(refused.body)).toMatchObject({ code: 'payload_too_large' });
      await othersAnswer();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'gets 413, and the same connection’s next request is answered (or the connection is closed)',
    async () => {
      const { socket, next } = await connect();
      socket.write(requestHead('POST', target, await head()) + chunked(bytes, chunkBytes));
      expect(status(await next())).toBe(413);
      socket.write(requestHead('GET', '/healthz', {}));
      const after = await next();
      socket.destroy();
      expect([200, 'closed']).toContain(status(after));
      await othersAnswer();
    },
    TEST_TIMEOUT_MS,
  );
});
