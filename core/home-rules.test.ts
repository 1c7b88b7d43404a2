import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROW_ORDER_VARIANTS, type HomeItem, type HomeRow, type RowKind } from './home.ts';
import { CONTROL_ORDER, choosePoster, dedupeRows, orderRows } from './home-rules.ts';

const item = (id: string, genres: string[] = []): HomeItem => ({
  id,
  contentId: id,
  type: 'movie',
  name: id,
  posterUrl: null,
  genres,
  maturityRating: 'PG',
  episodeInfo: null,
  progressPercent: null,
  resumePosition: null,
});
const row = (kind: RowKind, ids: string[], genres: string[] = []): HomeRow => ({
  id: kind,
  kind,
  title: kind,
  items: ids.map((id) => item(id, genres)),
});
const allRows = CONTROL_ORDER.map((k, i) => row(k, [`${k}-${i}`], k === 'genre' ? ['horror'] : []));
const signals = { hoursSinceLastWatch: 1, genreScores: new Map([['horror', 5]]) };

describe('orderRows', () => {
  it('gives each homepage_row_order variant its own order', () => {
    const orders = ROW_ORDER_VARIANTS.map((v) =>
      orderRows(allRows, v, signals)
        .map((r) => r.kind)
        .join(','),
    );
    expect(new Set(orders).size).toBe(ROW_ORDER_VARIANTS.length);
  });

  it('puts Continue Watching first for continue_first and Trending first for trending_first', () => {
    expect(orderRows(allRows, 'continue_first', signals)[0]?.kind).toBe('continue_watching');
    expect(orderRows(allRows, 'trending_first', signals)[0]?.kind).toBe('trending');
    expect(orderRows(allRows, 'control', signals).map((r) => r.kind)).toEqual(CONTROL_ORDER);
  });

  it('ranks a stale Continue Watching below a strongly preferred genre row when personalized', () => {
    const stale = { hoursSinceLastWatch: 24 * 30, genreScores: new Map([['horror', 50]]) };
    const kinds = orderRows(allRows, 'personalized', stale).map((r) => r.kind);
    expect(kinds.indexOf('genre')).toBeLessThan(kinds.indexOf('continue_watching'));
  });
});

describe('dedupeRows', () => {
  it('shows every title at most once, keeps row order, caps rows and drops empty ones', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { maxLength: 6 }), { maxLength: 6 }),
        fc.integer({ min: 1, max: 4 }),
        (lists, perRow) => {
          const rows = lists.map((ids, i) => ({ ...row('genre', [...new Set(ids)]), id: `r${i}` }));
          const out = dedupeRows(rows, perRow);
          const ids = out.flatMap((r) => r.items.map((x) => x.id));
          expect(new Set(ids).size).toBe(ids.length);
          expect(out.every((r) => r.items.length > 0 && r.items.length <= perRow)).toBe(true);
          const order = out.map((r) => Number(r.id.slice(1)));
          expect([...order].sort((a, b) => a - b)).toEqual(order);
        },
      ),
    );
  });
});

describe('dedupeRows and Continue Watching', () => {
  it('keeps a title being watched in Continue Watching even when a row shown above it has it too', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { maxLength: 6 }), { maxLength: 5 }),
        fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { minLength: 1, maxLength: 4 }),
        fc.nat(5),
        (lists, watching, at) => {
          const rows = lists.map((ids, i) => ({ ...row('trending', [...new Set(ids)]), id: `r${i}` }));
          rows.splice(Math.min(at, rows.length), 0, { ...row('continue_watching', watching), id: 'cw' });
          const out = dedupeRows(rows, 4);
          expect(out.find((r) => r.id === 'cw')?.items.map((x) => x.id)).toEqual(watching);
          const ids = out.flatMap((r) => r.items.map((x) => x.id));
          expect(new Set(ids).size).toBe(ids.length);
          // Display order is untouched.
          expect(out.map((r) => r.id)).toEqual(rows.map((r) => r.id).filter((id) => out.some((o) => o.id === id)));
        },
      ),
    );
  });
});

describe('choosePoster', () => {
  const candidate = { posterUrl: '/p/default.jpg', genres: ['comedy', 'horror'] };
  const variants = new Map([
    ['comedy', '/p/comedy.jpg'],
    ['horror', '/p/horror.jpg'],
  ]);
  const scores = new Map([['horror', 3]]);

  it('picks the default, the title\u2019s first genre, or the profile\u2019s favourite genre per variant', () => {
    expect(choosePoster(candidate, variants, 'default', scores)).toBe('/p/default.jpg');
    expect(choosePoster(candidate, variants, 'genre_based', scores)).toBe('/p/comedy.jpg');
    expect(choosePoster(candidate, variants, 'personalized', scores)).toBe('/p/horror.jpg');
  });

  it('falls back to the default poster when no variant fits', () => {
    expect(choosePoster(candidate, undefined, 'genre_based', scores)).toBe('/p/default.jpg');
    expect(choosePoster(candidate, variants, 'personalized', new Map())).toBe('/p/default.jpg');
  });
});
