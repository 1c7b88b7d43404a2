/**
 * PostgreSQL connections (postgres.js) and the SQL migration runner (node-pg-migrate).
 * The same migrations and queries run on a real server and on the embedded PGlite.
 */
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { runner } from 'node-pg-migrate';
import { EMBEDDED_MIGRATIONS_TABLE, PG_MIGRATIONS_TABLE } from '../stores/names.ts';
import { refreshArtworkUrls } from './artwork-refresh.ts';

export const MIGRATIONS_DIR = {
  postgres: fileURLToPath(new URL('../../../migrations/postgres', import.meta.url)),
  embedded: fileURLToPath(new URL('../../../migrations/embedded', import.meta.url)),
  cassandra: fileURLToPath(new URL('../../../migrations/cassandra', import.meta.url)),
};

/**
 * A pool that never logs query parameters and keeps notices quiet. `statementTimeoutMs` makes the
 * server itself stop a statement the caller has given up on (the breaker's budget is shorter).
 */
export function postgresClient(url: string, options: { max: number; statementTimeoutMs?: number }): postgres.Sql {
  return postgres(url, {
    max: options.max,
    onnotice: () => {},
    connect_timeout: 10,
    idle_timeout: 30,
    connection: {
      application_name: 'edgeflix-origin',
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    },
  });
}

/**
 * Applies pending migrations: the catalog/accounts set, plus the embedded stand-ins when asked;
 * then moves stored artwork URLs to the current renderer version if it was bumped (artwork-refresh.ts).
 */
export async function migratePostgres(
  databaseUrl: string,
  options: { embedded: boolean; log?: (line: string) => void },
): Promise<string[]> {
  const log = options.log ?? (() => {});
  const sets = [{ dir: MIGRATIONS_DIR.postgres, table: PG_MIGRATIONS_TABLE }];
  if (options.embedded) sets.push({ dir: MIGRATIONS_DIR.embedded, table: EMBEDDED_MIGRATIONS_TABLE });
  const applied: string[] = [];
  for (const set of sets) {
    const ran = await runner({
      databaseUrl,
      dir: set.dir,
      direction: 'up',
      migrationsTable: set.table,
      checkOrder: true,
      log: () => {},
      logger: { info: () => {}, warn: (m: string) => log(m), error: (m: string) => log(m), debug: () => {} },
    });
    for (const m of ran) {
      log(`postgres: applied ${m.name}`);
      applied.push(m.name);
    }
  }
  const sql = postgresClient(databaseUrl, { max: 1 });
  try {
    const artwork = await refreshArtworkUrls(sql);
    if (artwork.from !== artwork.to)
      log(`postgres: artwork URLs moved from renderer ${artwork.from} to ${artwork.to} (${artwork.updated} rows)`);
  } finally {
    await sql.end({ timeout: 5 });
  }
  return applied;
}
