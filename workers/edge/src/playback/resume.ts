/**
 * Where a profile left off in a title: the origin's stored progress merged with what the
 * profile's ProgressBuffer has not flushed yet (as `GET /v1/progress/{titleId}` answers it), read
 * by the same rule as the origin's (core/progress.ts: `progressView`, `resumeAt`).
 */
import { errorText } from '../../../../core/log.ts';
import {
  completionThresholds,
  progressView,
  ProgressQueryResponse,
  resumeAt,
  type CompletionThresholds,
  type PlayableType,
  type ProgressQuery,
  type ProgressView,
} from '../../../../core/progress.ts';
import type { Identity } from '../../../../core/tokens.ts';
import type { AppContext } from '../http/context.ts';
import { callOrigin } from '../origin.ts';
import { bufferOf, callBuffer } from '../progress-client.ts';
import { titleSummary } from '../title-summary.ts';

let cached: { source: string; thresholds: CompletionThresholds } | undefined;

/** `COMPLETION_THRESHOLD_MOVIE` / `_EPISODE`, parsed once per isolate (again only if they change). */
function thresholdsFor(env: Pick<Env, 'COMPLETION_THRESHOLD_MOVIE' | 'COMPLETION_THRESHOLD_EPISODE'>) {
  const source = `${env.COMPLETION_THRESHOLD_MOVIE}\n${env.COMPLETION_THRESHOLD_EPISODE}`;
  if (cached?.source !== source) cached = { source, thresholds: completionThresholds(env) };
  return cached.thresholds;
}

async function playableType(c: AppContext, titleId: string): Promise<PlayableType> {
  return (await titleSummary(c, titleId))?.type === 'episode' ? 'episode' : 'movie';
}

async function storedView(c: AppContext, who: Identity, titleId: string): Promise<ProgressView | undefined> {
  const res = await callOrigin(c, {
    method: 'POST',
    path: '/internal/v1/progress/query',
    body: { titleIds: [titleId], pending: [] } satisfies ProgressQuery,
    caller: who,
  });
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new Error(`progress query answered ${res.status}`);
  }
  return ProgressQueryResponse.parse(await res.json()).progress.find((p) => p.titleId === titleId);
}

/**
 * Seconds to start at: 0 when the profile has not watched the title or finished it. Playback
 * must not fail because progress is briefly unreachable, so that also gives 0 (logged).
 */
export async function resumePosition(c: AppContext, who: Identity, titleId: string): Promise<number> {
  try {
    // Every state the origin stores came through this profile's buffer, which keeps the latest
    // state of the titles it has seen (flushed or not): when it knows the title, its state is
    // never older than the stored one and the origin is not asked for progress. Only a title the
    // buffer has forgotten (or never saw) costs a progress round trip.
    const known = await callBuffer(() => bufferOf(c.env, who.profileId).latest([titleId]));
    const buffered = known.find((p) => p.titleId === titleId);
    if (buffered) {
      const thresholds = thresholdsFor(c.env);
      // Finished means the threshold of the title's own type, as the origin reads it. Only when
      // the two differ is the type looked up (the summary is in the colo's cache since the
      // heartbeats were checked against it), so by default a buffered title needs no origin.
      const type = thresholds.movie === thresholds.episode ? 'movie' : await playableType(c, titleId);
      return resumeAt(progressView(buffered, type, thresholds));
    }
    const stored = await storedView(c, who, titleId);
    return stored ? resumeAt(stored) : 0;
  } catch (err) {
    c.get('log').warn('resume_position_unavailable', {
      requestId: c.get('requestId'),
      profileId: who.profileId,
      titleId,
      error: errorText(err),
    });
    return 0;
  }
}
