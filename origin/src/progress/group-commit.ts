/**
 * Group commit of progress flushes. Every profile's buffer flushes on its own, so at scale the
 * origin sees many small concurrent flushes (usually one title each). Written one by one, each
 * pays its own Kafka round trip and its own driver call; here the flushes that arrive while a
 * commit is in flight wait for it and then go together as the next commit:
 *
 * - Cassandra: one `upsertEach` of every flush (a flush is one profile's titles, and the profile is
 *   the partition key): partitions on the same replicas share a request, and each flush still
 *   succeeds or fails on its own (stores/write-chunks.ts);
 * - Kafka: ONE send carrying every flush's events (kafkajs `sendBatch` under `EventBus.publish`).
 *
 * Both run side by side, and a flush is answered only by its own outcome: resolved once its rows
 * and the send with its events are durable, rejected when either failed, so no flush is ever
 * acknowledged for a part that failed, whatever happened to the others. A failed flush is retried
 * by its buffer; both writes are idempotent (rows carry `USING TIMESTAMP` from the state, events a
 * stable id), so a retry of a half-done commit rewrites the same row and republishes the same id.
 * An event may land before its row (the two run at once); no consumer reads the row, and the
 * buffer keeps the state until both took it.
 *
 * Idle, a flush commits at once (no added latency); under load one commit carries as many
 * flushes as arrived during the previous one, up to `maxTickRows`.
 */
import { TOPICS } from '../stores/names.ts';
import type { EventMessage, ProgressRecord, Stores } from '../stores/types.ts';

/** What one flush request commits: one profile's records and their events. */
export interface CommitPart {
  records: readonly ProgressRecord[];
  events: readonly EventMessage[];
}

/** Why a part was not committed: the store that failed it (the other may have taken its share). */
export class CommitError extends Error {
  readonly store: 'progress' | 'events';

  constructor(store: CommitError['store'], cause: unknown) {
    super(store === 'progress' ? 'The progress store refused the write' : 'The event log refused the send', { cause });
    this.name = 'CommitError';
    this.store = store;
  }
}

/** One commit step, for metrics and tests. */
export interface CommitTick {
  parts: number;
  rows: number;
  events: number;
  /** Parts answered with an error (their own write failed, or the shared send did). */
  failed: number;
}

export interface ProgressCommitter {
  /** Resolves once the part's rows and events are durable; rejects with a `CommitError` otherwise. */
  commit(part: CommitPart): Promise<void>;
}

/** Rows in one commit at most: bounds the Kafka request (~300 B an event) and the driver's queue. */
export const MAX_TICK_ROWS = 5_000;

interface Waiting {
  part: CommitPart;
  resolve: () => void;
  reject: (err: CommitError) => void;
}

export function progressCommitter(
  stores: Pick<Stores, 'progress' | 'events'>,
  options: { maxTickRows?: number; onTick?: (tick: CommitTick) => void } = {},
): ProgressCommitter {
  const maxTickRows = options.maxTickRows ?? MAX_TICK_ROWS;
  let queue: Waiting[] = [];
  let committing = false;

  const take = (): Waiting[] => {
    let rows = 0;
    let n = 0;
    while (n < queue.length && (n === 0 || rows + queue[n]!.part.records.length <= maxTickRows)) {
      rows += queue[n]!.part.records.length;
      n += 1;
    }
    const batch = queue.slice(0, n);
    queue = queue.slice(n);
    return batch;
  };

  const commitBatch = async (batch: Waiting[]): Promise<void> => {
    const events = batch.flatMap((w) => w.part.events);
    const [sent, rows] = await Promise.allSettled([
      events.length > 0 ? stores.events.publish(TOPICS.viewingEvents, events) : Promise.resolve(),
      stores.progress.upsertEach(batch.map((w) => w.part.records)),
    ]);
    // The store failed every part at once (down, or its breaker open): each part has that outcome.
    const written = rows.status === 'fulfilled' ? rows.value : batch.map(() => rows);
    let failed = 0;
    batch.forEach((w, i) => {
      const own = written[i]!;
      if (own.status === 'rejected') {
        failed += 1;
        w.reject(new CommitError('progress', own.reason));
      } else if (sent!.status === 'rejected' && w.part.events.length > 0) {
        failed += 1;
        w.reject(new CommitError('events', sent!.reason));
      } else w.resolve();
    });
    options.onTick?.({
      parts: batch.length,
      rows: batch.reduce((n, w) => n + w.part.records.length, 0),
      events: events.length,
      failed,
    });
  };

  const pump = async (): Promise<void> => {
    if (committing || queue.length === 0) return;
    committing = true;
    const batch = take();
    try {
      await commitBatch(batch);
    } catch (err) {
      // Only a bug of ours gets here; settling twice is a no-op, so every waiter gets an answer.
      for (const w of batch) w.reject(new CommitError('progress', err));
    } finally {
      committing = false;
      void pump();
    }
  };

  return {
    commit: (part) =>
      new Promise<void>((resolve, reject) => {
        queue.push({ part, resolve, reject });
        void pump();
      }),
  };
}
