/**
 * OpenAPI 3.1 documents built from the routes themselves: each route carries a `describeRoute`
 * middleware naming the zod schemas its handler validates with and the responses it gives, and
 * `openApiDocument` walks a Hono app's routes (paths and methods as the router has them) and turns
 * those schemas into JSON Schema with zod's own converter. One source of truth: the schema a
 * handler parses with is the schema the document shows; a route without a description fails the
 * coverage test (`undocumentedRoutes`).
 */
import type { Hono, MiddlewareHandler } from 'hono';
import { findTargetHandler } from 'hono/utils/handler';
import { z } from 'zod';
import { PROBLEM_CONTENT_TYPE, PROBLEMS, problemType, type ProblemCode } from '../problem.ts';
import { ProblemBody } from './problem.ts';

/** A JSON Schema (2020-12) object, as OpenAPI 3.1 embeds it. */
export type JsonSchema = Record<string, unknown>;

/** The credentials a route may accept, by the names the documents declare them under. */
export type SecurityName = 'accountToken' | 'profileToken' | 'segmentToken' | 'serviceCredential' | 'operatorKey';

export interface HeaderParam {
  name: string;
  description: string;
  schema: z.ZodType;
  required?: boolean;
}

export interface RequestBodySpec {
  schema: z.ZodType;
  description?: string;
  /** False for POSTs whose body may be left out (it then counts as `{}`). */
  required?: boolean;
  example?: unknown;
}

export interface ResponseSpec {
  description: string;
  /** JSON body schema (application/json unless `contentType` says otherwise). */
  schema?: z.ZodType;
  /** Non-JSON bodies: content type → a JSON Schema of the body as text (`{ type: 'string' }`). */
  content?: Record<string, JsonSchema>;
  contentType?: string;
  example?: unknown;
  headers?: Record<string, { description: string; schema: JsonSchema; required?: boolean }>;
}

/** What one route documents. Problems are listed by code; each becomes a response under its status. */
export interface OperationSpec {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Accepted credentials, any one of them; empty for a route that needs none. */
  security: SecurityName[];
  params?: z.ZodType;
  query?: z.ZodType;
  headers?: HeaderParam[];
  body?: RequestBodySpec;
  responses: Record<number, ResponseSpec>;
  problems?: readonly ProblemCode[];
  /** The documented path when the router's cannot be written in OpenAPI (a `*` wildcard). */
  path?: string;
  /** Path parameters of `path` that the router does not name (the wildcard's). */
  pathParams?: z.ZodType;
}

const SPEC = Symbol.for('edgeflix.openapi');
type SpecFor = OperationSpec | ((method: string) => OperationSpec);
type Described = MiddlewareHandler & { [SPEC]?: SpecFor };

/**
 * A pass-through middleware that carries the route's description for `openApiDocument`; a
 * function of the method for a route registered under several (`.on(['GET', 'HEAD'], …)`).
 */
export function describeRoute(spec: SpecFor): MiddlewareHandler {
  const middleware: Described = async (_c, next) => {
    await next();
  };
  middleware[SPEC] = spec;
  return middleware;
}

/** Hono path → OpenAPI path: `/:titleId/hls/:file` → `/{titleId}/hls/{file}`. */
export function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)(?:\{[^}]*\})?\??/g, '{$1}');
}

interface RouteLike {
  method: string;
  path: string;
  handler: unknown;
}

function specOf(route: RouteLike): OperationSpec | undefined {
  const spec = (findTargetHandler(route.handler as never) as Described)[SPEC];
  return typeof spec === 'function' ? spec(route.method) : spec;
}

/** Routes that answer a request (not `use` middleware) and carry no description: the coverage test's list. */
export function undocumentedRoutes(app: Hono<never>, except: readonly string[] = []): string[] {
  const routes = app.routes as RouteLike[];
  const key = (r: RouteLike) => `${r.method} ${r.path}`;
  const described = new Set(routes.filter((r) => specOf(r)).map(key));
  return [...new Set(routes.filter((r) => r.method !== 'ALL').map(key))].filter(
    (k) => !described.has(k) && !except.includes(k),
  );
}

const toSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const object = toSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property as JsonSchema & { description?: string };
    return {
      name,
      in: where,
      required: where === 'path' || (object.required ?? []).includes(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

/** The problem+json responses for some codes, grouped by status, with one example per code. */
function problemResponses(codes: readonly ProblemCode[]): Record<string, unknown> {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of new Set(codes)) {
    const status = PROBLEMS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      String(status),
      {
        description: list.map((code) => `\`${code}\`: ${PROBLEMS[code].title}`).join('; '),
        headers:
          status === 429 || status === 503 || status === 502
            ? { 'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'string' } } }
            : undefined,
        content: {
          [PROBLEM_CONTENT_TYPE]: {
            schema: {
              allOf: [
                { $ref: '#/components/schemas/Problem' },
                { type: 'object', properties: { code: { enum: list }, status: { const: status } } },
              ],
            },
            examples: Object.fromEntries(
              list.map((code) => [
                code,
                {
                  value: {
                    type: problemType(code),
                    title: PROBLEMS[code].title,
                    status,
                    code,
                    detail: PROBLEMS[code].title,
                    requestId: '0f8e3a1c-7b2d-4e5f-9a6b-1c2d3e4f5a6b',
                  },
                },
              ]),
            ),
          },
        },
      },
    ]),
  );
}

