/**
 * The revocation feed's rules, apart from where it is stored or how it is called: the log the
 * RevocationFeed Durable Object keeps (workers/revocation-feed), and the view of it every edge
 * isolate keeps (workers/edge/src/http/session-guard.ts).
 *
 * The log is a sequence of revoked sessions, each with a monotonic `seq`. A reader remembers the
 * last `seq` it applied and asks for what came after; an entry is kept until every token minted
 * for its session before the revocation has expired (`REVOCATION_FEED_MEMORY_MS`), then pruned,
 * so the log stays bounded by the revocations of one token lifetime. A reader whose `seq` predates
 * the pruned part (`horizon`), or is ahead of the log (the log was lost and started again), is told
 * to reload: it gets every live entry again.
 */
import { SEGMENT_TOKEN_TTL_S } from './segment-token.ts';
import { ACCOUNT_TOKEN_TTL_S, CLOCK_TOLERANCE_S, PROFILE_TOKEN_TTL_S } from './tokens.ts';

/**
 * How long after a revocation its session's tokens must still be refused: the longest any access,
 * profile or segment token lives, plus the clock tolerance the verifiers allow.
 */
export const REVOCATION_FEED_MEMORY_MS =
  (Math.max(ACCOUNT_TOKEN_TTL_S, PROFILE_TOKEN_TTL_S, SEGMENT_TOKEN_TTL_S) + CLOCK_TOLERANCE_S) * 1000;
/** Most revocations one `append` may carry (one sign-out everywhere of a very busy account). */
export const MAX_APPEND = 256;
/** Most entries one page of `since` answers; a reader asks again while `more` is set. */
export const FEED_PAGE_LIMIT = 2_000;

/** One revoked session, as a writer announces it. */
export interface Revocation {
  sessionId: string;
  accountId: string;
  /** Epoch ms of the revocation (the writer's clock). */
  revokedAt: number;
}

/** A revocation in the log. */
export interface FeedEntry extends Revocation {
  seq: number;
  /** Epoch ms after which no token of the session is valid anyway: the entry is pruned then. */
  until: number;
}

/** What `since` answers. */
export interface FeedPage {
  /** Entries after the reader's seq (or, on `reload`, every live entry), in seq order. */
  entries: FeedEntry[];
  /** The seq the reader is at once it applied `entries`. */
  seq: number;
  /**
   * The reader's seq is older than the pruned part or ahead of the log: `entries` start again from
   * the first live entry (the reader may keep what it holds: anything pruned has expired anyway).
   */
  reload: boolean;
  /** More entries follow: ask again from `seq`. */
  more: boolean;
}

/** The log's durable state besides its entries. */
export interface FeedMeta {
  /** The last seq handed out (0 for an empty log). */
  seq: number;
  /** Every entry with a seq at or below this may have been pruned. */
  horizon: number;
}

/** The in-memory log; its owner writes what `append` and `prune` return through to storage. */
export class RevocationLog {
  #entries: FeedEntry[];
  #meta: FeedMeta;

  constructor(entries: FeedEntry[] = [], meta: FeedMeta = { seq: 0, horizon: 0 }) {
    this.#entries = [...entries].sort((a, b) => a.seq - b.seq);
    const last = this.#entries.at(-1)?.seq ?? 0;
    this.#meta = { seq: Math.max(meta.seq, last), horizon: meta.horizon };
  }

