import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { formatHttpDate } from './http-date.ts';
import {
  evaluatePreconditions,
  parseEntityTag,
  parseEntityTagList,
  strongMatch,
  weakMatch,
  type EntityTag,
  type PreconditionOutcome,
  type Validators,
} from './preconditions.ts';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const MODIFIED = Date.UTC(2026, 10, 20, 9, 30, 15, 437); // with milliseconds, as R2 reports it
const CURRENT: Validators = { etag: '"0123abcd"', lastModified: MODIFIED };
const LAST_MODIFIED = formatHttpDate(MODIFIED);
const DATE_1990 = 'Mon, 01 Jan 1990 00:00:00 GMT';
const DATE_LATER = formatHttpDate(NOW);
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;

function evaluate(
  headers: Record<string, string>,
  options: { method?: string; current?: Validators | null } = {},
): PreconditionOutcome {
  return evaluatePreconditions(
    { method: options.method ?? 'GET', headers: new Headers(headers) },
    options.current === undefined ? CURRENT : options.current,
    { now: NOW },
  );
}

const etagc = fc.oneof(
  fc.constantFrom('!', ',', '#', '~', '\x80', '\xff', 'W', '/', '*'),
  fc.integer({ min: 0x23, max: 0x7e }).map((c) => String.fromCharCode(c)),
);
const arbitraryTag: fc.Arbitrary<EntityTag> = fc.record({
  weak: fc.boolean(),
  opaque: fc.array(etagc, { maxLength: 12 }).map((cs) => cs.join('')),
});
const formatTag = (t: EntityTag) => `${t.weak ? 'W/' : ''}"${t.opaque}"`;
const ows = fc.constantFrom('', ' ', '\t', '  ');
/**
 * Members that are not entity-tags: unquoted words, text around quotes, a `*` inside a list. (An
 * unbalanced quote opens a quoted string that swallows the rest of the field, by design.)
 */
const garbage = fc.constantFrom('x', 'abc123', '0123abcd', '*', 'w/"a"', 'x"y"', "'single'", 'W/x', '""x', '"a"b');

describe('entity-tag lists', () => {
  it('reads back any list of entity-tags, with commas inside tags, OWS and empty members', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(arbitraryTag, ows, fc.boolean()), { minLength: 1, maxLength: 6 }), (members) => {
        const value = members
          .map(([tag, space, empty], i) => `${i > 0 ? `${space},${empty ? ' ,' : ''}${space}` : ''}${formatTag(tag)}`)
          .join('');
        expect(parseEntityTagList(value)).toEqual(members.map(([tag]) => tag));
      }),
    );
  });

  it('skips members that are not entity-tags and keeps the well-formed ones around them', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(arbitraryTag, garbage), { maxLength: 6 }), (members) => {
        const value = members.map((m) => (typeof m === 'string' ? m : formatTag(m))).join(', ');
        const expected = members.filter((m): m is EntityTag => typeof m !== 'string');
        expect(parseEntityTagList(value)).toEqual(members.length === 1 && value === '*' ? '*' : expected);
      }),
    );
  });

  it('reads `*` only as the whole field value', () => {
    expect(parseEntityTagList(' * ')).toBe('*');
    expect(parseEntityTagList('*, "a"')).toEqual([{ weak: false, opaque: 'a' }]);
    expect(parseEntityTagList('"a", *')).toEqual([{ weak: false, opaque: 'a' }]);
  });

  it('parses one entity-tag exactly, refusing unquoted, lower-case w/ and trailing text', () => {
    expect(parseEntityTag('W/"x"')).toEqual({ weak: true, opaque: 'x' });
    expect(parseEntityTag(' "x" ')).toEqual({ weak: false, opaque: 'x' });
    for (const value of ['x', 'w/"x"', '"x"y', '"x", "y"', '"x', '"a"b"', '"\x7f"']) {
      expect(parseEntityTag(value), value).toBeUndefined();
    }
  });

  it('compares strongly only when both are strong and equal; weakly on the opaque-tag alone', () => {
    fc.assert(
      fc.property(arbitraryTag, arbitraryTag, (a, b) => {
        expect(strongMatch(a, b)).toBe(!a.weak && !b.weak && a.opaque === b.opaque);
        expect(weakMatch(a, b)).toBe(a.opaque === b.opaque);
        if (strongMatch(a, b)) expect(weakMatch(a, b)).toBe(true);
      }),
    );
    // RFC 9110 §8.8.3.2's table.
    const [w1, w2, s1, s2] = ['W/"1"', 'W/"2"', '"1"', '"2"'].map((v) => parseEntityTag(v)!) as [
      EntityTag,
      EntityTag,
      EntityTag,
      EntityTag,
    ];
    expect([strongMatch(w1, w1), weakMatch(w1, w1)]).toEqual([false, true]);
    expect([strongMatch(w1, w2), weakMatch(w1, w2)]).toEqual([false, false]);
    expect([strongMatch(w1, s1), weakMatch(w1, s1)]).toEqual([false, true]);
    expect([strongMatch(s1, s1), weakMatch(s1, s1)]).toEqual([true, true]);
    expect(strongMatch(s1, s2)).toBe(false);
  });
});

