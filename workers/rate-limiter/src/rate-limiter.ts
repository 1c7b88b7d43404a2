/**
 * RateLimiter: one Durable Object per shard of the key space (the edge picks the shard from a hash
 * of the key, see `shardOf`), holding the sliding logs of its keys. A Durable Object runs one call
 * at a time and `check` does its work without awaiting, so concurrent requests for the same key
 * are decided one after another against the same log: the limit is exact under any concurrency.
 *
 * The logs live in memory and are written through to storage (KV API on the SQLite backend), so an
 * evicted or restarted object picks up where it left off. Storage keys are the limit keys as given
 * (`<tier>:<client>`); the edge hashes anything personal (emails) before it becomes a key.
 */
import { DurableObject } from 'cloudflare:workers';
import { isExpired, releaseHit, slidingLogCheck, type Decision, type HitLog } from '../../../core/rate-limit.ts';
import type { LimitCheck, LimitRelease } from './rpc.ts';

interface StoredLog {
  windowMs: number;
  log: HitLog;
}

/** Checks between sweeps that forget the keys whose logs have emptied. */
const SWEEP_EVERY = 1_000;
const MAX_CHECKS_PER_CALL = 16;

export class RateLimiter extends DurableObject<Env> {
  #status: 'loading' | 'ready' = 'loading';
  #logs = new Map<string, StoredLog>();
  #checksSinceSweep = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(() => this.#load());
  }

  async #load(): Promise<void> {
    const now = Date.now();
    const stored = await this.ctx.storage.list<StoredLog>();
    const stale: string[] = [];
    for (const [key, value] of stored) {
      if (isExpired(value.log, value.windowMs, now)) stale.push(key);
      else this.#logs.set(key, value);
    }
    for (let i = 0; i < stale.length; i += 128) await this.ctx.storage.delete(stale.slice(i, i + 128));
    this.#status = 'ready';
  }

  /**
   * Checks (and counts, when admitted) each limit, in order, in one call. `now` is for tests; the
   * object's own clock is the one every key of this shard is measured by.
   */
  check(checks: LimitCheck[], now: number = Date.now()): Decision[] {
    if (checks.length > MAX_CHECKS_PER_CALL) throw new RangeError(`At most ${MAX_CHECKS_PER_CALL} checks per call`);
    const decisions: Decision[] = [];
    const writes: Record<string, StoredLog> = {};
    for (const { key, limit, windowMs } of checks) {
      let entry = this.#logs.get(key);
      if (!entry || entry.windowMs !== windowMs) {
        // A changed window starts the key afresh, keeping what is still inside the new window.
        entry = { windowMs, log: entry?.log ?? [] };
        this.#logs.set(key, entry);
      }
      const decision = slidingLogCheck(entry.log, { limit, windowMs }, now);
      if (decision.allowed) writes[key] = entry;
      decisions.push(decision);
    }
    // Not awaited: the output gate holds the answer until the write is durable, and the next call
    // sees the in-memory log at once.
    if (Object.keys(writes).length > 0) void this.ctx.storage.put(writes);
    this.#checksSinceSweep += checks.length;
    if (this.#checksSinceSweep >= SWEEP_EVERY) this.#sweep(now);
    return decisions;
  }

  /**
   * Takes back counted requests (one by its time, or a key's whole log): the login limiter counts
   * an attempt before it knows the outcome and gives back the ones that were not failed guesses.
   */
  release(releases: LimitRelease[]): void {
    if (releases.length > MAX_CHECKS_PER_CALL) throw new RangeError(`At most ${MAX_CHECKS_PER_CALL} releases per call`);
    const writes: Record<string, StoredLog> = {};
    const deletes: string[] = [];
    for (const release of releases) {
      const entry = this.#logs.get(release.key);
      if (!entry) continue;
      if (!('all' in release) && !releaseHit(entry.log, release.at)) continue;
      if ('all' in release || entry.log.length === 0) {
        this.#logs.delete(release.key);
        deletes.push(release.key);
      } else {
        writes[release.key] = entry;
      }
    }
    if (Object.keys(writes).length > 0) void this.ctx.storage.put(writes);
    if (deletes.length > 0) void this.ctx.storage.delete(deletes);
  }

  #sweep(now: number): void {
    this.#checksSinceSweep = 0;
    const stale: string[] = [];
    for (const [key, { log, windowMs }] of this.#logs) if (isExpired(log, windowMs, now)) stale.push(key);
    for (const key of stale) this.#logs.delete(key);
    for (let i = 0; i < stale.length; i += 128) void this.ctx.storage.delete(stale.slice(i, i + 128));
  }

  /** For tests and diagnostics: lifecycle status and the requests counted in a key's window. */
  stats(key?: string): { status: string; keys: number; counted: number } {
    return { status: this.#status, keys: this.#logs.size, counted: key ? (this.#logs.get(key)?.log.length ?? 0) : 0 };
  }
}
