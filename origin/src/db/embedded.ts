/**
 * The embedded default: one PGlite database, persisted in a folder, served on a loopback port
 * with the Postgres wire protocol so the same postgres.js code and SQL migrations work unchanged.
 */
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/** Starts PGlite on `dataDir` (or in memory when `null`) and serves it on 127.0.0.1:`port` (0 = any free port). */
export async function startEmbeddedPostgres(dataDir: string | null, port: number): Promise<EmbeddedPostgres> {
  if (dataDir !== null) await mkdir(dataDir, { recursive: true });
  const db = dataDir === null ? await PGlite.create() : await PGlite.create({ dataDir });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: 32 });
  await server.start();
  const address = server.getServerConn();
  return {
    url: `postgres://postgres:postgres@${address}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