  get meta(): FeedMeta {
    return { ...this.#meta };
  }

  get size(): number {
    return this.#entries.length;
  }

  /** Appends revocations, each kept for `REVOCATION_FEED_MEMORY_MS`; answers the new entries. */
  append(revocations: Revocation[], now: number): FeedEntry[] {
    if (revocations.length > MAX_APPEND) throw new RangeError(`At most ${MAX_APPEND} revocations per append`);
    const added = revocations.map((r) => {
      // A writer's clock ahead of ours must not keep an entry longer than its tokens can live.
      const revokedAt = Math.min(r.revokedAt, now);
      this.#meta.seq += 1;
      return { ...r, revokedAt, seq: this.#meta.seq, until: revokedAt + REVOCATION_FEED_MEMORY_MS };
    });
    this.#entries.push(...added);
    return added;
  }

  /** What a reader at `seq` has not seen, at most `limit` entries at a time. */
  since(seq: number, limit: number = FEED_PAGE_LIMIT): FeedPage {
    const reload = seq < this.#meta.horizon || seq > this.#meta.seq;
    const from = reload ? 0 : this.#firstAfter(seq);
    const entries = this.#entries.slice(from, from + limit);
    const more = from + entries.length < this.#entries.length;
    const at = more ? entries.at(-1)!.seq : this.#meta.seq;
    return { entries, seq: reload && entries.length === 0 ? this.#meta.seq : at, reload, more };
  }

  /** Drops the entries whose tokens are all expired at `now`; answers their seqs. */
  prune(now: number): number[] {
    const gone = this.#entries.filter((e) => e.until <= now).map((e) => e.seq);
    if (gone.length === 0) return gone;
    this.#entries = this.#entries.filter((e) => e.until > now);
    this.#meta.horizon = Math.max(this.#meta.horizon, ...gone);
    return gone;
  }

  /** When the next entry expires (epoch ms), for the owner's alarm; undefined when empty. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const e of this.#entries) if (next === undefined || e.until < next) next = e.until;
    return next;
  }

  #firstAfter(seq: number): number {
    let lo = 0;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#entries[mid]!.seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** How a view reaches the log: one page of `since`. */
export type FetchPage = (seq: number) => Promise<FeedPage>;

export interface ViewOptions {
  fetchPage: FetchPage;
  /** A lookup older than this waits for a refresh first. */
  maxAgeMs: number;
  /** While refreshes fail, the last view answers for this long after it was fetched; then lookups throw. */
  staleLimitMs: number;
  /** Most pages one refresh follows; a view not caught up after them stays stale and goes on next time. */
  maxPages?: number;
  /** Told of each failed refresh (the view goes on answering from what it has, up to `staleLimitMs`). */
  onRefreshError?: (err: unknown) => void;
  now?: () => number;
}

/** Thrown by `RevocationView.isRevoked` when the view is too old to answer and the log cannot be reached. */
export class FeedUnavailableError extends Error {
  override name = 'FeedUnavailableError';
}

/**
 * An isolate's view of the log: session id → until. A lookup is a Map lookup; the log is asked at
 * most once per `maxAgeMs` per isolate, whatever the number of accounts, and concurrent lookups
 * share one refresh.
 */
export class RevocationView {
  readonly #options: ViewOptions & { now: () => number; maxPages: number };
  #revoked = new Map<string, number>();
  #seq = 0;
  /** When the last successful refresh was sent (its answer is at least that fresh); -Infinity before. */
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #pending: Promise<void> | undefined;
  #failedAt = Number.NEGATIVE_INFINITY;
  #lastError: unknown;

  constructor(options: ViewOptions) {
    this.#options = { maxPages: 8, now: () => Date.now(), ...options };
  }

  /** The last seq applied and when the view was last refreshed. */
  get state(): { seq: number; fetchedAt: number; size: number } {
    return { seq: this.#seq, fetchedAt: this.#fetchedAt, size: this.#revoked.size };
  }

  /** Whether the session's tokens are refused; refreshes first when the view is older than `maxAgeMs`. */
  async isRevoked(sessionId: string): Promise<boolean> {
    const now = this.#options.now();
    // After a failed refresh the next try waits `maxAgeMs`: an unreachable log is not asked per request.
    if (now - this.#fetchedAt > this.#options.maxAgeMs && now - this.#failedAt > this.#options.maxAgeMs) {
      try {
        await this.refresh();
      } catch (err) {
        this.#failedAt = this.#options.now();
        this.#lastError = err;
        this.#options.onRefreshError?.(err);
      }
    }
    if (this.#options.now() - this.#fetchedAt > this.#options.staleLimitMs) {
      throw new FeedUnavailableError('The revocation feed cannot be reached and the last view is too old', {
        cause: this.#lastError,
      });
    }
    const until = this.#revoked.get(sessionId);
    return until !== undefined && until > this.#options.now();
  }

  /** Brings the view up to date; concurrent callers share one refresh. */
  refresh(): Promise<void> {
    this.#pending ??= this.#refresh().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /** Applies revocations this isolate relayed itself, before the log hands them back. */
  add(sessionIds: string[], until: number): void {
    for (const id of sessionIds) this.#revoked.set(id, Math.max(until, this.#revoked.get(id) ?? 0));
  }

  async #refresh(): Promise<void> {
    const sentAt = this.#options.now();
    let seq = this.#seq;
    let complete = false;
    for (let page = 0; page < this.#options.maxPages && !complete; page += 1) {
      const answer = await this.#options.fetchPage(seq);
      // A reload starts from the log's first live entry; what the view holds stays (merged), so a
      // log that lost its storage cannot make an isolate forget a sign-out it already refuses.
      for (const e of answer.entries) this.add([e.sessionId], e.until);
      seq = this.#seq = answer.seq;
      complete = !answer.more;
    }
    for (const [id, until] of this.#revoked) if (until <= sentAt) this.#revoked.delete(id);
    // A view that has not caught up is not fresh: the next lookup goes on from `seq`.
    if (complete) this.#fetchedAt = sentAt;
    this.#failedAt = Number.NEGATIVE_INFINITY;
  }
}
