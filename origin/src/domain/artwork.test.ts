import { describe, expect, it } from 'vitest';
import { artworkSvg, wrapWords } from './artwork.ts';

const base = { titleId: '00000000-0000-4000-8000-000000000001', name: 'The Last Strike', genres: ['drama', 'crime'] };

describe('artwork drawing', () => {
  it('draws the same SVG for the same inputs', () => {
    expect(artworkSvg({ ...base, kind: 'poster', variant: null }, 320)).toBe(
      artworkSvg({ ...base, kind: 'poster', variant: null }, 320),
    );
  });

  it('draws a genre cut unlike the title’s own poster, even for the genre the own poster is drawn from', () => {
    const own = artworkSvg({ ...base, kind: 'poster', variant: null }, 320);
    const crime = artworkSvg({ ...base, kind: 'poster', variant: 'crime' }, 320);
    const drama = artworkSvg({ ...base, kind: 'poster', variant: 'drama' }, 320);
    expect(new Set([own, crime, drama]).size).toBe(3);
    expect(crime).toContain('>CRIME</text>');
  });

  it('sizes the image to the asked-for width at the kind’s aspect', () => {
    expect(artworkSvg({ ...base, kind: 'poster', variant: null }, 160)).toMatch(/^<svg [^>]*width="160" height="240"/);
    expect(artworkSvg({ ...base, kind: 'backdrop', variant: null }, 640)).toMatch(
      /^<svg [^>]*width="640" height="360"/,
    );
  });

  it('escapes a name that looks like markup', () => {
    const svg = artworkSvg({ ...base, name: '<script>&"x"', kind: 'poster', variant: null }, 160);
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&#60;script&#62;&#38;&#34;x&#34;');
  });

  it('wraps a long name into at most the given lines', () => {
    expect(wrapWords('one two three four five six', 9, 2)).toEqual(['one two', 'three four five six']);
    expect(wrapWords('short', 9, 3)).toEqual(['short']);
  });
});
