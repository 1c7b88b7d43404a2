/**
 * The public API's OpenAPI document (`GET /openapi.json`), built from the routes' own
 * descriptions, and its reference page (`GET /docs`, Swagger UI vendored by scripts/web-assets.ts).
 */
import type { Hono } from 'hono';
import {
  describeRoute,
  json,
  openApiDocument,
  SECURITY_SCHEMES,
  TOKEN_PROBLEMS,
  type JsonSchema,
  type OperationSpec,
} from '../../../core/api/openapi.ts';
import { HealthStatus } from '../../../core/api/schemas.ts';
import { tierFor } from '../../../core/rate-limit.ts';
import type { EdgeEnv } from './http/context.ts';

const documents = new WeakMap<object, JsonSchema>();

/** The edge's document (built once per isolate: the routes do not change while it runs). */
export function edgeDocument(app: Hono<EdgeEnv>): JsonSchema {
  let document = documents.get(app);
  if (!document) {
    document = openApiDocument(app as unknown as Hono<never>, {
      info: {
        title: 'edgeflix API',
        version: '1',
        description:
          'The public API of the edgeflix edge. Sign in for an account token, select a profile for a profile token, then browse, play and report progress with it. Errors are `application/problem+json` with a stable `code`.',
      },
      tags: [
        { name: 'auth', description: 'Signing in, refreshing tokens and signing out' },
        { name: 'sessions', description: 'Signed-in devices and the password' },
        { name: 'profiles', description: "The account's profiles and profile tokens" },
        { name: 'browse', description: 'Catalog and homepage' },
        { name: 'playback', description: 'Manifests, playlists and media (segment tokens)' },
        { name: 'progress', description: 'Heartbeats, resume positions, Continue Watching, history' },
        { name: 'experiments', description: 'A/B test assignments' },
        { name: 'meta', description: 'Health and this document' },
      ],
      securitySchemes: {
        accountToken: SECURITY_SCHEMES.accountToken,
        profileToken: SECURITY_SCHEMES.profileToken,
        segmentToken: SECURITY_SCHEMES.segmentToken,
        serviceCredential: SECURITY_SCHEMES.serviceCredential,
      },
      common: (spec, path, method) => [
        ...(spec.security.includes('accountToken') || spec.security.includes('profileToken') ? TOKEN_PROBLEMS : []),
        ...(tierFor(method, path) ? (['rate_limited'] as const) : []),
      ],
    });
    documents.set(app, document);
  }
  return document;
}

export const healthDoc: OperationSpec = {
  operationId: 'health',
  summary: 'Liveness: the worker answers',
  tags: ['meta'],
  security: [],
  responses: { 200: json(HealthStatus, 'Alive', { status: 'ok' }) },
};

/** Mounts `GET /openapi.json` and `GET /docs` on the app whose routes they describe. */
export function mountOpenApi(app: Hono<EdgeEnv>): void {
  app.get(
    '/openapi.json',
    describeRoute({
      operationId: 'openApiDocument',
      summary: 'This document',
      tags: ['meta'],
      security: [],
      responses: {
        200: { description: 'The OpenAPI 3.1 document', content: { 'application/json': { type: 'object' } } },
      },
    }),
    (c) => c.json(edgeDocument(app)),
  );
  app.get(
    '/docs',
    describeRoute({
      operationId: 'apiReference',
      summary: 'This document, rendered (Swagger UI)',
      tags: ['meta'],
      security: [],
      responses: { 200: { description: 'An HTML page', content: { 'text/html': { type: 'string' } } } },
    }),
    (c) => c.html(DOCS_PAGE),
  );
}

const DOCS_PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>edgeflix API reference</title>
    <link rel="stylesheet" href="/vendor/swagger-ui/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/vendor/swagger-ui/swagger-ui-bundle.js"></script>
    <script>
      window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });
    </script>
  </body>
</html>
`;
