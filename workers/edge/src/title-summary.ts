/**
 * What the edge knows about a title before it accepts a heartbeat for it: kind, series, duration and
 * maturity level, from the origin (POST /internal/v1/titles/summaries, core's
 * `TitleSummariesResponse`) and kept in the colo's cache for a few minutes; a title the origin does
 * not have is remembered as missing for `MISSING_KEEP_S`. A batch costs at most one origin call,
 * for the titles the colo has not cached.
 */
import {
  MAX_TITLE_SUMMARIES,
  TitleSummariesResponse,
  TitleSummaryWire,
  type TitleSummariesRequest,
} from '../../../core/progress.ts';
import { HttpError } from '../../../core/problem.ts';
import { callerIdentity } from './http/auth.ts';
import { coloCache, isMissing, MISSING, MISSING_KEEP_S, orMissing } from './colo-cache.ts';
import type { AppContext } from './http/context.ts';
import { callOrigin } from './origin.ts';

/** Catalog facts change rarely; five minutes bounds how long a removed or re-rated title lingers. */
export const TITLE_SUMMARY_TTL_S = 300;
const cache = coloCache('https://title-summary.edgeflix.internal', orMissing(TitleSummaryWire));
const keyOf = (titleId: string) => `/titles/${titleId}`;

/** The title's summary, or null when the catalog does not have it. Profile-independent, so shared. */
export async function titleSummary(c: AppContext, titleId: string): Promise<TitleSummaryWire | null> {
  return (await titleSummaries(c, [titleId])).get(titleId) ?? null;
}

/** The summaries of the titles the catalog has, by id; an id it does not have is left out. */
export async function titleSummaries(
  c: AppContext,
  titleIds: readonly string[],
): Promise<Map<string, TitleSummaryWire>> {
  const ids = [...new Set(titleIds)];
  const hits = await Promise.all(ids.map((id) => cache.get(keyOf(id))));
  const found = new Map<string, TitleSummaryWire>();
  const misses: string[] = [];
  ids.forEach((id, i) => {
    const hit = hits[i];
    if (!hit) misses.push(id);
    else if (!isMissing(hit.value)) found.set(id, hit.value);
  });
  const chunks = Array.from({ length: Math.ceil(misses.length / MAX_TITLE_SUMMARIES) }, (_, i) =>
    misses.slice(i * MAX_TITLE_SUMMARIES, (i + 1) * MAX_TITLE_SUMMARIES),
  );
  for (const chunk of chunks) {
    const answered = await fetchSummaries(c, chunk);
    await Promise.all(
      chunk.map((id) => {
        const summary = answered.get(id);
        if (!summary) return cache.put(keyOf(id), MISSING, { keepSeconds: MISSING_KEEP_S });
        found.set(id, summary);
        return cache.put(keyOf(id), summary, { keepSeconds: TITLE_SUMMARY_TTL_S });
      }),
    );
  }
  return found;
}

async function fetchSummaries(c: AppContext, titleIds: string[]): Promise<Map<string, TitleSummaryWire>> {
  const res = await callOrigin(c, {
    method: 'POST',
    path: '/internal/v1/titles/summaries',
    body: { titleIds } satisfies TitleSummariesRequest,
    caller: callerIdentity(c),
  });
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new HttpError('origin_unavailable', 'The catalog could not be reached; try again shortly', {
      headers: { 'retry-after': '2' },
    });
  }
  const parsed = TitleSummariesResponse.safeParse(await res.json());
  if (!parsed.success) throw new Error('The origin answered title summaries in an unexpected shape');
  return new Map(parsed.data.summaries.map((s) => [s.id, s]));
}
