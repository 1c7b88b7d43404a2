import { describe, expect, it } from 'vitest';
import { normaliseSearchQuery, searchWords } from './search.ts';

describe('normaliseSearchQuery', () => {
  it('folds case, spaces and the accents of Latin and Greek letters, as the database folds documents', () => {
    expect(normaliseSearchQuery('  Bogotá   GARDEN ')).toBe('bogota garden');
    expect(normaliseSearchQuery('Η Νύχτα')).toBe('η νυχτα');
  });

  it('keeps the marks that are part of a letter in other scripts (Cyrillic й, kana voicing)', () => {
    expect(normaliseSearchQuery('Зимний')).toBe('зимний');
    expect(normaliseSearchQuery('ガーデン')).toBe('ガーデン'.normalize('NFC'));
  });

  it('splits words on anything but letters and digits', () => {
    expect(searchWords("Otto's bake-off 2")).toEqual(['otto', 's', 'bake', 'off', '2']);
  });
});
