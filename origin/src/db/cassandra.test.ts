import { describe, expect, it } from 'vitest';
import { nativePortOf, splitCql } from './cassandra.ts';

describe('splitCql', () => {
  it('splits statements on ";" at line ends and drops comments', () => {
    const text = `-- a comment; with a semicolon\nCREATE TABLE a (x int PRIMARY KEY);\n\n// other\nCREATE TABLE b (\n  y int PRIMARY KEY -- trailing\n) WITH comment = 'z';\n`;
    expect(splitCql(text)).toEqual([
      'CREATE TABLE a (x int PRIMARY KEY)',
      "CREATE TABLE b (\n  y int PRIMARY KEY \n) WITH comment = 'z'",
    ]);
  });
});

describe('nativePortOf', () => {
  it('takes the port every contact point names, for the nodes the driver discovers', () => {
    expect(nativePortOf(['127.0.0.1:19042', '127.0.0.2:19042', '127.0.0.3:19042'])).toBe(19042);
    expect(nativePortOf(['127.0.0.1:9042'])).toBe(9042);
  });

  it("leaves the driver's default when contact points name no port or different ones", () => {
    expect(nativePortOf(['127.0.0.1', '127.0.0.2'])).toBeUndefined();
    expect(nativePortOf(['127.0.0.1:9042', '127.0.0.2:19042'])).toBeUndefined();
  });
});
