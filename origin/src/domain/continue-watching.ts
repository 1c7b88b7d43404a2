/**
 * Continue Watching, in two pure steps around one catalog lookup:
 * `planContinueWatching` picks, per item (a series or a movie), the latest state and decides
 * whether to resume it or to offer the next episode; `buildContinueWatching` filters (hidden,
 * maturity), orders newest first, and shapes the design reference's ContinueWatchingItem.
 */
import {
  CONTINUE_WATCHING_MIN_FRACTION,
  isCompleted,
  onCatalogDuration,
  type CompletionThresholds,
  type ContinueWatchingItem,
  type ProgressEntry,
} from '../../../core/progress.ts';
import { episodeKey, type TitleSummary } from '../stores/types.ts';

type Playable = TitleSummary & { type: 'movie' | 'episode' };

export type Candidate =
  | { kind: 'resume'; itemId: string; title: Playable; entry: ProgressEntry }
  | { kind: 'next'; itemId: string; after: Playable; lastWatchedAt: number };

export function planContinueWatching(
  states: ReadonlyMap<string, ProgressEntry>,
  titles: ReadonlyMap<string, TitleSummary>,
  thresholds: CompletionThresholds,
): Candidate[] {
  const latestPerItem = new Map<string, { title: Playable; entry: ProgressEntry }>();
  for (const state of states.values()) {
    const title = titles.get(state.titleId);
    if (!title || title.type === 'series') continue;
    // Buffered states come from the caller: judged, like stored ones, on the catalog's duration.
    const entry = onCatalogDuration(state, title.durationSeconds);
    const itemId = title.seriesId ?? title.id;
    const current = latestPerItem.get(itemId);
    if (!current || entry.eventTime > current.entry.eventTime)
      latestPerItem.set(itemId, { title: title as Playable, entry });
  }
  const out: Candidate[] = [];
  for (const [itemId, { title, entry }] of latestPerItem) {
    const fraction = entry.durationSeconds > 0 ? entry.positionSeconds / entry.durationSeconds : 0;
    if (isCompleted(entry, title.type, thresholds)) {
      // A finished episode makes the next one the thing to continue; a finished movie leaves the row.
      if (title.type === 'episode') out.push({ kind: 'next', itemId, after: title, lastWatchedAt: entry.eventTime });
    } else if (fraction > CONTINUE_WATCHING_MIN_FRACTION) {
      out.push({ kind: 'resume', itemId, title, entry });
    }
  }
  return out;
}

function episodeInfo(t: TitleSummary): string | null {
  return t.type === 'episode' ? `S${t.seasonNumber}:E${t.episodeNumber}` : null;
}

export function buildContinueWatching(
  candidates: readonly Candidate[],
  nextEpisodes: ReadonlyMap<string, TitleSummary>,
  hidden: ReadonlyMap<string, Date>,
  maturityLevel: number,
  limit: number,
): ContinueWatchingItem[] {
  const items: (ContinueWatchingItem & { at: number })[] = [];
  for (const c of candidates) {
    const at = c.kind === 'resume' ? c.entry.eventTime : c.lastWatchedAt;
    const hiddenAt = hidden.get(c.itemId);
    if (hiddenAt && hiddenAt.getTime() >= at) continue;
    const title = c.kind === 'resume' ? c.title : nextEpisodes.get(episodeKey(c.after));
    if (!title || title.maturityLevel > maturityLevel) continue;
    const position = c.kind === 'resume' ? c.entry.positionSeconds : 0;
    const duration = c.kind === 'resume' ? c.entry.durationSeconds : (title.durationSeconds ?? 0);
    items.push({
      contentId: title.id,
      seriesId: title.seriesId,
      title: title.seriesName ?? title.name,
      episodeInfo: episodeInfo(title),
      posterUrl: title.posterUrl,
      progressPercent: duration > 0 ? Math.round((position / duration) * 100) : 0,
      resumePosition: position,
      lastWatchedAt: new Date(at).toISOString(),
      at,
    });
  }
  return items
    .sort((a, b) => b.at - a.at)
    .slice(0, limit)
    .map(({ at: _at, ...item }) => item);
}
