/**
 * What the edge knows about a title before it accepts a heartbeat for it: kind, series, duration and
 * maturity level, from the origin (GET /internal/v1/titles/{titleId}/summary, core's
 * `TitleSummaryWire`) and kept in the colo's cache for a few minutes.
 */
import { TitleSummaryWire } from '../../../core/progress.ts';
import { HttpError } from '../../../core/problem.ts';
import { callerIdentity } from './http/auth.ts';
import { coloCache } from './colo-cache.ts';
import type { AppContext } from './http/context.ts';
import { callOrigin } from './origin.ts';

/** Catalog facts change rarely; five minutes bounds how long a removed or re-rated title lingers. */
export const TITLE_SUMMARY_TTL_S = 300;
const cache = coloCache('https://title-summary.edgeflix.internal', TitleSummaryWire);

/** The title's summary, or null when the catalog does not have it. Profile-independent, so shared. */
export async function titleSummary(c: AppContext, titleId: string): Promise<TitleSummaryWire | null> {
  const key = `/titles/${titleId}`;
  const hit = await cache.get(key);
  if (hit) return hit.value;
  const res = await callOrigin(c, {
    method: 'GET',
    path: `/internal/v1/titles/${titleId}/summary`,
    caller: callerIdentity(c),
  });
  if (res.status === 404) {
    await res.body?.cancel();
    return null;
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new HttpError('origin_unavailable', 'The catalog could not be reached; try again shortly', {
      headers: { 'retry-after': '2' },
    });
  }
  const parsed = TitleSummaryWire.safeParse(await res.json());
  if (!parsed.success) throw new Error('The origin answered a title summary in an unexpected shape');
  await cache.put(key, parsed.data, { keepSeconds: TITLE_SUMMARY_TTL_S });
  return parsed.data;
}
