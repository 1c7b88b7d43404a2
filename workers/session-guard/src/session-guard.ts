/**
 * SessionGuard: one Durable Object per account, holding the ids of its revoked sessions until
 * every token minted for them has expired (`REVOCATION_MEMORY_S`). The edge asks it which sessions
 * are revoked (each isolate caches the answer for `GUARD_CACHE_MS`, workers/edge/src/http/
 * session-guard.ts) and tells it when the origin announces a revocation. An account has a handful
 * of sessions, so the whole list is one small answer.
 *
 * The list lives in memory and is written through to storage (KV API on the SQLite backend), so
 * an evicted or restarted object still refuses what it refused before.
 */
import { DurableObject } from 'cloudflare:workers';

/** Most ids one call may name (an account signs out at most this many devices at once). */
const MAX_IDS_PER_CALL = 256;

export class SessionGuard extends DurableObject<Env> {
  #status: 'loading' | 'ready' = 'loading';
  /** Session id → epoch ms until which its tokens are refused. */
  #revoked = new Map<string, number>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(() => this.#load());
  }

  async #load(): Promise<void> {
    const stored = await this.ctx.storage.list<number>();
    for (const [id, until] of stored) this.#revoked.set(id, until);
    this.#prune(Date.now());
    this.#status = 'ready';
  }

  /** Refuses these sessions' tokens until `until` (epoch ms). */
  async revoke(sessionIds: string[], until: number): Promise<void> {
    if (sessionIds.length > MAX_IDS_PER_CALL) throw new RangeError(`At most ${MAX_IDS_PER_CALL} ids per call`);
    const entries: Record<string, number> = {};
    for (const id of sessionIds) {
      const kept = Math.max(until, this.#revoked.get(id) ?? 0);
      this.#revoked.set(id, kept);
      entries[id] = kept;
    }
    await this.ctx.storage.put(entries);
  }

  /** The sessions whose tokens are refused now. */
  revokedSessions(now: number = Date.now()): string[] {
    if (this.#status !== 'ready') throw new Error('SessionGuard is not loaded');
    this.#prune(now);
    return [...this.#revoked.keys()];
  }

  #prune(now: number): void {
    const gone = [...this.#revoked].filter(([, until]) => until <= now).map(([id]) => id);
    for (const id of gone) this.#revoked.delete(id);
    if (gone.length > 0) void this.ctx.storage.delete(gone.slice(0, 128));
  }
}
