/** Rasterises artwork (domain/artwork.ts draws it as SVG) to WebP with sharp (librsvg, fontconfig fonts). */
import sharp from 'sharp';
import type { ArtworkInputs } from '../../core/artwork.ts';
import { artworkSvg } from './domain/artwork.ts';

/** WebP at a quality that keeps flat colour and text clean at a few kilobytes. */
const WEBP = { quality: 82, effort: 2 } as const;

/** The WebP bytes of one rendering, `width` pixels wide. Same inputs, same bytes (same sharp build). */
export async function renderArtwork(inputs: ArtworkInputs, width: number): Promise<Uint8Array<ArrayBuffer>> {
  const image = sharp(Buffer.from(artworkSvg(inputs, width)));
  const buffer = await image.webp(WEBP).toBuffer();
  // Its own ArrayBuffer (a Buffer may be a view of a shared pool).
  return new Uint8Array(buffer);
}
