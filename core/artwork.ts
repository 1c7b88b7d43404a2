/**
 * Artwork URLs and objects, shared by the seed (which writes the URLs), the origin (which renders
 * them) and the edge (which serves and stores them). A URL names its title, what it is (kind and
 * genre variant) and a fingerprint of everything the image is drawn from, so the bytes behind a
 * URL never change and it can be cached for a year: new inputs make a new URL.
 *
 *   /v1/artwork/<titleId>/<kind>[-<genre>].<fingerprint>.webp?w=<width>
 */
import { z } from 'zod';

/** The widths a client may ask for (`?w=`); anything else is a 400, so the set of objects stays bounded. */
export const ARTWORK_WIDTHS = [160, 320, 640, 1280] as const;
export type ArtworkWidth = (typeof ARTWORK_WIDTHS)[number];
/** Without `?w=`: the width a row of posters needs on a plain screen. */
export const ARTWORK_DEFAULT_WIDTH: ArtworkWidth = 320;
export const ARTWORK_CONTENT_TYPE = 'image/webp';
export const ARTWORK_PATH_PREFIX = '/v1/artwork/';
/**
 * Bumped whenever the drawing changes: every fingerprint (and so every URL) changes with it. The
 * URLs the catalog stores follow at the origin's next start (origin/src/db/artwork-refresh.ts).
 */
export const ARTWORK_RENDERER_VERSION = 2;

export const ARTWORK_KINDS = ['poster', 'backdrop', 'logo', 'thumbnail'] as const;
export type ArtworkKind = (typeof ARTWORK_KINDS)[number];

/** Width : height of each kind: posters 2:3, backdrops and episode thumbnails 16:9, logos a wide strip. */
export const ARTWORK_ASPECT: Readonly<Record<ArtworkKind, { width: number; height: number }>> = {
  poster: { width: 2, height: 3 },
  backdrop: { width: 16, height: 9 },
  thumbnail: { width: 16, height: 9 },
  logo: { width: 80, height: 31 },
};

/** Everything an image is drawn from. */
export interface ArtworkInputs {
  titleId: string;
  kind: ArtworkKind;
  /** The genre a variant is cut for (the artwork experiment's arms), or null for the title's own. */
  variant: string | null;
  /** The title's name (an episode's own name for its thumbnail). */
  name: string;
  /** The title's genre ids (a series' for its episodes), in any order. */
  genres: readonly string[];
}

/** FNV-1a over the UTF-8 bytes, as 8 hex digits: stable across runtimes, enough to tell versions apart. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** The genres in the one order every side uses (the catalog keeps no order of its own). */
export function sortedGenres(genres: readonly string[]): string[] {
  return [...new Set(genres)].sort();
}

/**
 * The fingerprint in an artwork URL: changes with the renderer and with any of the inputs. Another
 * `rendererVersion` gives what an older (or newer) renderer's URL was; only the current one is drawn.
 */
export function artworkFingerprint(inputs: ArtworkInputs, rendererVersion = ARTWORK_RENDERER_VERSION): string {
  return fnv1a(
    [
      rendererVersion,
      inputs.titleId,
      inputs.kind,
      inputs.variant ?? '',
      inputs.name,
      ...sortedGenres(inputs.genres),
    ].join('\u0000'),
  );
}

/** The file part of the URL: `poster.1a2b3c4d.webp`, `poster-sci-fi.1a2b3c4d.webp`. */
export function artworkFile(inputs: ArtworkInputs, rendererVersion = ARTWORK_RENDERER_VERSION): string {
  return `${inputs.kind}${inputs.variant ? `-${inputs.variant}` : ''}.${artworkFingerprint(inputs, rendererVersion)}.webp`;
}

/** The URL the catalog hands out (without a width: a client adds `?w=`). */
export function artworkUrl(inputs: ArtworkInputs, rendererVersion = ARTWORK_RENDERER_VERSION): string {
  return `${ARTWORK_PATH_PREFIX}${inputs.titleId}/${artworkFile(inputs, rendererVersion)}`;
}

const FILE = /^(poster|backdrop|logo|thumbnail)(?:-([a-z0-9]+(?:-[a-z0-9]+)*))?\.([0-9a-f]{8})\.webp$/;

/** What a file name in an artwork URL says, or null when it is not one. */
export function parseArtworkFile(
  file: string,
): { kind: ArtworkKind; variant: string | null; fingerprint: string } | null {
  const match = FILE.exec(file);
  if (!match) return null;
  const [, kind, variant, fingerprint] = match;
  return { kind: kind as ArtworkKind, variant: variant ?? null, fingerprint: fingerprint! };
}

/** The object-store key of one rendering: `artwork/<titleId>/<file>/<width>.webp`. */
export function artworkObjectKey(titleId: string, file: string, width: ArtworkWidth): string {
  return `artwork/${titleId}/${file.replace(/\.webp$/, '')}/${width}.webp`;
}

/** The height of a rendering of `kind` at `width` (rounded to whole pixels). */
export function artworkHeight(kind: ArtworkKind, width: number): number {
  const aspect = ARTWORK_ASPECT[kind];
  return Math.round((width * aspect.height) / aspect.width);
}

/** Path parameters of an artwork URL. */
export const ArtworkParams = z.strictObject({
  titleId: z.uuid().describe('The title the image belongs to'),
  file: z.string().regex(FILE).describe('`<kind>[-<genre>].<fingerprint>.webp` exactly as the catalog handed it out'),
});

/** `?w=`: one of ARTWORK_WIDTHS (default ARTWORK_DEFAULT_WIDTH). */
export const ArtworkQuery = z.strictObject({
  w: z
    .enum(ARTWORK_WIDTHS.map(String) as [string, ...string[]])
    .optional()
    .describe(`Width in pixels: one of ${ARTWORK_WIDTHS.join(', ')} (default ${ARTWORK_DEFAULT_WIDTH})`),
});

/** The width `?w=` asks for, once ArtworkQuery has accepted it. */
export function artworkWidthOf(query: z.output<typeof ArtworkQuery>): ArtworkWidth {
  return (query.w === undefined ? ARTWORK_DEFAULT_WIDTH : Number(query.w)) as ArtworkWidth;
}
