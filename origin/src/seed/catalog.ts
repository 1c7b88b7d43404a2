/**
 * Deterministic catalog generator for the PostgreSQL schema in
 * migrations/postgres/0001_catalog_and_accounts.sql. Pure: no I/O, no clock, no global state.
 *
 * Same options → byte-identical rows. Every top-level title (movie or series) draws from its own
 * PRNG stream (seed + index) and gets ids named after its index, so a larger catalog is the
 * smaller one plus more titles: seeding `demo` and later `full` only adds rows.
 *
 * Where the parts live: the row types in `tables.ts`, the lookup tables in `reference.ts`, one
 * top-level title in `title-bundle.ts` (its genres and rating in `classification.ts`, its words
 * in `title-text.ts`, its media in `title-media.ts`, `ladders.ts` and `tracks.ts`).
 */
import { seedNamespace } from './random.ts';
import { referenceData } from './reference.ts';
import { appendTitleTables, emptyTitleTables, type Catalog, type TitleTables } from './tables.ts';
import { titleBundle } from './title-bundle.ts';

// Imported from here by the media scripts; their home is reference.ts and tables.ts.
export { KIDS_MAX_LEVEL } from './reference.ts';
export type { AudioTrackRow, EncodingRow, SubtitleTrackRow } from './tables.ts';

export const DEFAULT_SEED = 'edgeflix';
/** "Now" for the catalog: `added_at` spreads over the ~3 years before it. Fixed for determinism. */
export const DEFAULT_EPOCH = '2025-06-01T00:00:00.000Z';
/** Catalog sizes in top-level titles: `demo` is what a first start seeds, `full` a realistic service. */
export const CATALOG_SIZES = { demo: 300, full: 15_000 } as const;

export interface CatalogOptions {
  /** Top-level titles (movies + series); episodes come on top. */
  titles: number;
  seed?: string;
  /** ISO timestamp treated as "now"; defaults to DEFAULT_EPOCH. */
  epoch?: string;
}

interface NormalizedOptions {
  titles: number;
  seed: string;
  epochMs: number;
}

function normalize(options: CatalogOptions): NormalizedOptions {
  if (!Number.isSafeInteger(options.titles) || options.titles < 0) {
    throw new RangeError(`titles must be a non-negative integer, got ${String(options.titles)}`);
  }
  const epoch = options.epoch ?? DEFAULT_EPOCH;
  const epochMs = Date.parse(epoch);
  if (Number.isNaN(epochMs)) throw new RangeError(`epoch is not a timestamp: ${epoch}`);
  return { titles: options.titles, seed: options.seed ?? DEFAULT_SEED, epochMs };
}

/**
 * Yields one bundle per top-level title, in order: the title row first, then (for a series) its
 * seasons and episodes, and every child row. Lets a writer stream a large catalog in batches.
 */
export function* generateTitleBundles(options: CatalogOptions): Generator<TitleTables, void, undefined> {
  const { titles, seed, epochMs } = normalize(options);
  const ns = seedNamespace(seed);
  const usedNames = new Set<string>();
  for (let index = 0; index < titles; index++) {
    yield titleBundle(index, seed, ns, epochMs, usedNames);
  }
}

/** The whole catalog as plain rows, for every table. Same options → identical output. */
export function generateCatalog(options: CatalogOptions): Catalog {
  const tables = emptyTitleTables();
  for (const bundle of generateTitleBundles(options)) appendTitleTables(tables, bundle);
  return { ...referenceData(), ...tables };
}
