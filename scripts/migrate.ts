/**
 * `npm run migrate`: applies pending PostgreSQL (and, with STORE_MODE=real, Cassandra) migrations
 * for the configured stores. Idempotent.
 */
import { loadStoreConfig } from '../origin/src/config.ts';
import { cassandraSettings, migrateCassandra } from '../origin/src/db/cassandra.ts';
import { MIGRATIONS_DIR, migratePostgres } from '../origin/src/db/postgres.ts';

async function main(): Promise<void> {
  const config = loadStoreConfig();
  const say = (line: string) => process.stdout.write(`${line}\n`);
  if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required (the embedded store migrates itself at start)');
  const applied = await migratePostgres(config.DATABASE_URL, { embedded: config.STORE_MODE === 'embedded', log: say });
  say(`postgres: ${applied.length} migration(s) applied`);
  if (config.STORE_MODE === 'real') {
    const result = await migrateCassandra(cassandraSettings(config), MIGRATIONS_DIR.cassandra, say);
    say(`cassandra: ${result.applied.length} applied, ${result.skipped.length} already applied`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
