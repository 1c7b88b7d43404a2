/**
 * The progress buffer's state and its transitions, apart from storage and the network: one entry
 * per title, `dirty` until the origin has acknowledged that exact state. Pure code; the Durable
 * Object persists whatever these functions report as changed.
 */
import { applyHeartbeat, compareEntries, type Heartbeat, type ProgressEntry } from '../../../core/progress.ts';

/** One title's latest state, and whether the origin still has to receive it. */
export interface BufferedEntry {
  entry: ProgressEntry;
  dirty: boolean;
}

/** Title id → its buffered state. */
export type BufferState = Map<string, BufferedEntry>;

export interface RecordOutcome {
  /** Heartbeats now represented in the buffer: applied, or already superseded by a newer state. */
  accepted: number;
  /** Of the accepted, those that changed nothing (older than, or a replay of, the kept state). */
  superseded: number;
  /** Heartbeats for new titles not taken because every stored title is still unflushed. */
  refused: number;
  /** Titles whose state changed and must be written. */
  changed: string[];
  /** Clean titles forgotten to stay within the bound, to delete from storage. */
  evicted: string[];
}

/**
 * Applies heartbeats in arrival order with the coalescing rule (`applyHeartbeat`). A new title
 * beyond `maxTitles` evicts the clean entry with the oldest event time; unflushed (dirty) entries
 * are never evicted, so when all of them are dirty the heartbeat is refused instead.
 */
export function recordHeartbeats(
  state: BufferState,
  heartbeats: readonly Heartbeat[],
  maxTitles: number,
): RecordOutcome {
  const changed = new Set<string>();
  const evicted = new Set<string>();
  let accepted = 0;
  let superseded = 0;
  let refused = 0;
  for (const hb of heartbeats) {
    const current = state.get(hb.titleId);
    if (!current && state.size >= maxTitles) {
      const victim = oldestClean(state);
      if (victim === undefined) {
        refused += 1;
        continue;
      }
      state.delete(victim);
      evicted.add(victim);
    }
    accepted += 1;
    const next = applyHeartbeat(current?.entry, hb);
    if (!next) {
      superseded += 1;
      continue;
    }
    state.set(hb.titleId, { entry: next, dirty: true });
    changed.add(hb.titleId);
    evicted.delete(hb.titleId);
  }
  return { accepted, superseded, refused, changed: [...changed], evicted: [...evicted] };
}

function oldestClean(state: BufferState): string | undefined {
  let oldest: ProgressEntry | undefined;
  for (const { entry, dirty } of state.values()) {
    if (!dirty && (!oldest || compareEntries(entry, oldest) < 0)) oldest = entry;
  }
  return oldest?.titleId;
}

/**
 * The latest state the buffer knows for each of `titleIds`: unflushed, or flushed and kept as
 * the watermark. A flushed state older than `retentionMs` is left out (the origin has let that
 * row expire). Every state the origin stores came through this buffer, so a state found here is
 * never older than the stored one.
 */
export function latestEntries(
  state: BufferState,
  titleIds: readonly string[],
  now: number,
  retentionMs: number,
): ProgressEntry[] {
  const out: ProgressEntry[] = [];
  for (const titleId of new Set(titleIds)) {
    const kept = state.get(titleId);
    if (!kept) continue;
    if (!kept.dirty && kept.entry.eventTime < now - retentionMs) continue;
    out.push({ ...kept.entry });
  }
  return out;
}

/** The unflushed states, oldest event first (copies: the buffer may move on while they travel). */
export function dirtyEntries(state: BufferState): ProgressEntry[] {
  const out: ProgressEntry[] = [];
  for (const { entry, dirty } of state.values()) if (dirty) out.push({ ...entry });
  return out.sort(compareEntries);
}

export interface SettleOutcome {
  /** Titles now clean: the acknowledged state is still the latest. */
  cleaned: string[];
  /** Titles the origin dropped (no longer in the catalog) and that did not move on: forgotten. */
  forgotten: string[];
}

/**
 * Marks what the origin acknowledged. Only entries whose state is exactly the one sent become
 * clean; a title that received a newer heartbeat during the flush stays dirty for the next one.
 */
export function settleFlush(
  state: BufferState,
  sent: readonly ProgressEntry[],
  dropped: readonly string[],
): SettleOutcome {
  const droppedSet = new Set(dropped);
  const cleaned: string[] = [];
  const forgotten: string[] = [];
  for (const entry of sent) {
    const current = state.get(entry.titleId);
    if (!current?.dirty || compareEntries(current.entry, entry) !== 0) continue;
    if (droppedSet.has(entry.titleId)) {
      state.delete(entry.titleId);
      forgotten.push(entry.titleId);
    } else {
      current.dirty = false;
      cleaned.push(entry.titleId);
    }
  }
  return { cleaned, forgotten };
}

/** Splits a list into runs of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
