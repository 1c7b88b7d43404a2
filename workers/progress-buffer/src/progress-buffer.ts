/**
 * ProgressBuffer: one Durable Object per profile. It keeps the latest state of each title the
 * profile plays (coalescing heartbeats by the rule in core/progress.ts), answers only after that
 * state is stored, and flushes the unflushed states to the origin in batches from an alarm, through
 * a flush relay (workers/flush-relay) that carries many profiles' flushes in one origin request.
 *
 * Storage (KV API on the SQLite backend), keys in `KEYS`:
 *   `title:<titleId>` → BufferedEntry   the title's latest state and whether it is still unflushed
 *   `owner`           → Identity        account/profile/maturity the flush credential names
 *   `flush-attempts`  → number          failed flushes in a row (drives the backoff)
 * Clean entries stay as the coalescing watermark (their tie counters) until the bound evicts them,
 * and as the record of the profile's stored progress, which the buffer learns once (learn.ts).
 */
import { DurableObject } from 'cloudflare:workers';
import { z } from 'zod';
import { Heartbeat, MAX_FLUSH_ENTRIES, type ProgressEntry } from '../../../core/progress.ts';
import { Uuid } from '../../../core/wire.ts';
import { chunk, dirtyEntries, recordHeartbeats, settleFlush, type BufferState, type BufferedEntry } from './buffer.ts';
import { earlyFlushFraction, flushIntervalMs, flushRelayShards } from './config.ts';
import { earlyFlushReason, nextFlushAt } from './flush-policy.ts';
import { FlushError, sendFlush } from './flush.ts';
import { Learner } from './learn.ts';
import { errorText } from '../../../core/log.ts';
import { Identity } from '../../../core/tokens.ts';
import { log } from './log.ts';
import { backoffDelayMs } from './retry.ts';
import type { AllProgress, KnownProgress, RecordResult } from './rpc.ts';

const KEYS = {
  titlePrefix: 'title:',
  title: (titleId: string) => `title:${titleId}`,
  owner: 'owner',
  attempts: 'flush-attempts',
} as const;

/** Titles kept per profile. Beyond it the oldest flushed titles are forgotten; unflushed never. */
export const MAX_TITLES = 1_000;
/** Unflushed titles that trigger a flush right away instead of at the next interval. */
export const FLUSH_SIZE_BOUND = 200;
/** The storage API takes at most 128 keys per call. */
const KEYS_PER_CALL = 128;

const Heartbeats = z.array(Heartbeat).max(MAX_FLUSH_ENTRIES);
const TitleIds = z.array(Uuid).max(MAX_TITLES);

