/** Problems the origin answers reach clients under the public path they asked for. */
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { chaos, newOwner, profileToken } from '../../test/helpers.ts';

const EDGE = 'https://edge.test';

async function problemOf(res: Response) {
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  const text = await res.text();
  expect(text).not.toContain('/internal/');
  return JSON.parse(text) as { code: string; instance?: string; detail: string };
}

describe('origin problems relayed by the edge', () => {
  it('name the edge path as instance, not the origin route the origin wrote there', async () => {
    const token = await profileToken(newOwner());
    // Well-formed for the edge's schema, refused by the origin (which names its own route).
    const res = await SELF.fetch(`${EDGE}/v1/history?cursor=abcdef`, { headers: { authorization: `Bearer ${token}` } });
    const problem = await problemOf(res);
    expect(problem.instance).toBe('/v1/history');
  });

  it('add the edge path to an origin problem without instance, keeping status, code and headers', async () => {
    const owner = newOwner();
    await chaos(owner, { mode: 'status', status: 404, failNext: 1, path: '/internal/v1/history' });
    const res = await SELF.fetch(`${EDGE}/v1/history?limit=5`, {
      headers: { authorization: `Bearer ${await profileToken(owner)}` },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('retry-after')).toBe('1');
    const problem = await problemOf(res);
    expect(problem).toMatchObject({ code: 'chaos', detail: 'chaos proxy', instance: '/v1/history' });
  });

  it('leave successful origin answers untouched', async () => {
    const token = await profileToken(newOwner());
    const res = await SELF.fetch(`${EDGE}/v1/history`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toMatchObject({ items: [] });
  });
});
