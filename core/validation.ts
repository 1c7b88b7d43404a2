import type { z } from 'zod';
import { HttpError, type FieldError } from './problem.ts';

/** Maximum accepted JSON body on API routes; larger bodies get 413. */
export const MAX_JSON_BODY_BYTES = 16 * 1024;

/**
 * Deepest nesting of arrays and objects a JSON body may have: far above any body a route accepts,
 * far below what overflows code that recurses over a value (JSON.stringify, a store's driver).
 */
export const MAX_JSON_DEPTH = 32;

/**
 * How much of an oversized body is read and thrown away after the refusal. A request body read in
 * part and then cancelled (or dropped) leaves the rest of a chunked upload half-consumed: under
 * `wrangler dev` that wedged the dev proxy for every other client for tens of seconds. Read to its end,
 * the connection stays usable. This is Cloudflare's smallest plan limit on request bodies, so on
 * Cloudflare every body that reaches the Worker is drained; past it the body is cancelled.
 */
export const MAX_DISCARD_BYTES = 100 * 1024 * 1024;

/** Zod issues as problem+json field errors (`path` is dotted, `$` for the root). */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    path: issue.path.length === 0 ? '$' : issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

/** Validates a value with a schema, throwing a 400 `validation_failed` that names every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const errors = fieldErrors(result.error);
    const summary = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
    throw new HttpError('validation_failed', `Invalid ${what}: ${summary}`, { errors });
  }
  return result.data;
}

/**
 * Reads a request's JSON body with a byte limit, without trusting Content-Length alone.
 * Bad media type → 415, too large → 413, not JSON → 400, and 400 `validation_failed` naming the
 * field for JSON that no route accepts (see `jsonTextProblem`).
 */
export async function readJsonBody(request: Request, maxBytes = MAX_JSON_BODY_BYTES): Promise<unknown> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType)) {
    throw new HttpError('unsupported_media_type', 'Send the body as application/json');
  }
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new HttpError('payload_too_large', `Body is larger than ${maxBytes} bytes`);
  }
  const text = await readTextLimited(request, maxBytes);
  if (text.trim() === '') throw new HttpError('malformed_json', 'Request body is empty');
  let value: unknown;
  try {
    // V8's JSON.parse does not recurse, so any nesting parses; the check below bounds it.
    value = JSON.parse(text) as unknown;
  } catch {
    throw new HttpError('malformed_json', 'Request body is not valid JSON');
  }
  const problem = jsonTextProblem(value);
  if (problem) {
    throw new HttpError('validation_failed', `Invalid request body: ${problem.path}: ${problem.message}`, {
      errors: [problem],
    });
  }
  return value;
}

/** U+0000 (PostgreSQL text and jsonb refuse it) or a lone surrogate (not Unicode; jsonb refuses it). */
const UNSTORABLE_TEXT = /[\0\p{Cs}]/u;

export function textProblem(text: string): string | undefined {
  const bad = UNSTORABLE_TEXT.exec(text)?.[0];
  if (bad === undefined) return undefined;
  return bad === '\0' ? 'must not contain U+0000' : 'must not contain a lone UTF-16 surrogate';
}

/**
 * The first place where a parsed JSON value breaks a rule every route shares: nesting deeper than
 * `MAX_JSON_DEPTH`, or a string or key holding U+0000 or a lone surrogate (`"\ud800"` is valid
 * JSON but no text). Walks with its own stack, so no input can overflow the call stack. The path
 * is dotted like `fieldErrors`' (`$` for the root).
 */
export function jsonTextProblem(value: unknown): FieldError | undefined {
  const pathText = (path: readonly (string | number)[]) => (path.length === 0 ? '$' : path.join('.'));
  const pending: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value: item, path } = next;
    if (typeof item === 'string') {
      const message = textProblem(item);
      if (message) return { path: pathText(path), message };
      continue;
    }
    if (item === null || typeof item !== 'object') continue;
    if (path.length >= MAX_JSON_DEPTH) {
      return { path: pathText(path), message: `must not nest arrays and objects deeper than ${MAX_JSON_DEPTH} levels` };
    }
    const entries: [string | number, unknown][] = Array.isArray(item) ? [...item.entries()] : Object.entries(item);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      if (typeof key === 'string') {
        const message = textProblem(key);
        if (message) return { path: pathText(path), message: `a key ${message}` };
      }
      pending.push({ value: child, path: [...path, key] });
    }
  }
  return undefined;
}

/**
 * A body as UTF-8 text, refusing (413) more than `maxBytes` whatever Content-Length says. Past the
 * limit the rest is read and discarded (up to `MAX_DISCARD_BYTES`; see there), or, with
 * `discard: false` (a copy of a body whose original is read elsewhere), the copy is cancelled.
 */
export async function readTextLimited(
  request: Request,
  maxBytes: number,
  { discard = true }: { discard?: boolean } = {},
): Promise<string> {
  if (request.body === null) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      const consumed = discard && (await discardRest(reader, MAX_DISCARD_BYTES));
      if (!consumed) await reader.cancel().catch(() => {});
      throw new HttpError('payload_too_large', `Body is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(all);
  } catch {
    throw new HttpError('malformed_json', 'Request body is not valid UTF-8');
  }
}

/** Reads to the end of a stream, throwing the bytes away; false once more than `budget` bytes remain. */
async function discardRest(reader: ReadableStreamDefaultReader<Uint8Array>, budget: number): Promise<boolean> {
  let left = budget;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return true;
      left -= value.byteLength;
      if (left < 0) return false;
    }
  } catch {
    // The client went away mid-body: nothing is left to read.
    return false;
  }
}
