/**
 * Does a real response conform to an OpenAPI document? The operation is found by method and path,
 * then: its status is documented, its content type is one the response lists, and a JSON body
 * validates against that response's schema. Runs in workerd and Node (@cfworker/json-schema
 * interprets schemas; it generates no code).
 */
import { Validator, type Schema } from '@cfworker/json-schema';
import type { JsonSchema } from './openapi.ts';

export interface Observed {
  method: string;
  /** The request path (no query). */
  path: string;
  status: number;
  contentType: string | null;
  /** The body as text ('' when there is none). */
  body: string;
}

interface Operation {
  operationId: string;
  responses: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
}

type Document = JsonSchema & {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, JsonSchema> };
};

/** Inlines `#/components/schemas/…` references, so each response schema stands alone. */
function inline(schema: unknown, components: Record<string, JsonSchema>): unknown {
  if (Array.isArray(schema)) return schema.map((s) => inline(s, components));
  if (schema === null || typeof schema !== 'object') return schema;
  const ref = (schema as { $ref?: unknown }).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
    const target = components[ref.slice('#/components/schemas/'.length)];
    if (!target) throw new Error(`Unresolved reference ${ref}`);
    return inline(target, components);
  }
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, inline(v, components)]));
}

const templates = new WeakMap<object, { method: string; pattern: RegExp; params: number; op: Operation }[]>();

/** Each operation's path as a pattern; literal paths win over templated ones. */
function operationsOf(doc: Document) {
  let list = templates.get(doc);
  if (!list) {
    list = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => {
        const names = [...path.matchAll(/\{[^}]+\}/g)];
        const last = names.at(-1);
        // A trailing parameter of a path documented for a wildcard route (the media key) may hold slashes.
        const source = path
          .split(/(\{[^}]+\})/)
          .map((part) => {
            if (!part.startsWith('{')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
            return part === last?.[0] && path.endsWith(part) && part === '{key}' ? '.+' : '[^/]+';
          })
          .join('');
        return { method, pattern: new RegExp(`^${source}$`), params: names.length, op };
      }),
    );
    list.sort((a, b) => a.params - b.params);
    templates.set(doc, list);
  }
  return list;
}

/** The operation answering `method path`, if the document has one. */
export function findOperation(doc: JsonSchema, method: string, path: string): Operation | undefined {
  const m = method.toLowerCase();
  return operationsOf(doc as Document).find((o) => o.method === m && o.pattern.test(path))?.op;
}

/** Everything about `observed` that breaks the document; empty when it conforms. */
export function conformanceErrors(doc: JsonSchema, observed: Observed): string[] {
  const what = `${observed.method} ${observed.path} → ${observed.status}`;
  const op = findOperation(doc, observed.method, observed.path);
  if (!op) {
    // No operation for this method and path: the app refuses it with a 4xx no operation documents
    // (not found, a method no route serves, or a credential check that runs before routing).
    return observed.status >= 400 && observed.status < 500 ? [] : [`${what}: no operation in the document`];
  }
  const response = op.responses[String(observed.status)] ?? op.responses.default;
  if (!response) return [`${what}: status not documented for ${op.operationId}`];
  const content = response.content ?? {};
  const declared = Object.keys(content);
  if (declared.length === 0) {
    return observed.body === ''
      ? []
      : [`${what}: ${op.operationId} documents no body, got ${observed.body.length} bytes`];
  }
  if (observed.method.toUpperCase() === 'HEAD' || observed.status === 304) return [];
  const type = (observed.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const media = declared.find((d) => d.toLowerCase() === type);
  if (!media) return [`${what}: content type "${type}" is not one of ${declared.join(', ')} (${op.operationId})`];
  const schema = content[media]?.schema;
  if (!schema || !/json$/.test(media)) return [];
  let body: unknown;
  try {
    body = JSON.parse(observed.body);
  } catch {
    return [`${what}: body is not JSON (${op.operationId})`];
  }
  const components = (doc as Document).components?.schemas ?? {};
  const validator = new Validator(inline(schema, components) as Schema, '2020-12', false);
  const result = validator.validate(body);
  if (result.valid) return [];
  return result.errors
    .filter((e) => e.keyword !== 'properties' && e.keyword !== 'items' && e.keyword !== 'allOf')
    .slice(0, 8)
    .map((e) => `${what}: ${op.operationId} body ${e.instanceLocation}: ${e.error}`);
}

/** Reads a response (from a clone, so the caller can still read it) and returns what breaks the document. */
export async function responseConformance(
  doc: JsonSchema,
  request: { method: string; url: string },
  response: Response,
): Promise<string[]> {
  // As bytes: decoding is lenient, and workerd warns when a media body is read with .text().
  const body =
    request.method.toUpperCase() === 'HEAD' ? '' : new TextDecoder().decode(await response.clone().arrayBuffer());
  return conformanceErrors(doc, {
    method: request.method,
    path: new URL(request.url, 'http://localhost').pathname,
    status: response.status,
    contentType: response.headers.get('content-type'),
    body,
  });
}
