import { describe, expect, it } from 'vitest';
import { splitCql } from './cassandra.ts';

describe('splitCql', () => {
  it('splits statements on ";" at line ends and drops comments', () => {
    const text = `-- a comment; with a semicolon\nCREATE TABLE a (x int PRIMARY KEY);\n\n// other\nCREATE TABLE b (\n  y int PRIMARY KEY -- trailing\n) WITH comment = 'z';\n`;
    expect(splitCql(text)).toEqual([
      'CREATE TABLE a (x int PRIMARY KEY)',
      "CREATE TABLE b (\n  y int PRIMARY KEY \n) WITH comment = 'z'",
    ]);
  });
});