export class ProgressBuffer extends DurableObject<Env> {
  #status: 'loading' | 'idle' | 'flushing' = 'loading';
  #state: BufferState = new Map();
  #owner: Identity | undefined;
  #attempts = 0;
  #flushIntervalMs = 0;
  #relayShards = 1;
  #completionFraction = 1;
  #flushing: Promise<void> | undefined;
  readonly #learner: Learner;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#learner = new Learner(env, {
      state: this.#state,
      write: (puts, deletes) => this.#write(puts, deletes),
      titleKey: KEYS.title,
      maxTitles: MAX_TITLES,
    });
    void ctx.blockConcurrencyWhile(() => this.#load());
  }

  async #load(): Promise<void> {
    this.#flushIntervalMs = flushIntervalMs(this.env);
    this.#relayShards = flushRelayShards(this.env);
    this.#completionFraction = earlyFlushFraction(this.env);
    const [entries, owner, attempts] = await Promise.all([
      this.ctx.storage.list<BufferedEntry>({ prefix: KEYS.titlePrefix }),
      this.ctx.storage.get<Identity>(KEYS.owner),
      this.ctx.storage.get<number>(KEYS.attempts),
      this.#learner.load(this.ctx.storage),
    ]);
    for (const [key, value] of entries) this.#state.set(key.slice(KEYS.titlePrefix.length), value);
    this.#owner = owner;
    this.#attempts = attempts ?? 0;
    this.#status = 'idle';
  }

  /**
   * Applies heartbeats (already validated by the edge; checked again here because a bad entry would
   * block every later flush) and resolves only once the changed states are stored.
   */
  async record(owner: Identity, heartbeats: Heartbeat[]): Promise<RecordResult> {
    const who = Identity.parse(owner);
    const beats = Heartbeats.parse(heartbeats);
    const early = earlyFlushReason(this.#state, beats, this.#completionFraction);
    const outcome = recordHeartbeats(this.#state, beats, MAX_TITLES);
    const writes: Record<string, unknown> = {};
    for (const titleId of outcome.changed) writes[KEYS.title(titleId)] = this.#state.get(titleId);
    Object.assign(writes, this.#learner.evicted(outcome.evicted));
    if (!sameOwner(this.#owner, who)) {
      this.#owner = who;
      writes[KEYS.owner] = who;
    }
    await this.#write(writes, outcome.evicted.map(KEYS.title));
    const pending = this.#pendingCount();
    if (pending > 0) await this.#armFlush(pending, early !== null);
    return { accepted: outcome.accepted, superseded: outcome.superseded, refused: outcome.refused, pending };
  }

  /** The unflushed states, for reads that merge them with what the origin has stored. */
  async pending(titleIds?: string[]): Promise<ProgressEntry[]> {
    const all = dirtyEntries(this.#state);
    if (!titleIds) return all;
    const wanted = new Set(titleIds);
    return all.filter((entry) => wanted.has(entry.titleId));
  }

  /**
   * The latest state of each title asked for, flushed or not; a title left out has no progress.
   * The first read learns the profile's stored progress from the origin (learn.ts).
   */
  async known(owner: Identity, titleIds: string[]): Promise<KnownProgress> {
    return this.#learner.known(Identity.parse(owner), TitleIds.parse(titleIds));
  }

  /** Every live state, newest first, and whether that is all of the profile's progress. */
  async all(owner: Identity): Promise<AllProgress> {
    return this.#learner.all(Identity.parse(owner));
  }

  /** For writes that did not pass through the buffer: forget these titles (or all) as learned. */
  async invalidate(titleIds?: string[]): Promise<{ dropped: number }> {
    return this.#learner.invalidate(titleIds === undefined ? undefined : TitleIds.parse(titleIds));
  }

  /** Flush. Never throws for an origin failure: it re-arms itself with backoff instead. */
  override async alarm(): Promise<void> {
    // Alarms are at-least-once: a second delivery while a flush runs joins it instead of racing it.
    if (this.#flushing) return this.#flushing;
    this.#flushing = this.#flush().finally(() => {
      this.#flushing = undefined;
      this.#status = 'idle';
    });
    return this.#flushing;
  }

  async #flush(): Promise<void> {
    this.#status = 'flushing';
    const owner = this.#owner;
    const snapshot = dirtyEntries(this.#state);
    if (!owner || snapshot.length === 0) {
      await this.#setAttempts(0);
      return;
    }
    const started = Date.now();
    let acknowledged = 0;
    let dropped = 0;
    // Each batch's id names its part in the relay's request to the origin and in the origin's logs.
    const batchIds: string[] = [];
    try {
      for (const batch of chunk(snapshot, MAX_FLUSH_ENTRIES)) {
        const batchId = crypto.randomUUID();
        batchIds.push(batchId);
        const ack = await sendFlush(this.env, this.#relayShards, owner, batch, batchId);
        const settled = settleFlush(this.#state, batch, ack.dropped);
        const cleaned: Record<string, unknown> = {};
        for (const titleId of settled.cleaned) cleaned[KEYS.title(titleId)] = this.#state.get(titleId);
        await this.#write(cleaned, settled.forgotten.map(KEYS.title));
        acknowledged += batch.length;
        dropped += ack.dropped.length;
      }
    } catch (err) {
      await this.#retryLater(owner, err, { entries: snapshot.length, acknowledged, batchIds });
      return;
    }
    await this.#setAttempts(0);
    const pending = this.#pendingCount();
    log.info('flush_succeeded', {
      requestId: batchIds[0],
      profileId: owner.profileId,
      batchIds,
      entries: snapshot.length,
      dropped,
      pendingAfter: pending,
      durationMs: Date.now() - started,
    });
    // Whatever arrived while the batch was in flight goes out with the next one.
    if (pending > 0) await this.#armFlush(pending);
  }

  async #retryLater(
    owner: Identity,
    err: unknown,
    progress: { entries: number; acknowledged: number; batchIds: string[] },
  ) {
    const attempt = this.#attempts + 1;
    await this.#setAttempts(attempt);
    const retryInMs = backoffDelayMs(attempt);
    await this.#scheduleFlush(Date.now() + retryInMs);
    const flushError = err instanceof FlushError ? err : undefined;
    // An origin that is down is expected now and then; a request it refuses, or an error of our own, is a bug.
    const level = flushError && flushError.kind !== 'rejected' ? 'warn' : 'error';
    log[level]('flush_failed', {
      requestId: progress.batchIds.at(-1),
      profileId: owner.profileId,
      ...progress,
      attempt,
      retryInMs,
      reason: flushError?.kind ?? 'internal',
      status: flushError?.status ?? null,
      error: errorText(err),
    });
  }

  /** Makes sure a flush is coming, when the policy says (flush-policy.ts `nextFlushAt`). */
  async #armFlush(pending: number, early = false): Promise<void> {
    const due = nextFlushAt({
      now: Date.now(),
      pending,
      early,
      attempts: this.#attempts,
      current: await this.ctx.storage.getAlarm(),
      intervalMs: this.#flushIntervalMs,
      sizeBound: FLUSH_SIZE_BOUND,
    });
    if (due !== null) await this.#scheduleFlush(due);
  }

  /** The one place the alarm is set. */
  async #scheduleFlush(at: number): Promise<void> {
    await this.ctx.storage.setAlarm(at);
  }

  async #setAttempts(attempts: number): Promise<void> {
    if (attempts === this.#attempts) return;
    this.#attempts = attempts;
    if (attempts === 0) await this.ctx.storage.delete(KEYS.attempts);
    else await this.ctx.storage.put(KEYS.attempts, attempts);
  }

  async #write(puts: Record<string, unknown>, deletes: string[]): Promise<void> {
    for (const keys of chunk(deletes, KEYS_PER_CALL)) await this.ctx.storage.delete(keys);
    for (const keys of chunk(Object.keys(puts), KEYS_PER_CALL)) {
      await this.ctx.storage.put(Object.fromEntries(keys.map((key) => [key, puts[key]])));
    }
  }

  #pendingCount(): number {
    let n = 0;
    for (const { dirty } of this.#state.values()) if (dirty) n += 1;
    return n;
  }

  /** For tests and diagnostics: lifecycle status, stored titles and failed attempts in a row. */
  stats(): { status: string; titles: number; pending: number; attempts: number } {
    return { status: this.#status, titles: this.#state.size, pending: this.#pendingCount(), attempts: this.#attempts };
  }
}

function sameOwner(a: Identity | undefined, b: Identity): boolean {
  return a?.accountId === b.accountId && a.profileId === b.profileId && a.maturityLevel === b.maturityLevel;
}
