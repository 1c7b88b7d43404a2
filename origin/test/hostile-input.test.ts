/**
 * Input that PostgreSQL cannot store, or that breaks code recursing over it, sent to the operator
 * API on the real stack: each is a 400 problem naming the field, before any query, and none of it
 * counts against the postgres breaker.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../core/validation.ts';
import type { TestKeys } from './support/keys.ts';
import { sample, scrape } from './support/metrics.ts';
import { listen, realTestOrigin, type TestOrigin } from './support/origin.ts';

let keys: TestKeys;
let origin: TestOrigin;
const cleanup: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const real = await realTestOrigin('hostile');
  ({ origin, keys } = real);
  cleanup.push(() => real.stop());
});

afterAll(async () => {
  for (const step of cleanup) await step();
});

/** The operator API, with a body given as raw JSON text (escapes such as `\ud800` survive). */
function op(method: string, path: string, text?: string) {
  const headers: Record<string, string> = { authorization: `Bearer ${keys.operatorKey}` };
  if (text !== undefined) headers['content-type'] = 'application/json';
  return origin.app.request(`/operator/v1${path}`, { method, headers, ...(text !== undefined ? { body: text } : {}) });
}

let counter = 0;
const uniqueId = () => `hostile_${Date.now().toString(36)}_${(counter += 1)}`;

const definition = (overrides: Record<string, unknown> = {}) => ({
  id: uniqueId(),
  name: 'Row spacing',
  description: 'Tighter rows on TV',
  allocation: 50,
  variants: [
    { id: 'control', name: 'Control', weight: 50 },
    { id: 'tight', name: 'Tight', weight: 50, config: { spacing: 4 } },
  ],
  ...overrides,
});

/** A 400 problem+json whose field errors name `path`. */
async function expectRefused(res: Response, path: string): Promise<void> {
  const body = (await res.json()) as { code: string; errors?: { path: string }[] };
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect({ status: res.status, code: body.code }).toEqual({ status: 400, code: 'validation_failed' });
  expect(body.errors?.map((e) => e.path)).toContain(path);
}

/** `depth` arrays nested in each other, as JSON text (1 byte a level: deep nesting fits the size limit). */
const nestedArrays = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

describe('operator API: input no store can hold is refused with 400 naming the field', () => {
  it('refuses U+0000 in a name, a description or a variant config', async () => {
    await expectRefused(await op('POST', '/experiments', JSON.stringify(definition({ name: 'a\u0000b' }))), 'name');
    await expectRefused(
      await op('POST', '/experiments', JSON.stringify(definition({ description: '\u0000' }))),
      'description',
    );
    const variants = [
      { id: 'control', name: 'Control', weight: 50 },
      { id: 'tight', name: 'Tight', weight: 50, config: { label: 'x\u0000' } },
    ];
    await expectRefused(
      await op('POST', '/experiments', JSON.stringify(definition({ variants }))),
      'variants.1.config.label',
    );
  });

  it('refuses a lone surrogate in the JSON', async () => {
    const text = JSON.stringify(definition({ name: 'PLACEHOLDER' })).replace('PLACEHOLDER', '\\ud800');
    await expectRefused(await op('POST', '/experiments', text), 'name');
  });

  it('refuses a variant config nested 3,000 or 7,000 deep, and accepts one within the limit', async () => {
    for (const depth of [3_000, 7_000]) {
      const text = JSON.stringify(definition()).replace('{"spacing":4}', `{"deep":${nestedArrays(depth)}}`);
      const res = await op('POST', '/experiments', text);
      const body = (await res.clone().json()) as { errors?: { path: string }[] };
      await expectRefused(res, body.errors?.[0]?.path ?? 'none');
      expect(body.errors?.[0]?.path).toMatch(/^variants\.1\.config\.deep(\.0)+$/);
    }
    // The body nests three levels around the config's own: the config may nest the rest.
    const fits = JSON.stringify(definition()).replace('{"spacing":4}', `{"deep":${nestedArrays(MAX_JSON_DEPTH - 4)}}`);
    expect((await op('POST', '/experiments', fits)).status).toBe(201);
  });

  it('refuses a startDate in year 0000 (or any before 1970)', async () => {
    for (const startDate of ['0000-01-01T00:00:00Z', '1969-12-31T23:59:59Z']) {
      await expectRefused(await op('POST', '/experiments', JSON.stringify(definition({ startDate }))), 'startDate');
    }
    const created = await op('POST', '/experiments', JSON.stringify(definition({ startDate: '9999-12-31T23:59:59Z' })));
    expect(created.status).toBe(201);
  });

  it('refuses a results version past PostgreSQL’s integer', async () => {
    const created = await op('POST', '/experiments', JSON.stringify(definition()));
    const { id } = (await created.json()) as { id: string };
    await expectRefused(await op('GET', `/experiments/${id}/results?version=2147483648`), 'version');
    expect((await op('GET', `/experiments/${id}/results?version=2147483647`)).status).toBe(200);
  });

  it('refuses a holdout with more than two decimals, however small', async () => {
    for (const percentage of ['1e-9', '0.001', '12.345']) {
      await expectRefused(await op('PUT', '/holdout', `{"percentage":${percentage}}`), 'percentage');
    }
    expect((await op('PUT', '/holdout', '{"percentage":0.07}')).status).toBe(200);
    expect((await op('PUT', '/holdout', '{"percentage":0}')).status).toBe(200);
  });

  it('leaves the postgres breaker closed after a burst of hostile input', async () => {
    const hostile = [
      () => op('POST', '/experiments', JSON.stringify(definition({ name: '\u0000' }))),
      () => op('POST', '/experiments', JSON.stringify(definition({ startDate: '0000-01-01T00:00:00Z' }))),
      () => op('PUT', '/holdout', '{"percentage":1e-9}'),
    ];
    for (let i = 0; i < 5; i++) for (const send of hostile) expect((await send()).status).toBe(400);
    expect(sample(await scrape(origin, keys.operatorKey), 'circuit_breaker_state', { service: 'postgres' })).toBe(0);
    expect((await op('GET', '/experiments')).status).toBe(200);
  });
});

/** A raw HTTP request (fetch refuses TRACE and CONNECT, so a client library would not even send it). */
function rawRequest(url: string, method: string, path: string, body: string) {
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = http.request(
      `${url}${path}`,
      { method, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body: text }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('methods no route serves', () => {
  it('answers TRACE with a body with 405 problem+json, never 500', async () => {
    const server = await listen(origin.app);
    try {
      for (const method of ['TRACE']) {
        for (const path of ['/internal/v1/progress/flush', '/v1/auth/login', '/operator/v1/experiments']) {
          const res = await rawRequest(server.url, method, path, '{"a":1}');
          expect(res.status, `${method} ${path}: ${res.body}`).toBe(405);
          expect(res.type).toContain('application/problem+json');
          expect(JSON.parse(res.body)).toMatchObject({ code: 'method_not_allowed' });
        }
      }
    } finally {
      await server.close();
    }
  });
});
