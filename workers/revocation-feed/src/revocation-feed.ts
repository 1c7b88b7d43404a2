/**
 * RevocationFeed: the log of revoked sessions every edge isolate follows (core/revocation-feed.ts
 * holds its rules). One global object; rpc.ts says how to shard it. Writers `append` before they
 * answer a sign-out; readers ask `since(seq)` at most once per `FEED_MAX_AGE_MS` per isolate.
 *
 * The log lives in memory and is written through to SQLite storage before `append` answers, so an
 * evicted or restarted object answers exactly what it answered before. An alarm prunes entries
 * whose tokens have all expired; the seq and the pruned horizon are stored with them.
 */
import { DurableObject } from 'cloudflare:workers';
import { RevocationLog, type FeedEntry, type FeedPage, type Revocation } from '../../../core/revocation-feed.ts';

const TABLES = {
  entries: 'feed_entries',
  meta: 'feed_meta',
} as const;
/** Prunes are batched: an entry may outlive its expiry by this much, and the alarm runs at most this often. */
export const PRUNE_BATCH_MS = 60_000;

export class RevocationFeed extends DurableObject<Env> {
  #status: 'loading' | 'ready' = 'loading';
  #log = new RevocationLog();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => this.#load());
  }

  #load(): void {
    const sql = this.ctx.storage.sql;
    sql.exec(
      `CREATE TABLE IF NOT EXISTS ${TABLES.entries} (seq INTEGER PRIMARY KEY, session_id TEXT NOT NULL,
         account_id TEXT NOT NULL, revoked_at INTEGER NOT NULL, until INTEGER NOT NULL)`,
    );
    sql.exec(`CREATE TABLE IF NOT EXISTS ${TABLES.meta} (id INTEGER PRIMARY KEY CHECK (id = 1),
         seq INTEGER NOT NULL, horizon INTEGER NOT NULL)`);
    const entries = sql
      .exec<{ seq: number; session_id: string; account_id: string; revoked_at: number; until: number }>(
        `SELECT seq, session_id, account_id, revoked_at, until FROM ${TABLES.entries} ORDER BY seq`,
      )
      .toArray()
      .map((r): FeedEntry => ({
        seq: r.seq,
        sessionId: r.session_id,
        accountId: r.account_id,
        revokedAt: r.revoked_at,
        until: r.until,
      }));
    const meta = sql.exec<{ seq: number; horizon: number }>(`SELECT seq, horizon FROM ${TABLES.meta}`).toArray()[0];
    this.#log = new RevocationLog(entries, meta ?? { seq: 0, horizon: 0 });
    this.#status = 'ready';
  }

  #ready(): RevocationLog {
    if (this.#status !== 'ready') throw new Error('RevocationFeed is not loaded');
    return this.#log;
  }

  /** Logs these revocations; answers once they are stored, with the seq of the last one. */
  async append(revocations: Revocation[]): Promise<{ seq: number }> {
    const log = this.#ready();
    const added = log.append(revocations, Date.now());
    const meta = log.meta;
    this.ctx.storage.transactionSync(() => {
      for (const e of added) {
        this.ctx.storage.sql.exec(
          `INSERT INTO ${TABLES.entries} (seq, session_id, account_id, revoked_at, until) VALUES (?, ?, ?, ?, ?)`,
          e.seq,
          e.sessionId,
          e.accountId,
          e.revokedAt,
          e.until,
        );
      }
      this.#storeMeta();
    });
    await this.#schedulePrune();
    return { seq: meta.seq };
  }

  /** What a reader at `seq` has not seen (core/revocation-feed.ts `RevocationLog.since`). */
  since(seq: number, limit?: number): FeedPage {
    return this.#ready().since(seq, limit);
  }

  /** Prunes the entries whose tokens have all expired, then waits for the next one to expire. */
  override async alarm(): Promise<void> {
    this.#prune(Date.now());
    await this.#schedulePrune();
  }

  #prune(now: number): void {
    const gone = this.#ready().prune(now);
    if (gone.length === 0) return;
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec(`DELETE FROM ${TABLES.entries} WHERE until <= ?`, now);
      this.#storeMeta();
    });
  }

  #storeMeta(): void {
    const { seq, horizon } = this.#log.meta;
    this.ctx.storage.sql.exec(
      `INSERT INTO ${TABLES.meta} (id, seq, horizon) VALUES (1, ?, ?)
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, horizon = excluded.horizon`,
      seq,
      horizon,
    );
  }

  /** Sets the alarm shortly after the earliest expiry, unless one is set already for no later than that. */
  async #schedulePrune(): Promise<void> {
    const expiry = this.#log.nextExpiry();
    if (expiry === undefined) return;
    const next = expiry + PRUNE_BATCH_MS;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > next) await this.ctx.storage.setAlarm(next);
  }
}
