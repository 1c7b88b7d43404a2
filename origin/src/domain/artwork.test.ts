import { describe, expect, it } from 'vitest';
import { artworkSvg, bannerInk, contrastRatio, HOUSE, PALETTES, wrapWords, type Palette } from './artwork.ts';

const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
const hex = (c: number[]) => `#${c.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;
/** `a` with `b` laid over it at opacity `t`. */
const over = (a: string, b: string, t: number) => hex(rgb(a).map((v, i) => v * (1 - t) + rgb(b)[i]! * t));

/**
 * The lightest ground each title's text is drawn on, as the SVG layers it: a poster's top line
 * about 60 % down its gradient under the shade (0 at 45 %, 0.85 at the foot), a backdrop's at the
 * left under the same shade, a genre cut's on the black plate (0.55) over the glow's centre.
 */
function grounds(p: Palette): Record<string, string> {
  const shadeAt = (y: number) => (0.85 * (y - 0.45)) / 0.55;
  return {
    poster: over(over(p.from, p.to, 0.6), '#000000', shadeAt(0.6)),
    backdrop: over(p.from, '#000000', shadeAt(0.65)),
    genreCut: over(over(p.to, p.accent, 0.55), '#000000', 0.55),
  };
}

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

  it('draws every genre’s title and banner in colours that read on what is behind them (WCAG 4.5:1)', () => {
    const unreadable: string[] = [];
    for (const [genre, palette] of Object.entries({ ...PALETTES, house: HOUSE })) {
      for (const [where, ground] of Object.entries(grounds(palette))) {
        const ratio = contrastRatio(palette.ink, ground);
        if (ratio < 4.5) unreadable.push(`${genre} title on ${where} ${ground}: ${ratio.toFixed(2)}`);
      }
      const banner = contrastRatio(bannerInk(palette), palette.accent);
      if (banner < 4.5) unreadable.push(`${genre} banner: ${banner.toFixed(2)}`);
    }
    expect(unreadable).toEqual([]);
  });

  it('names the genre on its banner in the palette’s ink when its dark end is too dark for the accent', () => {
    const horror = artworkSvg({ ...base, genres: ['horror'], kind: 'poster', variant: 'horror' }, 320);
    expect(horror).toContain(`fill="${PALETTES['horror']!.ink}" text-anchor="middle">HORROR</text>`);
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21);
  });

  it('wraps a long name into at most the given lines', () => {
    expect(wrapWords('one two three four five six', 9, 2)).toEqual(['one two', 'three four five six']);
    expect(wrapWords('short', 9, 3)).toEqual(['short']);
  });
});
