/**
 * Where a profile left off in a title, as `GET /v1/progress/{titleId}` answers it: from the
 * profile's ProgressBuffer, which knows each title's state or knows there is none (it learned the
 * stored progress once), read by the same rule as the origin's (core/progress.ts: `resumeAt`).
 */
import { errorText } from '../../../../core/log.ts';
import { progressView, resumeAt, type PlayableType } from '../../../../core/progress.ts';
import type { Identity } from '../../../../core/tokens.ts';
import type { AppContext } from '../http/context.ts';
import { knownProgress, thresholdsFor } from '../progress-reads.ts';
import { titleSummary } from '../title-summary.ts';

async function playableType(c: AppContext, titleId: string): Promise<PlayableType> {
  return (await titleSummary(c, titleId))?.type === 'episode' ? 'episode' : 'movie';
}

/**
 * Seconds to start at: 0 when the profile has not watched the title or finished it. Playback
 * must not fail because progress is briefly unknown (the buffer could not learn it), so that
 * also starts at 0, logged: the buffer itself never takes "unknown" for "none".
 */
export async function resumePosition(c: AppContext, who: Identity, titleId: string): Promise<number> {
  try {
    const known = await knownProgress(c, who, [titleId]);
    const state = known.find((p) => p.titleId === titleId);
    if (!state) return 0;
    const thresholds = thresholdsFor(c.env);
    // Finished means the threshold of the title's own type, as the origin reads it. Only when
    // the two differ is the type looked up (the summary is in the colo's cache since the
    // heartbeats were checked against it), so by default a resume needs no origin.
    const type = thresholds.movie === thresholds.episode ? 'movie' : await playableType(c, titleId);
    return resumeAt(progressView(state, type, thresholds));
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
