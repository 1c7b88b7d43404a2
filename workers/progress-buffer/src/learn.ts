/**
 * What a ProgressBuffer knows of its profile's stored progress, so that it answers every read
 * itself: on the first read it learns the stored states from the origin once (one single-partition
 * read) and keeps them as clean entries, so from then on a title it lacks has no progress.
 *
 * Storage (beside the buffer's `title:` entries):
 *   `learned`     → Learned   present once the stored states are merged in
 *   `gone:<id>`   → true      a title whose stored state the buffer let go of (evicted past
 *                             MAX_TITLES, or invalidated): asked of the origin when read
 * The merge follows the progress rule (core/progress.ts): a heartbeat recorded while the learn was
 * in flight is kept when it is the later state, and a stored state replaces an older buffered one.
 */
import {
  compareEntries,
  PROGRESS_RETENTION_SECONDS,
  StoredProgressResponse,
  type ProgressEntry,
  type StoredProgressQuery,
} from '../../../core/progress.ts';
import { HttpError } from '../../../core/problem.ts';
import type { Identity } from '../../../core/tokens.ts';
import { originFetch, type OriginBindings } from '../../shared/origin-client.ts';
import { latestEntries, type BufferState } from './buffer.ts';
import { log } from './log.ts';
import type { AllProgress, KnownProgress } from './rpc.ts';

export const STORED_PATH = '/internal/v1/progress/stored';

export const LEARN_KEYS = {
  learned: 'learned',
  gonePrefix: 'gone:',
  gone: (titleId: string) => `gone:${titleId}`,
} as const;

/**
 * Let-go titles tracked one by one. Past this many the buffer stops listing them and counts as
 * `partial`: any title it lacks is asked of the origin (only a profile with thousands of titles).
 */
export const MAX_GONE = 10_000;

/** Marks the stored states as learned. `partial`: a title the buffer lacks may still be stored. */
export interface Learned {
  at: number;
  partial: boolean;
}

export interface Knowledge {
  learned: Learned | undefined;
  gone: Set<string>;
}

/**
 * Merges stored states (newest first) into the buffer by the progress rule: a title gets the stored
 * state when the buffer has none or an older one. A title the bound has no room for is reported
 * in `overflow` (nothing is evicted for it: the buffer's own titles are the more recent).
 */
export function mergeStored(
  state: BufferState,
  stored: readonly ProgressEntry[],
  maxTitles: number,
): { changed: string[]; overflow: string[] } {
  const changed: string[] = [];
  const overflow: string[] = [];
  for (const entry of stored) {
    const current = state.get(entry.titleId);
    if (current && compareEntries(current.entry, entry) >= 0) continue;
    if (!current && state.size >= maxTitles) {
      overflow.push(entry.titleId);
      continue;
    }
    state.set(entry.titleId, { entry: { ...entry }, dirty: false });
    changed.push(entry.titleId);
  }
  return { changed, overflow };
}

/**
 * Sorts the titles of a read into the states the buffer knows (`entries`, with `latestEntries`'s
 * retention) and those it cannot answer alone (`ask`): let go of, or missing while `partial`.
 * Every other title missing from the buffer has no stored progress. Needs `learned`.
 */
export function resolve(
  state: BufferState,
  knowledge: Knowledge,
  titleIds: readonly string[],
  now: number,
): { entries: ProgressEntry[]; ask: string[] } {
  const answerable: string[] = [];
  const ask: string[] = [];
  for (const titleId of new Set(titleIds)) {
    if (knowledge.gone.has(titleId) || (!state.has(titleId) && knowledge.learned?.partial)) ask.push(titleId);
    else answerable.push(titleId);
  }
  return { entries: latestEntries(state, answerable, now, PROGRESS_RETENTION_SECONDS * 1000), ask };
}

/** Why the stored states could not be read: the buffer then answers "unknown", never "none". */
export class LearnError extends Error {
  readonly kind: 'unreachable' | 'unavailable' | 'malformed';

  constructor(kind: LearnError['kind'], message: string) {
    super(message);
    this.name = 'LearnError';
    this.kind = kind;
  }
}

