/**
 * Artwork through the edge: drawn by the origin on first request, stored in R2, then served from
 * there at the fixed widths with a year of immutable caching, an ETag and 304s; anything else a
 * 400 or 404 problem; and the artwork experiment's arms show different images.
 */
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { ARTWORK_WIDTHS } from '../../../core/artwork.ts';
import type { TitleCard } from '../../../core/catalog.ts';
import type { HomePage } from '../../../core/home.ts';
import { newOwner, originCallCount, profileToken } from '../../test/helpers.ts';

const EDGE = 'https://edge.test';
const fetchEdge = (path: string, init?: RequestInit) => SELF.fetch(`${EDGE}${path}`, init);
const asProfile = async (path: string, owner = newOwner()) =>
  fetchEdge(path, { headers: { authorization: `Bearer ${await profileToken(owner)}` } });

/** Width and height from a WebP file's header (lossy VP8, lossless VP8L or extended VP8X). */
function webpSize(bytes: Uint8Array): { width: number; height: number } {
  const text = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  expect(text(0, 4)).toBe('RIFF');
  expect(text(8, 12)).toBe('WEBP');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunk = text(12, 16);
  if (chunk === 'VP8 ') {
    return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    const bits = view.getUint32(21, true);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') {
    const u24 = (at: number) => bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16);
    return { width: u24(24) + 1, height: u24(27) + 1 };
  }
  throw new Error(`not a WebP chunk: ${chunk}`);
}

/** Seeded titles (the test fixtures added beside the seed have no drawn artwork). */
async function cards(): Promise<TitleCard[]> {
  const page = (await (await asProfile('/v1/titles?limit=40')).json()) as { items: TitleCard[] };
  return page.items.filter((t) => t.posterUrl?.startsWith('/v1/artwork/'));
}

async function expectProblem(res: Response, status: number): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  await res.body?.cancel();
}