describe('If-Match (§13.1.1)', () => {
  it('fails with 412 for a tag that is not the current one, an unquoted word or a weak copy of it', () => {
    expect(evaluate({ 'if-match': '"bogus"' })).toBe('precondition-failed');
    expect(evaluate({ 'if-match': 'x' })).toBe('precondition-failed');
    expect(evaluate({ 'if-match': '0123abcd' })).toBe('precondition-failed');
    expect(evaluate({ 'if-match': 'W/"0123abcd"' })).toBe('precondition-failed');
  });

  it('holds for the current tag anywhere in a list, and for * when the resource exists', () => {
    expect(evaluate({ 'if-match': '"a", x, "0123abcd"' })).toBe('full');
    expect(evaluate({ 'if-match': '*' })).toBe('full');
    expect(evaluate({ 'if-match': '*' }, { current: null, method: 'PUT' })).toBe('precondition-failed');
  });
});

describe('If-None-Match (§13.1.2)', () => {
  it('answers 304 to GET and HEAD for the current tag, weakly compared, and 412 to other methods', () => {
    for (const value of ['"0123abcd"', 'W/"0123abcd"', '"a", "0123abcd"', '*']) {
      expect(evaluate({ 'if-none-match': value })).toBe('not-modified');
      expect(evaluate({ 'if-none-match': value }, { method: 'HEAD' })).toBe('not-modified');
      expect(evaluate({ 'if-none-match': value }, { method: 'POST' })).toBe('precondition-failed');
    }
  });

  it('sends the whole representation for tags that do not match, including unquoted ones', () => {
    for (const value of ['x', '0123abcd', '"other"', 'W/"other"', ',', '']) {
      expect(evaluate({ 'if-none-match': value }), value).toBe('full');
    }
    expect(evaluate({ 'if-none-match': '*' }, { current: null, method: 'PUT' })).toBe('full');
  });
});

describe('dates (§13.1.3, §13.1.4)', () => {
  it('fails If-Unmodified-Since with 412 when the resource changed after the date', () => {
    expect(evaluate({ 'if-unmodified-since': DATE_1990 })).toBe('precondition-failed');
    expect(evaluate({ 'if-unmodified-since': LAST_MODIFIED })).toBe('full');
    expect(evaluate({ 'if-unmodified-since': DATE_LATER })).toBe('full');
  });

  it('answers 304 to If-Modified-Since at or after Last-Modified (whole seconds), 200 before', () => {
    expect(evaluate({ 'if-modified-since': LAST_MODIFIED })).toBe('not-modified');
    expect(evaluate({ 'if-modified-since': DATE_LATER })).toBe('not-modified');
    expect(evaluate({ 'if-modified-since': DATE_1990 })).toBe('full');
  });

  it('ignores dates that are not HTTP-dates, and If-Modified-Since outside GET and HEAD', () => {
    for (const value of ['yesterday', '0', '1990-01-01', `${LAST_MODIFIED}, ${LAST_MODIFIED}`]) {
      expect(evaluate({ 'if-unmodified-since': value }), value).toBe('full');
      expect(evaluate({ 'if-modified-since': value }), value).toBe('full');
    }
    expect(evaluate({ 'if-modified-since': DATE_LATER }, { method: 'POST' })).toBe('full');
  });

  it('ignores both dates for a resource without a modification date', () => {
    const current = { etag: '"0123abcd"' };
    expect(evaluate({ 'if-unmodified-since': DATE_1990 }, { current })).toBe('full');
    expect(evaluate({ 'if-modified-since': DATE_LATER }, { current })).toBe('full');
  });
});

