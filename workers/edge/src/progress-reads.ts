/**
 * Reading a profile's progress at the edge: the profile's ProgressBuffer answers it (it learned
 * the stored progress once, see workers/progress-buffer/src/learn.ts), and the edge reads a state
 * by the same rule as the origin (core/progress.ts: `progressView`, `onCatalogDuration`).
 */
import { HttpError } from '../../../core/problem.ts';
import {
  completionThresholds,
  onCatalogDuration,
  progressView,
  type CompletionThresholds,
  type ProgressEntry,
  type ProgressView,
} from '../../../core/progress.ts';
import type { Identity } from '../../../core/tokens.ts';
import type { AppContext } from './http/context.ts';
import { bufferOf, callBuffer } from './progress-client.ts';
import { titleSummary } from './title-summary.ts';

let cached: { source: string; thresholds: CompletionThresholds } | undefined;

/** `COMPLETION_THRESHOLD_MOVIE` / `_EPISODE`, parsed once per isolate (again only if they change). */
export function thresholdsFor(env: Pick<Env, 'COMPLETION_THRESHOLD_MOVIE' | 'COMPLETION_THRESHOLD_EPISODE'>) {
  const source = `${env.COMPLETION_THRESHOLD_MOVIE}\n${env.COMPLETION_THRESHOLD_EPISODE}`;
  if (cached?.source !== source) cached = { source, thresholds: completionThresholds(env) };
  return cached.thresholds;
}

function unknown(): HttpError {
  // The buffer could not learn the stored progress: unknown is not "none", so no answer at all.
  return new HttpError('unavailable', 'Progress is briefly unavailable; try again shortly', {
    headers: { 'retry-after': '2' },
  });
}

/** The profile's latest state of each title (a title left out has none); 503 while it is unknown. */
export async function knownProgress(c: AppContext, who: Identity, titleIds: string[]): Promise<ProgressEntry[]> {
  const { entries } = await callBuffer(() => bufferOf(c.env, who.profileId).known(who, titleIds));
  if (!entries) throw unknown();
  return entries;
}

/** Every live state the profile's buffer holds, newest first, and whether that is all its progress. */
export async function allProgress(
  c: AppContext,
  who: Identity,
): Promise<{ entries: ProgressEntry[]; complete: boolean }> {
  const { entries, complete } = await callBuffer(() => bufferOf(c.env, who.profileId).all(who));
  if (!entries) throw unknown();
  return { entries, complete };
}

/** What a client sees of a state: on the catalog's duration, judged by its content type's threshold. */
export async function viewOf(c: AppContext, entry: ProgressEntry): Promise<ProgressView> {
  const title = await titleSummary(c, entry.titleId);
  return progressView(
    onCatalogDuration(entry, title?.durationSeconds ?? null),
    title?.type === 'episode' ? 'episode' : 'movie',
    thresholdsFor(c.env),
  );
}
