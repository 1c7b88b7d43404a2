/**
 * Where a profile left off in a title: the origin's stored progress merged with what the
 * profile's ProgressBuffer has not flushed yet (as `GET /v1/progress/{titleId}` answers it).
 */
import { z } from 'zod';

import { ProgressView, type ProgressQuery } from '../../../../core/progress.ts';
import type { ProfileClaims } from '../../../../core/tokens.ts';
import type { AppContext } from '../http/context.ts';
import { callOrigin } from '../origin.ts';
import { bufferOf, callBuffer } from '../progress-buffer.ts';

const QueryAnswer = z.object({ progress: z.array(ProgressView) });

/**
 * Seconds to start at: 0 when the profile has not watched the title or finished it. Playback
 * must not fail because progress is briefly unreachable, so that also gives 0 (logged).
 */
export async function resumePosition(c: AppContext, user: ProfileClaims, titleId: string): Promise<number> {
  try {
    const pending = await callBuffer(() => bufferOf(c.env, user.pid).pending([titleId]));
    const res = await callOrigin(c, {
      method: 'POST',
      path: '/internal/v1/progress/query',
      body: { titleIds: [titleId], pending } satisfies ProgressQuery,
      user,
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new Error(`progress query answered ${res.status}`);
    }
    const view = QueryAnswer.parse(await res.json()).progress.find((p) => p.titleId === titleId);
    return view && !view.completed ? view.positionSeconds : 0;
  } catch (err) {
    console.warn(
      JSON.stringify({
        timestamp: new Date().toISOString(),
        level: 'warn',
        service: 'edge',
        requestId: c.get('requestId'),
        event: 'resume_position_unavailable',
        metadata: { error: err instanceof Error ? err.message : String(err) },
      }),
    );
    return 0;
  }
}
