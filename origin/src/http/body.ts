import type { z } from 'zod';
import { parseOrThrow, readJsonBody } from '../../../core/validation.ts';
import type { AppContext } from './context.ts';

/** Reads and validates a JSON body (415/413/400 problem on bad input). */
export async function jsonBody<S extends z.ZodType>(
  c: AppContext,
  schema: S,
  what = 'request body',
  maxBytes?: number,
): Promise<z.output<S>> {
  return parseOrThrow(schema, await readJsonBody(c.req.raw, maxBytes), what);
}

/** Like `jsonBody`, but an absent body counts as `{}` (POSTs that take no input). */
export async function optionalJsonBody<S extends z.ZodType>(c: AppContext, schema: S): Promise<z.output<S>> {
  const hasBody = c.req.header('content-length') !== undefined && c.req.header('content-length') !== '0';
  const chunked = c.req.header('transfer-encoding') !== undefined;
  return parseOrThrow(schema, hasBody || chunked ? await readJsonBody(c.req.raw) : {}, 'request body');
}
