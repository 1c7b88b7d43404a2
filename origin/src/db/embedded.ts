/**
 * The embedded default: one PGlite database, persisted in a folder, served on a loopback port
 * with the Postgres wire protocol so the same postgres.js code and SQL migrations work unchanged.
 * Its connections take turns on PGlite's one session (embedded-wire.ts).
 */
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';
import { serveWire } from './embedded-wire.ts';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/** Starts PGlite on `dataDir` (or in memory when `null`) and serves it on 127.0.0.1:`port` (0 = any free port). */
export async function startEmbeddedPostgres(
  dataDir: string | null,
  port: number,
  options: { onDisconnect?: (reason: string) => void } = {},
): Promise<EmbeddedPostgres> {
  if (dataDir !== null) await mkdir(dataDir, { recursive: true });
  // Search (migrations/postgres/0008_search.sql) needs the two contrib extensions the server ships.
  const extensions = { pg_trgm, unaccent };
  const db = await PGlite.create(dataDir === null ? { extensions } : { dataDir, extensions });
  const server = await serveWire(db, { host: '127.0.0.1', port, maxConnections: 32, ...options });
  return {
    url: `postgres://postgres:postgres@${server.address}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
