/** The lookup tables: maturity ratings, genres and plans, the same for every catalog size and seed. */
import type { GenreRow, MaturityRatingRow, PlanRow, ReferenceTables } from './tables.ts';

/** Highest maturity level a kids profile sees; titles at or below it count as kids-appropriate. */
export const KIDS_MAX_LEVEL = 10;

export const MATURITY_RATINGS: readonly MaturityRatingRow[] = [
  { code: 'TV-Y', level: 0, description: 'All children' },
  { code: 'TV-Y7', level: 10, description: 'Directed to older children (7+)' },
  { code: 'G', level: 10, description: 'General audiences' },
  { code: 'TV-G', level: 10, description: 'General audience' },
  { code: 'PG', level: 20, description: 'Parental guidance suggested' },
  { code: 'TV-PG', level: 20, description: 'Parental guidance suggested' },
  { code: 'PG-13', level: 30, description: 'Parents strongly cautioned (13+)' },
  { code: 'TV-14', level: 30, description: 'Parents strongly cautioned (14+)' },
  { code: 'R', level: 40, description: 'Restricted (17+ or with a parent)' },
  { code: 'TV-MA', level: 40, description: 'Mature audiences only' },
  { code: 'NC-17', level: 50, description: 'Adults only (18+)' },
];

export const GENRES: readonly GenreRow[] = [
  { id: 'action', name: 'Action' },
  { id: 'adventure', name: 'Adventure' },
  { id: 'animation', name: 'Animation' },
  { id: 'anime', name: 'Anime' },
  { id: 'comedy', name: 'Comedy' },
  { id: 'crime', name: 'Crime' },
  { id: 'documentary', name: 'Documentary' },
  { id: 'drama', name: 'Drama' },
  { id: 'fantasy', name: 'Fantasy' },
  { id: 'horror', name: 'Horror' },
  { id: 'kids-family', name: 'Kids & Family' },
  { id: 'music', name: 'Music & Musicals' },
  { id: 'mystery', name: 'Mystery' },
  { id: 'reality', name: 'Reality TV' },
  { id: 'romance', name: 'Romance' },
  { id: 'sci-fi', name: 'Sci-Fi' },
  { id: 'sports', name: 'Sports' },
  { id: 'stand-up', name: 'Stand-Up Comedy' },
  { id: 'thriller', name: 'Thriller' },
  { id: 'western', name: 'Western' },
];

export const PLANS: readonly PlanRow[] = [
  { id: 'basic', name: 'Basic', max_height: 720, hdr: false, max_streams: 1, price_cents: 999 },
  { id: 'standard', name: 'Standard', max_height: 1080, hdr: false, max_streams: 2, price_cents: 1549 },
  { id: 'premium', name: 'Premium', max_height: 2160, hdr: true, max_streams: 4, price_cents: 2299 },
];
/** Fresh copies of the lookup tables, so a caller may change its rows. */
export function referenceData(): ReferenceTables {
  return {
    maturity_ratings: MATURITY_RATINGS.map((r) => ({ ...r })),
    genres: GENRES.map((g) => ({ ...g })),
    plans: PLANS.map((p) => ({ ...p })),
  };
}