/** One read of the profile's stored states (some titles, or all of them); throws `LearnError`. */
export async function fetchStored(
  env: OriginBindings,
  owner: Identity,
  query: StoredProgressQuery,
): Promise<StoredProgressResponse> {
  let response: Response;
  try {
    response = await originFetch(env, {
      method: 'POST',
      path: STORED_PATH,
      body: query,
      caller: owner,
      requestId: crypto.randomUUID(),
    });
  } catch (err) {
    if (err instanceof HttpError) throw new LearnError('unreachable', err.message);
    throw err;
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new LearnError('unavailable', `The origin answered ${response.status}`);
  }
  let json: unknown;
  try {
    json = await response.json();
  } catch {
    throw new LearnError('malformed', 'The origin answered 200 with a body that is not JSON');
  }
  const parsed = StoredProgressResponse.safeParse(json);
  if (!parsed.success) throw new LearnError('malformed', 'The origin answered 200 without stored progress');
  return parsed.data;
}

type Write = (puts: Record<string, unknown>, deletes: string[]) => Promise<void>;

/** How the Learner reaches the buffer: its state map, its write and its storage key of a title. */
export interface BufferAccess {
  state: BufferState;
  write: Write;
  titleKey: (titleId: string) => string;
  maxTitles: number;
}

/**
 * The buffer's knowledge of stored progress and the reads that use it. Shares the buffer's state
 * map and its write function, so entries it merges are stored like recorded ones.
 */
export class Learner {
  readonly #state: BufferState;
  readonly #env: OriginBindings;
  readonly #write: Write;
  readonly #titleKey: (titleId: string) => string;
  readonly #maxTitles: number;
  #knowledge: Knowledge = { learned: undefined, gone: new Set() };
  #learning: Promise<void> | undefined;
  /** Bumped by every invalidation: a learn that started before one does not count. */
  #generation = 0;

  constructor(env: OriginBindings, buffer: BufferAccess) {
    this.#env = env;
    this.#state = buffer.state;
    this.#write = buffer.write;
    this.#titleKey = buffer.titleKey;
    this.#maxTitles = buffer.maxTitles;
  }

