/**
 * The origin's OpenAPI document (`GET /operator/v1/openapi.json`, behind the operator key): the
 * edge-facing `/v1` and `/internal/v1` routes and the operator API, built from the routes' own
 * descriptions.
 */
import type { Hono } from 'hono';
import { describeRoute, openApiDocument, SECURITY_SCHEMES, type JsonSchema } from '../../core/api/openapi.ts';
import type { OriginEnv } from './http/context.ts';

/** Where the app mounts the document (the operator API's key guards it). */
export const OPENAPI_PATH = '/operator/v1/openapi.json';

const documents = new WeakMap<object, JsonSchema>();

export function originDocument(app: Hono<OriginEnv>): JsonSchema {
  let document = documents.get(app);
  if (!document) {
    document = openApiDocument(app as unknown as Hono<never>, {
      info: {
        title: 'edgeflix origin API',
        version: '1',
        description:
          'The origin behind the edge. `/v1` and `/internal/v1` answer only the edge (and its progress buffers), with a service credential bound to the method and path that names the caller; `/operator/v1` answers the operator key. Errors are `application/problem+json` with a stable `code`.',
      },
      tags: [
        { name: 'accounts', description: 'Sign-in and profiles (composed into the edge API)' },
        { name: 'catalog', description: 'Catalog browsing (composed into the edge API)' },
        { name: 'internal', description: 'What only the edge and its progress buffers call' },
        { name: 'operator', description: 'Experiments and the holdout' },
        { name: 'meta', description: 'Health, readiness, metrics and this document' },
      ],
      securitySchemes: {
        serviceCredential: SECURITY_SCHEMES.serviceCredential,
        operatorKey: SECURITY_SCHEMES.operatorKey,
      },
      common: (spec) => [
        // The credential check itself: a replayed or unbound credential (401), a profile of
        // another account (403), a body too large to verify the binding of (413).
        ...(spec.security.includes('serviceCredential')
          ? ([
              'unauthenticated',
              'invalid_token',
              'token_expired',
              'forbidden',
              'payload_too_large',
              'unavailable',
            ] as const)
          : []),
        ...(spec.security.includes('operatorKey')
          ? (['unauthenticated', 'invalid_token', 'unavailable'] as const)
          : []),
      ],
    });
    documents.set(app, document);
  }
  return document;
}

/** Mounts the document on the app it describes (after `requireOperator` on `/operator/v1/*`). */
export function mountOpenApi(app: Hono<OriginEnv>): void {
  app.get(
    OPENAPI_PATH,
    describeRoute({
      operationId: 'openApiDocument',
      summary: 'This document',
      tags: ['meta'],
      security: ['operatorKey'],
      responses: {
        200: { description: 'The OpenAPI 3.1 document', content: { 'application/json': { type: 'object' } } },
      },
    }),
    (c) => c.json(originDocument(app)),
  );
}
