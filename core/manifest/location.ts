/**
 * Where a manifest tells the player to fetch one representation's files. The edge decides (it
 * signs one token per representation); the builders only join names onto it.
 *
 * The edge gives absolute paths (`/v1/media/…`, no scheme or host): a player resolves them
 * against the URL it fetched the manifest or playlist from (RFC 3986 §5; DASH BaseURL, HLS URIs
 * and the JSON manifest alike), so the same origin serves every level and a request's `Host`
 * header never decides where a player is sent.
 */

/**
 * `baseUrl` is the representation's folder (ending in "/") for video and audio, or the file
 * itself for a subtitle track, as a URL reference (absolute or a path); `query` (without "?",
 * e.g. "token=…") goes on every request.
 */
export interface MediaLocation {
  baseUrl: string;
  query?: string;
}

/** Locations keyed by representation id (encoding, audio track or subtitle track id). */
export type MediaLocations = Readonly<Record<string, MediaLocation>>;

/** The first segment's number, in both DASH (`startNumber`) and the object-store layout. */
export const FIRST_SEGMENT_NUMBER = 1;
export const INIT_SEGMENT = 'init.mp4';

/** The object-store file name of segment `n` (1-based). */
export function segmentName(n: number | '$Number$'): string {
  return `seg-${n}.m4s`;
}

/** `file` inside a location, with the location's query string. */
export function mediaUrl(location: MediaLocation, file = ''): string {
  return location.query ? `${location.baseUrl}${file}?${location.query}` : `${location.baseUrl}${file}`;
}

/** The location of representation `id`; a missing one is a bug in the caller. */
export function locationOf(locations: MediaLocations, id: string): MediaLocation {
  const location = locations[id];
  if (!location) throw new Error(`No media location for representation ${id}`);
  return location;
}