describe('order of evaluation (§13.2.2)', () => {
  const anyDate = fc.constantFrom(DATE_1990, LAST_MODIFIED, DATE_LATER, 'not a date');
  const anyTags = fc.oneof(
    garbage,
    fc.array(arbitraryTag, { maxLength: 3 }).map((ts) => ts.map(formatTag).join(', ')),
    fc.constant('"0123abcd"'),
  );

  it('ignores If-Unmodified-Since when If-Match is present', () => {
    fc.assert(
      fc.property(anyDate, fc.constantFrom(...METHODS), (date, method) => {
        const outcome = evaluate({ 'if-match': '"0123abcd"', 'if-unmodified-since': date }, { method });
        expect(outcome).toBe('full');
      }),
    );
  });

  it('ignores If-Modified-Since when If-None-Match is present', () => {
    fc.assert(
      fc.property(anyDate, anyTags, (date, tags) => {
        expect(evaluate({ 'if-none-match': tags, 'if-modified-since': date })).toBe(
          evaluate({ 'if-none-match': tags }),
        );
      }),
    );
  });

  it('a failed If-Match or If-Unmodified-Since is a 412 whatever follows', () => {
    fc.assert(
      fc.property(anyTags, anyDate, fc.constantFrom(...METHODS), (noneMatch, date, method) => {
        const rest = { 'if-none-match': noneMatch, 'if-modified-since': date, range: 'bytes=0-1' };
        expect(evaluate({ 'if-match': '"bogus"', ...rest }, { method })).toBe('precondition-failed');
        expect(evaluate({ 'if-unmodified-since': DATE_1990, ...rest }, { method })).toBe('precondition-failed');
      }),
    );
  });

  it('answers one of the four outcomes and never throws, whatever the header values', () => {
    const value = fc.option(fc.string({ unit: 'binary-ascii', maxLength: 40 }), { nil: undefined });
    fc.assert(
      fc.property(
        fc.record({
          'if-match': value,
          'if-none-match': value,
          'if-modified-since': value,
          'if-unmodified-since': value,
          'if-range': value,
          range: value,
        }),
        fc.constantFrom(...METHODS),
        (fields, method) => {
          let headers: Headers;
          try {
            headers = new Headers(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined));
          } catch {
            return; // Headers itself refuses some values (CR, LF, NUL): the runtime never passes them on
          }
          const outcome = evaluatePreconditions({ method, headers }, CURRENT, { now: NOW });
          expect(['precondition-failed', 'not-modified', 'ranged', 'full']).toContain(outcome);
        },
      ),
    );
  });
});

describe('If-Range (§13.1.5)', () => {
  const range = 'bytes=0-99';

  it('honours the Range for the current strong tag or the exact Last-Modified date', () => {
    expect(evaluate({ range })).toBe('ranged');
    expect(evaluate({ range, 'if-range': '"0123abcd"' })).toBe('ranged');
    expect(evaluate({ range, 'if-range': LAST_MODIFIED })).toBe('ranged');
  });

  it('sends the whole representation for another tag, a weak tag, another date or an invalid value', () => {
    for (const value of ['"other"', 'W/"0123abcd"', DATE_LATER, DATE_1990, '0123abcd', 'x', '"a", "0123abcd"']) {
      expect(evaluate({ range, 'if-range': value }), value).toBe('full');
    }
  });

  it('treats a Last-Modified date under a second old as weak', () => {
    const fresh = { etag: '"0123abcd"', lastModified: NOW - 400 };
    expect(evaluate({ range, 'if-range': formatHttpDate(NOW - 400) }, { current: fresh })).toBe('full');
    const older = { etag: '"0123abcd"', lastModified: NOW - 1400 };
    expect(evaluate({ range, 'if-range': formatHttpDate(NOW - 1400) }, { current: older })).toBe('ranged');
  });

  it('is ignored without a Range, and Range itself is ignored outside GET', () => {
    expect(evaluate({ 'if-range': '"other"' })).toBe('full');
    expect(evaluate({ range }, { method: 'HEAD' })).toBe('full');
    expect(evaluate({ range, 'if-range': '"0123abcd"' }, { method: 'HEAD' })).toBe('full');
  });
});
