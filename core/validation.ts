import type { z } from 'zod';
import { HttpError, type FieldError } from './problem.ts';

/** Maximum accepted JSON body on API routes; larger bodies get 413. */
export const MAX_JSON_BODY_BYTES = 16 * 1024;

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
 * Bad media type → 415, too large → 413, not JSON → 400.
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
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError('malformed_json', 'Request body is not valid JSON');
  }
}

/** A body as UTF-8 text, refusing (413) more than `maxBytes` whatever Content-Length says. */
export async function readTextLimited(request: Request, maxBytes: number): Promise<string> {
  if (request.body === null) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
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
