import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpError } from './problem.ts';
import { parseOrThrow, readJsonBody } from './validation.ts';

const post = (body: string, type = 'application/json') =>
  new Request('http://x/', { method: 'POST', headers: { 'content-type': type }, body });

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (err instanceof HttpError) return err.code;
    throw err;
  }
}

describe('readJsonBody', () => {
  it('accepts JSON and +json media types', async () => {
    expect(await readJsonBody(post('{"a":1}'))).toEqual({ a: 1 });
    expect(await readJsonBody(post('[1]', 'application/merge-patch+json; charset=utf-8'))).toEqual([1]);
  });

  it('refuses other media types with 415', async () => {
    expect(await code(readJsonBody(post('{}', 'text/plain')))).toBe('unsupported_media_type');
  });

  it('refuses bodies over the limit with 413 even without a Content-Length', async () => {
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(1024)));
        controller.close();
      },
    });
    const req = new Request('http://x/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(await code(readJsonBody(req))).toBe('payload_too_large');
  });

  it('answers any non-JSON text with a 400, never an unexpected error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        const result = await code(readJsonBody(post(text)));
        expect(result).toBe(valid && text.trim() !== '' ? 'ok' : 'malformed_json');
      }),
    );
  });
});

describe('parseOrThrow', () => {
  it('lists every bad field with its path', () => {
    const schema = z.strictObject({ a: z.number(), b: z.object({ c: z.string() }) });
    try {
      parseOrThrow(schema, { a: 'x', b: { c: 1 }, d: true }, 'body');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(HttpError);
      const paths = (err as HttpError).errors?.map((e) => e.path).sort();
      expect(paths).toEqual(['$', 'a', 'b.c']);
    }
  });
});