function operationOf(spec: OperationSpec, routerPath: string, method: string): JsonSchema {
  const parameters = [
    ...parametersOf(spec.params, 'path'),
    ...parametersOf(spec.pathParams, 'path'),
    ...parametersOf(spec.query, 'query'),
    ...(spec.headers ?? []).map((h) => ({
      name: h.name,
      in: 'header',
      required: h.required ?? false,
      description: h.description,
      schema: toSchema(h.schema, 'input'),
    })),
  ];
  // Path parameters the router names but the spec leaves out would make an invalid document.
  for (const [, name] of (spec.path ?? toOpenApiPath(routerPath)).matchAll(/\{([^}]+)\}/g)) {
    if (!parameters.some((p) => p.in === 'path' && p.name === name)) {
      throw new Error(`${method.toUpperCase()} ${routerPath}: path parameter ${name} is not described`);
    }
  }
  const responses: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    const content: Record<string, unknown> = {};
    if (r.schema) {
      content[r.contentType ?? 'application/json'] = {
        schema: toSchema(r.schema, 'output'),
        ...(r.example !== undefined ? { example: r.example } : {}),
      };
    }
    for (const [type, schema] of Object.entries(r.content ?? {})) content[type] = { schema };
    responses[status] = {
      description: r.description,
      ...(r.headers ? { headers: r.headers } : {}),
      ...(Object.keys(content).length > 0 ? { content } : {}),
    };
  }
  Object.assign(responses, problemResponses(spec.problems ?? []));
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: spec.tags,
    security: spec.security.map((name) => ({ [name]: [] })),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(spec.body
      ? {
          requestBody: {
            required: spec.body.required ?? true,
            ...(spec.body.description ? { description: spec.body.description } : {}),
            content: {
              'application/json': {
                schema: toSchema(spec.body.schema, 'input'),
                ...(spec.body.example !== undefined ? { example: spec.body.example } : {}),
              },
            },
          },
        }
      : {}),
    responses,
  };
}

export interface DocumentOptions {
  info: { title: string; version: string; description: string };
  tags: { name: string; description: string }[];
  securitySchemes: Partial<Record<SecurityName, JsonSchema>>;
  /** Problems every documented operation may answer (a rate limit, an unavailable dependency). */
  common?: (spec: OperationSpec, path: string, method: string) => readonly ProblemCode[];
}

/** The OpenAPI 3.1 document of every described route of `app`. */
export function openApiDocument(app: Hono<never>, options: DocumentOptions): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of app.routes as RouteLike[]) {
    const spec = specOf(route);
    if (!spec || route.method === 'ALL') continue;
    const path = spec.path ?? toOpenApiPath(route.path);
    const method = route.method.toLowerCase();
    const problems = [...(spec.problems ?? []), ...(options.common?.(spec, path, route.method) ?? [])];
    (paths[path] ??= {})[method] = operationOf({ ...spec, problems }, route.path, method);
  }
  return {
    openapi: '3.1.0',
    info: options.info,
    tags: options.tags,
    paths,
    components: {
      schemas: { Problem: toSchema(ProblemBody, 'output') },
      securitySchemes: options.securitySchemes,
    },
  };
}

/** The security schemes both documents describe the same way. */
export const SECURITY_SCHEMES = {
  accountToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'An account token (ES256 JWT, `scope: "account"`) from `POST /v1/auth/login`: lists profiles and selects one.',
  },
  profileToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'A profile token (ES256 JWT, `scope: "profile"`) from `POST /v1/profiles/{profileId}/select`: every profile route.',
  },
  segmentToken: {
    type: 'apiKey',
    in: 'query',
    name: 'token',
    description:
      'A segment token (HS256 JWT) that a manifest signs into each representation URL; bound to a storage prefix.',
  },
  serviceCredential: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'The edge service credential (HS256 JWT, 60 s) bound to the request method and path and naming the caller.',
  },
  operatorKey: {
    type: 'http',
    scheme: 'bearer',
    description: 'The operator API key (`OPERATOR_API_KEY`) as `Authorization: Bearer <key>`.',
  },
} as const satisfies Record<SecurityName, JsonSchema>;

/** What reading a JSON body can answer (core/validation.ts `readJsonBody` + `parseOrThrow`). */
export const BODY_PROBLEMS = [
  'malformed_json',
  'validation_failed',
  'payload_too_large',
  'unsupported_media_type',
] as const satisfies readonly ProblemCode[];

/** What a user token check can answer (a missing, bad or expired token; the wrong scope). */
export const TOKEN_PROBLEMS = [
  'unauthenticated',
  'invalid_token',
  'token_expired',
  'forbidden',
] as const satisfies readonly ProblemCode[];

/** A JSON response with an example. */
export function json(schema: z.ZodType, description: string, example?: unknown): ResponseSpec {
  return { description, schema, ...(example !== undefined ? { example } : {}) };
}
