/**
 * Where a profile left off in a title: the origin's stored progress merged with what the
 * profile's ProgressBuffer has not flushed yet (as `GET /v1/progress/{titleId}` answers it).
 */
import { z } from 'zod';

import { errorText } from '../../../../core/log.ts';
import { DEFAULT_COMPLETION_THRESHOLD, ProgressView, type ProgressQuery } from '../../../../core/progress.ts';
import type { Identity } from '../../../../core/tokens.ts';
import type { AppContext } from '../http/context.ts';
import { callOrigin } from '../origin.ts';
import { bufferOf, callBuffer } from '../progress-client.ts';

const QueryAnswer = z.object({ progress: z.array(ProgressView) });

/** Past this fraction a title counts as finished, and playback starts over (the origin's default). */
const FINISHED_FRACTION = DEFAULT_COMPLETION_THRESHOLD.movie;
const isFinished = (position: number, duration: number) => duration > 0 && position / duration >= FINISHED_FRACTION;

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
  return QueryAnswer.parse(await res.json()).progress.find((p) => p.titleId === titleId);
}

/**
 * Seconds to start at: 0 when the profile has not watched the title or finished it. Playback
 * must not fail because progress is briefly unreachable, so that also gives 0 (logged).
 */
export async function resumePosition(c: AppContext, who: Identity, titleId: string): Promise<number> {
  try {
    // Every state the origin stores came through this profile's buffer, which keeps the latest
    // state of the titles it has seen (flushed or not): when it knows the title, its state is
    // never older than the stored one and the origin is not asked. Only a title the buffer has
    // forgotten (or never saw) costs an origin round trip.
    const known = await callBuffer(() => bufferOf(c.env, who.profileId).latest([titleId]));
    const buffered = known.find((p) => p.titleId === titleId);
    if (buffered) {
      const finished = isFinished(buffered.positionSeconds, buffered.durationSeconds);
      return finished ? 0 : buffered.positionSeconds;
    }
    const stored = await storedView(c, who, titleId);
    return stored && !stored.completed ? stored.positionSeconds : 0;
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