  /** Reads the marker and the let-go titles (from the constructor's `blockConcurrencyWhile`). */
  async load(storage: DurableObjectStorage): Promise<void> {
    const [learned, gone] = await Promise.all([
      storage.get<Learned>(LEARN_KEYS.learned),
      storage.list({ prefix: LEARN_KEYS.gonePrefix }),
    ]);
    this.#knowledge = {
      learned,
      gone: new Set([...gone.keys()].map((key) => key.slice(LEARN_KEYS.gonePrefix.length))),
    };
  }

  /** Whether the stored states are learned. */
  get learned(): boolean {
    return this.#knowledge.learned !== undefined;
  }

  /**
   * The storage writes that record titles the buffer's bound just evicted as let go, to merge into
   * the eviction's own write. Before the learn there is nothing to record: the learn reads them.
   */
  evicted(titleIds: readonly string[]): Record<string, unknown> {
    const puts: Record<string, unknown> = {};
    const learned = this.#knowledge.learned;
    if (!learned || titleIds.length === 0) return puts;
    for (const titleId of titleIds) {
      if (this.#knowledge.gone.size >= MAX_GONE) {
        if (!learned.partial) {
          learned.partial = true;
          puts[LEARN_KEYS.learned] = learned;
        }
        break;
      }
      this.#knowledge.gone.add(titleId);
      puts[LEARN_KEYS.gone(titleId)] = true;
    }
    return puts;
  }

  /** The latest state of each title asked for; a title left out has no progress. */
  async known(owner: Identity, titleIds: readonly string[]): Promise<KnownProgress> {
    try {
      await this.#ensureLearned(owner);
      const { entries, ask } = resolve(this.#state, this.#knowledge, titleIds, Date.now());
      if (ask.length > 0) entries.push(...(await this.#askOrigin(owner, ask)));
      return { entries };
    } catch (err) {
      if (err instanceof LearnError) return this.#unknown(owner, err, { entries: null });
      throw err;
    }
  }

  /**
   * Every live state the buffer holds, newest first. `complete`: they are all of the profile's
   * progress (nothing let go of), so a list built from them needs no stored progress.
   */
  async all(owner: Identity): Promise<AllProgress> {
    try {
      await this.#ensureLearned(owner);
    } catch (err) {
      if (err instanceof LearnError) return this.#unknown(owner, err, { entries: null, complete: false });
      throw err;
    }
    const entries = latestEntries(this.#state, [...this.#state.keys()], Date.now(), PROGRESS_RETENTION_SECONDS * 1000);
    entries.sort((a, b) => compareEntries(b, a));
    const complete = this.#knowledge.learned?.partial === false && this.#knowledge.gone.size === 0;
    return { entries, complete };
  }

  /**
   * Forgets what the buffer learned, for writes that did not pass through it. Named titles: their
   * flushed states are dropped and they are asked of the origin when next read. None named: every
   * flushed state and the marker go, and the next read learns the profile again. Unflushed states
   * stay either way (they are merged by the rule with what the origin answers).
   */
  async invalidate(titleIds?: readonly string[]): Promise<{ dropped: number }> {
    // `dropped`: flushed states forgotten.
    this.#generation += 1;
    const deletes: string[] = [];
    const puts: Record<string, unknown> = {};
    const targets = titleIds ? new Set(titleIds) : new Set(this.#state.keys());
    for (const titleId of targets) {
      const kept = this.#state.get(titleId);
      if (kept && !kept.dirty) {
        this.#state.delete(titleId);
        deletes.push(this.#titleKey(titleId));
      }
    }
    const dropped = deletes.length;
    if (!titleIds) {
      deletes.push(LEARN_KEYS.learned, ...[...this.#knowledge.gone].map(LEARN_KEYS.gone));
      this.#knowledge = { learned: undefined, gone: new Set() };
    } else if (this.#knowledge.learned) {
      Object.assign(puts, this.evicted([...targets]));
    }
    await this.#write(puts, deletes);
    return { dropped };
  }

  #unknown<T>(owner: Identity, err: LearnError, answer: T): T {
    log.warn('progress_read_unknown', { profileId: owner.profileId, reason: err.kind, error: err.message });
    return answer;
  }

  /** Learns once; concurrent reads share one origin call, and a failed learn is retried by the next read. */
  async #ensureLearned(owner: Identity): Promise<void> {
    while (!this.#knowledge.learned) {
      this.#learning ??= this.#learn(owner).finally(() => {
        this.#learning = undefined;
      });
      await this.#learning;
    }
  }

  async #learn(owner: Identity): Promise<void> {
    const generation = this.#generation;
    const stored = await fetchStored(this.#env, owner, {});
    // An invalidation while the read was in flight: its answer may predate the write; read again.
    if (generation !== this.#generation) return;
    const { changed, overflow } = mergeStored(this.#state, stored.entries, this.#maxTitles);
    const learned: Learned = { at: Date.now(), partial: stored.truncated };
    this.#knowledge = { learned, gone: this.#knowledge.gone };
    const puts: Record<string, unknown> = {};
    for (const titleId of changed) puts[this.#titleKey(titleId)] = this.#state.get(titleId);
    Object.assign(puts, this.evicted(overflow));
    // The marker goes last: a write cut short leaves the buffer unlearned, and learning again is harmless.
    await this.#write(puts, []);
    await this.#write({ [LEARN_KEYS.learned]: learned }, []);
  }

  /** Reads let-go titles from the origin, keeps what it answers (by the rule), and answers them. */
  async #askOrigin(owner: Identity, titleIds: string[]): Promise<ProgressEntry[]> {
    const generation = this.#generation;
    const stored = await fetchStored(this.#env, owner, { titleIds });
    if (generation === this.#generation) {
      const { changed, overflow } = mergeStored(this.#state, stored.entries, this.#maxTitles);
      const puts: Record<string, unknown> = {};
      for (const titleId of changed) puts[this.#titleKey(titleId)] = this.#state.get(titleId);
      const back = titleIds.filter((id) => !overflow.includes(id) && this.#knowledge.gone.delete(id));
      await this.#write(puts, back.map(LEARN_KEYS.gone));
    }
    // The buffer's state where it has one (a heartbeat may be later than the stored state), else the origin's.
    const answer = new Map(stored.entries.map((e) => [e.titleId, e]));
    for (const entry of latestEntries(this.#state, titleIds, Date.now(), PROGRESS_RETENTION_SECONDS * 1000)) {
      const other = answer.get(entry.titleId);
      if (!other || compareEntries(entry, other) >= 0) answer.set(entry.titleId, entry);
    }
    return [...answer.values()];
  }
}
