/**
 * What a top-level title is: kids or not, its genres (a primary one and plausible companions,
 * weighted per type like a streaming catalog) and its maturity rating.
 */
import type { Rng } from './random.ts';

const KIDS_COMPANIONS = ['animation', 'comedy', 'adventure', 'fantasy', 'music'] as const;

/** Primary genres of non-kids titles, with weights, per top-level type. */
const PRIMARY_GENRES: Readonly<Record<'movie' | 'series', readonly (readonly [string, number])[]>> = {
  movie: [
    ['drama', 14],
    ['comedy', 13],
    ['action', 12],
    ['thriller', 10],
    ['horror', 7],
    ['romance', 7],
    ['sci-fi', 6],
    ['documentary', 7],
    ['crime', 5],
    ['adventure', 4],
    ['fantasy', 3],
    ['mystery', 3],
    ['stand-up', 3],
    ['music', 2],
    ['sports', 2],
    ['western', 1],
    ['anime', 1],
  ],
  series: [
    ['drama', 16],
    ['crime', 11],
    ['comedy', 12],
    ['reality', 9],
    ['documentary', 8],
    ['thriller', 7],
    ['sci-fi', 6],
    ['anime', 6],
    ['fantasy', 5],
    ['mystery', 5],
    ['action', 4],
    ['romance', 4],
    ['horror', 3],
    ['sports', 2],
    ['music', 1],
    ['western', 1],
  ],
};

/** Genres that plausibly accompany a primary genre. */
const COMPANIONS: Readonly<Record<string, readonly string[]>> = {
  action: ['adventure', 'thriller', 'sci-fi', 'crime', 'comedy'],
  adventure: ['action', 'fantasy', 'comedy', 'drama'],
  anime: ['action', 'fantasy', 'sci-fi', 'drama', 'comedy'],
  comedy: ['romance', 'drama', 'crime', 'music'],
  crime: ['drama', 'thriller', 'mystery'],
  documentary: ['sports', 'music', 'crime'],
  drama: ['romance', 'crime', 'mystery', 'sports', 'music'],
  fantasy: ['adventure', 'drama', 'romance', 'horror'],
  horror: ['thriller', 'mystery', 'sci-fi', 'comedy'],
  music: ['drama', 'romance', 'comedy', 'documentary'],
  mystery: ['thriller', 'crime', 'drama'],
  reality: ['comedy', 'romance'],
  romance: ['comedy', 'drama', 'music'],
  'sci-fi': ['action', 'thriller', 'adventure', 'drama'],
  sports: ['drama', 'comedy', 'documentary'],
  'stand-up': ['comedy'],
  thriller: ['crime', 'mystery', 'action', 'drama'],
  western: ['action', 'drama', 'adventure'],
};

const GRITTY = new Set(['horror', 'thriller', 'crime']);

function ratingFor(rng: Rng, type: 'movie' | 'series', kids: boolean, primary: string): string {
  if (kids) {
    return type === 'movie'
      ? rng.weighted([
          ['G', 0.6],
          ['TV-G', 0.2],
          ['TV-Y7', 0.2],
        ])
      : rng.weighted([
          ['TV-Y', 0.4],
          ['TV-Y7', 0.35],
          ['TV-G', 0.25],
        ]);
  }
  const gritty = GRITTY.has(primary);
  return type === 'movie'
    ? rng.weighted([
        ['PG', gritty ? 0.03 : 0.25],
        ['PG-13', 0.4],
        ['R', gritty ? 0.5 : 0.3],
        ['NC-17', 0.05],
      ])
    : rng.weighted([
        ['TV-PG', gritty ? 0.05 : 0.3],
        ['TV-14', 0.4],
        ['TV-MA', gritty ? 0.55 : 0.3],
      ]);
}

export interface Classification {
  kids: boolean;
  /** The genre that drives the title's name and wording; `kids-family` for kids titles. */
  primary: string;
  /** The primary genre first, then its companions. */
  genres: string[];
  rating: string;
}

/** Draws a top-level title's genres and rating. */
export function classify(rng: Rng, type: 'movie' | 'series'): Classification {
  const kids = rng.chance(0.25);
  let genres: string[];
  let primary: string;
  if (kids) {
    primary = 'kids-family';
    genres = ['kids-family', ...rng.sample(KIDS_COMPANIONS, rng.int(0, 2))];
  } else {
    primary = rng.weighted(PRIMARY_GENRES[type]);
    genres = [
      primary,
      ...rng.sample(
        COMPANIONS[primary] ?? [],
        rng.weighted([
          [0, 3],
          [1, 5],
          [2, 2],
        ] as const),
      ),
    ];
  }
  return { kids, primary, genres, rating: ratingFor(rng, type, kids, primary) };
}
