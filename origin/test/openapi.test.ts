import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { undocumentedRoutes } from '../../core/api/openapi.ts';
import { OPENAPI_PATH } from '../src/openapi.ts';
import { realStackOrigin, type RealStackOrigin } from './support/origin.ts';

let real: RealStackOrigin;
beforeAll(async () => {
  real = await realStackOrigin('openapi');
});
afterAll(async () => real?.stop());

describe("the origin's OpenAPI document", () => {
  it('describes every route the origin answers', () => {
    expect(undocumentedRoutes(real.origin.app as never)).toEqual([]);
  });

  it('is served behind the operator key only', async () => {
    const anonymous = await real.origin.app.request(OPENAPI_PATH);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toBe('application/problem+json');
    const res = await real.origin.app.request(OPENAPI_PATH, {
      headers: { authorization: `Bearer ${real.keys.operatorKey}` },
    });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['operatorKey', 'serviceCredential']);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/auth/login', '/internal/v1/progress/flush', '/operator/v1/experiments/{id}']),
    );
  });
});
