import type postgres from 'postgres';
import { refreshDecision, slidIdleExpiry } from '../../../core/sessions.ts';
import type { SessionRecord, SessionStore } from './types.ts';

interface SessionRow {
  id: string;
  account_id: string;
  device_name: string | null;
  device_type: string | null;
  user_agent: string | null;
  country: string | null;
  created_at: Date;
  last_used_at: Date;
  idle_expires_at: Date;
  absolute_expires_at: Date;
  revoked_at: Date | null;
  refresh_hash: string;
  previous_refresh_hash: string | null;
  rotated_at: Date | null;
}

const COLUMNS = `id, account_id, device_name, device_type, user_agent, country, created_at, last_used_at,
  idle_expires_at, absolute_expires_at, revoked_at, refresh_hash, previous_refresh_hash, rotated_at`;

const toSession = (r: SessionRow): SessionRecord => ({
  id: r.id,
  accountId: r.account_id,
  deviceName: r.device_name,
  deviceType: r.device_type,
  userAgent: r.user_agent,
  country: r.country,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  idleExpiresAt: r.idle_expires_at,
  absoluteExpiresAt: r.absolute_expires_at,
  revokedAt: r.revoked_at,
});

/** Sessions in PostgreSQL (postgres.js; the same SQL runs on PGlite). */
export function postgresSessionStore(sql: postgres.Sql): SessionStore {
  return {
    async create(s) {
      await sql`
        INSERT INTO sessions (id, account_id, device_name, device_type, user_agent, country, created_at,
          last_used_at, idle_expires_at, absolute_expires_at, refresh_hash)
        VALUES (${s.id}, ${s.accountId}, ${s.deviceName}, ${s.deviceType}, ${s.userAgent}, ${s.country},
          ${s.createdAt}, ${s.createdAt}, ${s.idleExpiresAt}, ${s.absoluteExpiresAt}, ${s.refreshHash})`;
    },

    async refresh(presented, successor, now, settings) {
      return sql.begin(async (tx) => {
        // Locks the row: a concurrent refresh of the same token waits, then sees the rotation.
        const rows = await tx.unsafe<SessionRow[]>(
          `SELECT ${COLUMNS} FROM sessions WHERE refresh_hash = $1 OR previous_refresh_hash = $1 FOR UPDATE`,
          [presented],
        );
        let row = rows[0];
        if (!row) {
          const retired = await tx<{ session_id: string }[]>`
            SELECT session_id FROM retired_refresh_tokens WHERE refresh_hash = ${presented}`;
          if (!retired[0]) return { kind: 'unknown' as const };
          const owner = await tx.unsafe<SessionRow[]>(`SELECT ${COLUMNS} FROM sessions WHERE id = $1 FOR UPDATE`, [
            retired[0].session_id,
          ]);
          row = owner[0];
          if (!row) return { kind: 'unknown' as const };
          if (row.revoked_at !== null) return { kind: 'ended' as const, reason: 'revoked' as const };
          return { kind: 'reused' as const, session: await revokeRow(tx, row, now) };
        }
        const decision = refreshDecision(
          {
            refreshHash: row.refresh_hash,
            previousRefreshHash: row.previous_refresh_hash,
            rotatedAt: row.rotated_at,
            idleExpiresAt: row.idle_expires_at,
            absoluteExpiresAt: row.absolute_expires_at,
            revokedAt: row.revoked_at,
          },
          presented,
          now,
          settings,
        );
        switch (decision.kind) {
          case 'ended':
            return decision;
          case 'reuse':
            return { kind: 'reused' as const, session: await revokeRow(tx, row, now) };
          case 'replay':
            // The successor of a token is fixed (derived from it), so a replay must name the current one.
            if (successor !== row.refresh_hash)
              return { kind: 'reused' as const, session: await revokeRow(tx, row, now) };
            return { kind: 'replayed' as const, session: toSession(row) };
          case 'rotate': {
            if (row.previous_refresh_hash !== null) {
              await tx`
                INSERT INTO retired_refresh_tokens (refresh_hash, session_id, retired_at)
                VALUES (${row.previous_refresh_hash}, ${row.id}, ${now}) ON CONFLICT DO NOTHING`;
            }
            const idle = slidIdleExpiry(now, row.absolute_expires_at, settings);
            const updated = await tx.unsafe<SessionRow[]>(
              `UPDATE sessions SET previous_refresh_hash = refresh_hash, refresh_hash = $2, rotated_at = $3,
                 last_used_at = $3, idle_expires_at = $4
               WHERE id = $1 RETURNING ${COLUMNS}`,
              [row.id, successor, now, idle],
            );
            return { kind: 'rotated' as const, session: toSession(updated[0]!) };
          }
        }
      });
    },

    async getLive(accountId, sessionId, now) {
      const rows = await sql.unsafe<SessionRow[]>(
        `SELECT ${COLUMNS} FROM sessions WHERE account_id = $1 AND id = $2 AND revoked_at IS NULL
           AND idle_expires_at > $3 AND absolute_expires_at > $3`,
        [accountId, sessionId, now],
      );
      return rows[0] ? toSession(rows[0]) : null;
    },

    async listLive(accountId, now) {
      const rows = await sql.unsafe<SessionRow[]>(
        `SELECT ${COLUMNS} FROM sessions WHERE account_id = $1 AND revoked_at IS NULL
           AND idle_expires_at > $2 AND absolute_expires_at > $2 ORDER BY last_used_at DESC, id`,
        [accountId, now],
      );
      return rows.map(toSession);
    },

    async revoke(accountId, which, now, reason) {
      const rows =
        'ids' in which
          ? await sql<{ id: string }[]>`
              UPDATE sessions SET revoked_at = ${now}, revoked_reason = ${reason}
              WHERE account_id = ${accountId} AND id = ANY(${which.ids}::uuid[]) AND revoked_at IS NULL
              RETURNING id`
          : await sql<{ id: string }[]>`
              UPDATE sessions SET revoked_at = ${now}, revoked_reason = ${reason}
              WHERE account_id = ${accountId} AND revoked_at IS NULL
                AND (${which.allExcept}::uuid IS NULL OR id <> ${which.allExcept}::uuid)
              RETURNING id`;
      return rows.map((r) => r.id);
    },
  };
}

async function revokeRow(tx: postgres.TransactionSql, row: SessionRow, now: Date): Promise<SessionRecord> {
  await tx`UPDATE sessions SET revoked_at = ${now}, revoked_reason = 'refresh_token_reused' WHERE id = ${row.id}`;
  return { ...toSession(row), revokedAt: now };
}
