import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ArtworkQuery,
  artworkFile,
  artworkFingerprint,
  artworkHeight,
  artworkObjectKey,
  artworkUrl,
  parseArtworkFile,
  ARTWORK_KINDS,
  ARTWORK_RENDERER_VERSION,
  type ArtworkInputs,
} from './artwork.ts';

const genre = fc.constantFrom('drama', 'sci-fi', 'kids-family', 'stand-up', 'western');
const inputs: fc.Arbitrary<ArtworkInputs> = fc.record({
  titleId: fc.uuid(),
  kind: fc.constantFrom(...ARTWORK_KINDS),
  variant: fc.option(genre, { nil: null }),
  name: fc.string({ minLength: 1, maxLength: 60 }),
  genres: fc.array(genre, { maxLength: 4 }),
});

describe('artwork URLs', () => {
  it('parse back to the kind, variant and fingerprint they were made from', () => {
    fc.assert(
      fc.property(inputs, (i) => {
        expect(parseArtworkFile(artworkFile(i))).toEqual({
          kind: i.kind,
          variant: i.variant,
          fingerprint: artworkFingerprint(i),
        });
        expect(artworkUrl(i)).toBe(`/v1/artwork/${i.titleId}/${artworkFile(i)}`);
      }),
    );
  });

  it('get a new fingerprint when the name, variant or genres change, and keep it for the same genres in any order', () => {
    fc.assert(
      fc.property(inputs, fc.string({ minLength: 1 }), (i, other) => {
        fc.pre(other !== i.name);
        expect(artworkFingerprint({ ...i, name: other })).not.toBe(artworkFingerprint(i));
        expect(artworkFingerprint({ ...i, genres: [...i.genres].reverse() })).toBe(artworkFingerprint(i));
        expect(artworkFingerprint({ ...i, variant: i.variant === null ? 'drama' : null })).not.toBe(
          artworkFingerprint(i),
        );
      }),
    );
  });

  it('change with the renderer version, the current one by default', () => {
    fc.assert(
      fc.property(inputs, (i) => {
        expect(artworkUrl(i, ARTWORK_RENDERER_VERSION)).toBe(artworkUrl(i));
        expect(artworkUrl(i, ARTWORK_RENDERER_VERSION - 1)).not.toBe(artworkUrl(i));
      }),
    );
  });

  it('refuse file names of any other shape', () => {
    for (const file of [
      'poster.jpg',
      'poster.1234567.webp',
      'Poster.12345678.webp',
      'cover.12345678.webp',
      'poster-.12345678.webp',
      '../poster.12345678.webp',
    ]) {
      expect(parseArtworkFile(file), file).toBeNull();
    }
  });

  it('accept only the fixed widths', () => {
    for (const w of ['160', '320', '640', '1280']) expect(ArtworkQuery.safeParse({ w }).success).toBe(true);
    for (const w of ['0', '161', '2000', '320.0', '', 'abc'])
      expect(ArtworkQuery.safeParse({ w }).success, w).toBe(false);
    expect(ArtworkQuery.safeParse({}).success).toBe(true);
  });

  it('keys each width apart and gives posters 2:3 and backdrops 16:9', () => {
    expect(artworkObjectKey('t', 'poster.0a0b0c0d.webp', 320)).toBe('artwork/t/poster.0a0b0c0d/320.webp');
    expect(artworkHeight('poster', 320)).toBe(480);
    expect(artworkHeight('backdrop', 640)).toBe(360);
  });
});
