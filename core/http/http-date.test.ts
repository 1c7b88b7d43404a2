import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { formatHttpDate, parseHttpDate, toHttpDatePrecision } from './http-date.ts';

const NOV_6_1994 = Date.UTC(1994, 10, 6, 8, 49, 37);
const NOW = Date.UTC(2026, 11, 1);
/** Whole seconds from year 0000 to 9999 (IMF-fixdate's four-digit year). */
const anySecond = fc.integer({ min: -62_167_219_200, max: 253_402_300_799 }).map((s) => s * 1000);

describe('parseHttpDate', () => {
  it('reads the three forms of RFC 9110 §5.6.7 as the same instant', () => {
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(NOV_6_1994);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', NOW)).toBe(NOV_6_1994);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(NOV_6_1994);
  });

  it('refuses what Date.parse would take: bare numbers, ISO dates, other zones, wrong case, lists', () => {
    for (const value of [
      '',
      '1',
      '2024',
      '1994-11-06T08:49:37Z',
      'Sun, 06 Nov 1994 08:49:37 UTC',
      'Sun, 06 Nov 1994 08:49:37 +0000',
      'sun, 06 nov 1994 08:49:37 gmt',
      'Sun, 6 Nov 1994 08:49:37 GMT',
      'Sun, 06 Nov 94 08:49:37 GMT',
      'Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT',
    ]) {
      expect(parseHttpDate(value), value).toBeUndefined();
    }
  });

  it('refuses impossible calendar dates and times', () => {
    expect(parseHttpDate('Thu, 31 Feb 2024 00:00:00 GMT')).toBeUndefined();
    expect(parseHttpDate('Mon, 00 Jan 2024 00:00:00 GMT')).toBeUndefined();
    expect(parseHttpDate('Mon, 01 Jan 2024 24:00:00 GMT')).toBeUndefined();
    expect(parseHttpDate('Mon, 01 Jan 2024 12:60:00 GMT')).toBeUndefined();
    expect(parseHttpDate('Thu, 29 Feb 2024 00:00:00 GMT')).toBe(Date.UTC(2024, 1, 29));
    expect(parseHttpDate('Wed, 31 Dec 2025 23:59:60 GMT')).toBe(Date.UTC(2026, 0, 1));
  });

  it('places a two-digit RFC 850 year at most 50 years ahead of now', () => {
    expect(parseHttpDate('Monday, 01-Jan-76 00:00:00 GMT', NOW)).toBe(Date.UTC(2076, 0, 1));
    expect(parseHttpDate('Monday, 01-Jan-77 00:00:00 GMT', NOW)).toBe(Date.UTC(1977, 0, 1));
    expect(parseHttpDate('Monday, 01-Jan-26 00:00:00 GMT', NOW)).toBe(Date.UTC(2026, 0, 1));
  });

  it('keeps years below 100 as written (no 1900 offset)', () => {
    const year5 = parseHttpDate('Sat, 01 Jan 0005 00:00:00 GMT');
    expect(year5).toBeDefined();
    expect(new Date(year5!).getUTCFullYear()).toBe(5);
  });

  it('reads back every date it formats, to the second', () => {
    fc.assert(
      fc.property(anySecond, fc.integer({ min: 0, max: 999 }), (ms, extra) => {
        expect(parseHttpDate(formatHttpDate(ms + extra))).toBe(ms);
        expect(toHttpDatePrecision(ms + extra)).toBe(ms);
      }),
    );
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        const parsed = parseHttpDate(value);
        expect(parsed === undefined || Number.isFinite(parsed)).toBe(true);
      }),
    );
  });
});
