import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpError } from './problem.ts';
import { MAX_JSON_DEPTH, parseOrThrow, readJsonBody } from './validation.ts';

const post = (body: string, type = 'application/json') =>
  new Request('http://x/', { method: 'POST', headers: { 'content-type': type }, body });

/** The refusal a body gets: its code and the paths of the fields it names (`ok` when accepted). */
async function refusal(p: Promise<unknown>): Promise<{ code: string; paths?: string[] }> {
  try {
    await p;
    return { code: 'ok' };
  } catch (err) {
    if (err instanceof HttpError) return { code: err.code, paths: err.errors?.map((e) => e.path) };
    throw err;
  }
}

/** `depth` arrays or objects nested in each other (iteratively: no stack to overflow here either). */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

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

describe('readJsonBody: what no route accepts', () => {
  const json = (value: unknown) => readJsonBody(post(JSON.stringify(value)));

  it('accepts any JSON value up to the nesting limit, unchanged', async () => {
    const text = fc.string({ unit: 'grapheme' }).filter((t) => !t.includes('\0'));
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', maxDepth: MAX_JSON_DEPTH - 1 },
        fc.oneof(
          fc.integer(),
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.boolean(),
          fc.constant(null),
          text,
        ),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(text, tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    await fc.assert(
      fc.asyncProperty(value, async (v) => {
        expect(await json(v)).toEqual(JSON.parse(JSON.stringify(v)));
      }),
    );
    expect(await refusal(json(nested(MAX_JSON_DEPTH)))).toEqual({ code: 'ok' });
  });

  it('refuses nesting past the limit with 400 naming where, without overflowing the stack', async () => {
    expect(await refusal(json(nested(MAX_JSON_DEPTH + 1)))).toEqual({
      code: 'validation_failed',
      paths: [Array<string>(MAX_JSON_DEPTH).fill('0').join('.')],
    });
    for (const depth of [3_000, 7_000, 100_000]) {
      const deep = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      expect((await refusal(readJsonBody(post(deep), 1 << 20))).code).toBe('validation_failed');
    }
    const text = JSON.stringify({ variants: [{ id: 'a', config: { a: 0 } }] }).replace(
      '{"a":0}',
      `${'{"a":'.repeat(7_000)}1${'}'.repeat(7_000)}`,
    );
    const result = await refusal(readJsonBody(post(text), 1 << 20));
    expect(result.code).toBe('validation_failed');
    expect(result.paths?.[0]).toMatch(/^variants\.0\.config(\.a)+$/);
  });

  it('refuses U+0000 anywhere, in a string or a key, with 400 naming the field', async () => {
    const text = fc.string({ maxLength: 20 });
    await fc.assert(
      fc.asyncProperty(text, text, fc.constantFrom('value', 'key'), async (before, after, where) => {
        const bad = `${before}\0${after}`;
        const body =
          where === 'value' ? { name: 'ok', variants: [{ config: { note: bad } }] } : { config: { [bad]: 1 } };
        expect(await refusal(json(body))).toEqual({
          code: 'validation_failed',
          paths: [where === 'value' ? 'variants.0.config.note' : 'config'],
        });
      }),
    );
  });

  it('refuses a lone surrogate escape with 400 naming the field, and accepts a paired one', async () => {
    for (const escape of ['\\ud800', '\\udfff', '\\ud800x', 'x\\udbff\\udbff']) {
      expect(await refusal(readJsonBody(post(`{"name":"${escape}"}`)))).toEqual({
        code: 'validation_failed',
        paths: ['name'],
      });
    }
    expect(await readJsonBody(post('{"name":"\\ud83c\\udfac"}'))).toEqual({ name: '🎬' });
  });
});

describe('readTextLimited after a refusal', () => {
  it('reads an oversized chunked body to its end instead of cancelling it mid-stream', async () => {
    let cancelled = false;
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        if (pulled > 40) controller.close();
        else controller.enqueue(new Uint8Array(1024));
      },
      cancel() {
        cancelled = true;
      },
    });
    const req = new Request('http://x/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(await code(readJsonBody(req))).toBe('payload_too_large');
    expect({ cancelled, pulled }).toEqual({ cancelled: false, pulled: 41 });
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
