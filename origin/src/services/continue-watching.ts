/** Continue Watching for one profile: stored progress merged with the buffer's unflushed states. */
import type { ContinueWatchingItem, ProgressEntry } from '../../../core/progress.ts';
import { buildContinueWatching, planContinueWatching } from '../domain/continue-watching.ts';
import type { CompletionThresholds } from '../../../core/progress.ts';
import { mergeStates } from '../domain/progress.ts';
import type { Stores, TitleSummary } from '../stores/types.ts';

export async function continueWatchingFor(
  stores: Stores,
  profile: { profileId: string; maturityLevel: number },
  pending: readonly ProgressEntry[],
  limit: number,
  thresholds: CompletionThresholds,
): Promise<{ items: ContinueWatchingItem[]; titles: Map<string, TitleSummary> }> {
  const [stored, hidden] = await Promise.all([
    stores.progress.listForProfile(profile.profileId),
    stores.progress.hiddenItems(profile.profileId),
  ]);
  const states = mergeStates(stored, pending);
  const titles = await stores.catalog.titleSummaries([...states.keys()]);
  const candidates = planContinueWatching(states, titles, thresholds);
  const afterRefs = candidates.flatMap((cand) =>
    cand.kind === 'next' && cand.after.seriesId && cand.after.seasonNumber && cand.after.episodeNumber
      ? [
          {
            seriesId: cand.after.seriesId,
            seasonNumber: cand.after.seasonNumber,
            episodeNumber: cand.after.episodeNumber,
          },
        ]
      : [],
  );
  const next = await stores.catalog.nextEpisodes(afterRefs);
  for (const summary of next.values()) titles.set(summary.id, summary);
  return { items: buildContinueWatching(candidates, next, hidden, profile.maturityLevel, limit), titles };
}
