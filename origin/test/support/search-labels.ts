/** The labelled search queries (origin/test/search-queries.json) and how a result list is scored. */
import { readFileSync } from 'node:fs';
import type { SearchHit } from '../../../core/search.ts';

/** One labelled query: the title it must find, or for a genre word any title of that genre. */
export type LabelledQuery = { query: string; kind: string } & ({ expect: string } | { expectGenre: string });

export const labelled = JSON.parse(readFileSync(new URL('../search-queries.json', import.meta.url), 'utf8')) as {
  catalogTitles: number;
  queries: LabelledQuery[];
};

/** 1-based rank of the first right answer in `items`, 0 when there is none. */
export function rankOf(items: readonly Pick<SearchHit, 'name' | 'genres'>[], label: LabelledQuery): number {
  const right = (h: Pick<SearchHit, 'name' | 'genres'>) =>
    'expect' in label ? h.name === label.expect : h.genres.includes(label.expectGenre);
  return items.findIndex(right) + 1;
}