describe('artwork at the edge', () => {
  it('serves every title a 2:3 poster and a 16:9 backdrop at each fixed width, as WebP', async () => {
    const [title] = await cards();
    expect(title!.posterUrl).toMatch(/^\/v1\/artwork\/[0-9a-f-]{36}\/poster\.[0-9a-f]{8}\.webp$/);
    expect(title!.backdropUrl).toMatch(/^\/v1\/artwork\/[0-9a-f-]{36}\/backdrop\.[0-9a-f]{8}\.webp$/);
    for (const width of ARTWORK_WIDTHS) {
      for (const [url, ratio] of [
        [title!.posterUrl!, 3 / 2],
        [title!.backdropUrl!, 9 / 16],
      ] as const) {
        const res = await fetchEdge(`${url}?w=${width}`);
        expect(res.status, `${url}?w=${width}`).toBe(200);
        expect(res.headers.get('content-type')).toBe('image/webp');
        const bytes = new Uint8Array(await res.arrayBuffer());
        expect(Number(res.headers.get('content-length'))).toBe(bytes.byteLength);
        expect(webpSize(bytes)).toEqual({ width, height: Math.round(width * ratio) });
      }
    }
  });

  it('draws an image once: the first request is a miss the origin draws, later ones come from the store', async () => {
    const title = (await cards())[1]!;
    const url = `${title.posterUrl}?w=320`;
    const before = await originCallCount('/internal/v1/artwork/');
    const first = await fetchEdge(url);
    const firstBytes = new Uint8Array(await first.arrayBuffer());
    const second = await fetchEdge(url);
    const secondBytes = new Uint8Array(await second.arrayBuffer());
    expect([first.headers.get('x-cache'), second.headers.get('x-cache')]).toEqual(['miss', 'hit']);
    expect(await originCallCount('/internal/v1/artwork/')).toBe(before + 1);
    expect(secondBytes).toEqual(firstBytes);
    expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
  });

  it('caches for a year as immutable, with an ETag that answers 304 to If-None-Match', async () => {
    const title = (await cards())[2]!;
    const url = `${title.posterUrl}?w=160`;
    const res = await fetchEdge(url);
    await res.arrayBuffer();
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[^"]+"$/);
    expect(res.headers.get('last-modified')).not.toBeNull();
    const revalidated = await fetchEdge(url, { headers: { 'if-none-match': etag! } });
    expect(revalidated.status).toBe(304);
    expect(await revalidated.text()).toBe('');
    expect(revalidated.headers.get('etag')).toBe(etag);
    expect(revalidated.headers.get('cache-control')).toContain('immutable');
    const changed = await fetchEdge(url, { headers: { 'if-none-match': '"something-else"' } });
    expect(changed.status).toBe(200);
    await changed.arrayBuffer();
    const head = await fetchEdge(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(res.headers.get('content-length'));
  });

  it('refuses any other width, and a malformed file name, with a 400 problem before the store or the origin', async () => {
    const title = (await cards())[3]!;
    const before = await originCallCount('/internal/v1/artwork/');
    for (const w of ['0', '161', '2000', '320.0', 'abc', '-160', '']) {
      await expectProblem(await fetchEdge(`${title.posterUrl}?w=${w}`), 400);
    }
    await expectProblem(await fetchEdge(`/v1/artwork/${title.id}/poster.jpg?w=160`), 400);
    await expectProblem(await fetchEdge(`/v1/artwork/not-a-uuid/poster.00000000.webp?w=160`), 400);
    expect(await originCallCount('/internal/v1/artwork/')).toBe(before);
  });

  it('answers 404 for a URL the catalog does not list (unknown title, stale fingerprint, other genre), and remembers it', async () => {
    const title = (await cards())[4]!;
    const stale = title.posterUrl!.replace(/\.[0-9a-f]{8}\.webp$/, '.00000000.webp');
    await expectProblem(await fetchEdge(`${stale}?w=160`), 404);
    await expectProblem(await fetchEdge(`/v1/artwork/${crypto.randomUUID()}/poster.12345678.webp`), 404);
    const fingerprint = /\.([0-9a-f]{8})\.webp$/.exec(title.posterUrl!)![1];
    await expectProblem(await fetchEdge(`/v1/artwork/${title.id}/poster-western.${fingerprint}.webp`), 404);
    const before = await originCallCount('/internal/v1/artwork/');
    await expectProblem(await fetchEdge(`${stale}?w=160`), 404);
    expect(await originCallCount('/internal/v1/artwork/')).toBe(before);
  });

  it('shows the artwork experiment: the default and genre_based arms get different poster URLs and bytes', async () => {
    const byArm = new Map<string, HomePage>();
    for (let i = 0; i < 60 && byArm.size < 2; i++) {
      const page = (await (await asProfile('/v1/home')).json()) as HomePage;
      if (page.variants.artwork !== 'personalized' && !byArm.has(page.variants.artwork)) {
        byArm.set(page.variants.artwork, page);
      }
    }
    const posters = (page: HomePage | undefined) =>
      new Map(page!.rows.flatMap((r) => r.items).map((item) => [item.id, item.posterUrl]));
    const plain = posters(byArm.get('default'));
    const cut = posters(byArm.get('genre_based'));
    const shared = [...plain.keys()].filter((id) => cut.has(id) && plain.get(id));
    expect(shared.length).toBeGreaterThan(0);
    for (const id of shared) expect(cut.get(id)).not.toBe(plain.get(id));
    const id = shared[0]!;
    expect(cut.get(id)).toMatch(/\/poster-[a-z-]+\.[0-9a-f]{8}\.webp$/);
    const bytes = async (url: string) => new Uint8Array(await (await fetchEdge(`${url}?w=160`)).arrayBuffer());
    const [a, b] = await Promise.all([bytes(plain.get(id)!), bytes(cut.get(id)!)]);
    expect(a.byteLength).toBeGreaterThan(0);
    expect(b).not.toEqual(a);
  });
});
