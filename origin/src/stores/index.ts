import type postgres from 'postgres';
import type { Config } from '../config.ts';
import { cassandraClient, cassandraSettings, migrateCassandra } from '../db/cassandra.ts';
import { startEmbeddedPostgres } from '../db/embedded.ts';
import { MIGRATIONS_DIR, migratePostgres, postgresClient } from '../db/postgres.ts';
import type { Logger } from '../log.ts';
import { cassandraProgressStore } from './cassandra-progress.ts';
import { embeddedEventBus } from './embedded-events.ts';
import { embeddedProgressStore } from './embedded-progress.ts';
import { kafkaEventBus } from './kafka-events.ts';
import { postgresAccountStore } from './postgres-accounts.ts';
import { postgresSessionStore } from './postgres-sessions.ts';
import { cachedCatalog } from './cached-catalog.ts';
import { postgresCatalogStore, postgresPreferenceStore } from './postgres-catalog.ts';
import { postgresExperimentStore } from './postgres-experiments.ts';
import { postgresHomeStore } from './postgres-home.ts';
import { postgresSearchStore } from './postgres-search.ts';
import { postgresContentKeyStore } from './postgres-content-keys.ts';
import type { Stores } from './types.ts';

const CATALOG_CACHE = { ttlMs: 60_000, maxEntries: 50_000 };
/** Server-side limits for serving calls (the breakers in `telemetry/breakers.ts` answer sooner). */
const POSTGRES_STATEMENT_TIMEOUT_MS = 10_000;
const CASSANDRA_READ_TIMEOUT_MS = 5000;

async function check(fn: () => Promise<void>): Promise<{ ok: boolean; error?: string }> {
  try {
    await fn();
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

export interface StoreOptions {
  /** Apply pending migrations before serving (default true). */
  migrate?: boolean;
  /** Called with the Postgres pool after migrations, e.g. to seed an empty embedded database. */
  afterMigrate?: (sql: postgres.Sql) => Promise<void>;
}

/** Connects every store for the configured mode. */
export async function createStores(config: Config, log: Logger, options: StoreOptions = {}): Promise<Stores> {
  const migrate = options.migrate ?? true;
  const say = (line: string) => log.info('migration', { line });

  if (config.STORE_MODE === 'embedded') {
    const embedded = config.DATABASE_URL
      ? null
      : await startEmbeddedPostgres(
          config.EMBEDDED_DATA_DIR === ':memory:' ? null : config.EMBEDDED_DATA_DIR,
          config.EMBEDDED_PG_PORT,
          { onDisconnect: (reason) => log.warn('embedded_connection_cut', { reason }) },
        );
    const url = config.DATABASE_URL ?? embedded!.url;
    if (migrate) await migratePostgres(url, { embedded: true, log: say });
    const sql = postgresClient(url, { max: Math.min(config.DATABASE_POOL_MAX, 4) });
    await options.afterMigrate?.(sql);
    const events = embeddedEventBus(sql, (err) => log.warn('embedded_consumer_retry', { error: err }));
    return {
      mode: 'embedded',
      accounts: postgresAccountStore(sql),
      sessions: postgresSessionStore(sql),
      catalog: cachedCatalog(postgresCatalogStore(sql), CATALOG_CACHE),
      preferences: postgresPreferenceStore(sql),
      home: postgresHomeStore(sql),
      search: postgresSearchStore(sql),
      contentKeys: postgresContentKeyStore(sql),
      experiments: postgresExperimentStore(sql),
      progress: embeddedProgressStore(sql),
      events,
      readiness: async () => ({ postgres: await check(async () => void (await sql`SELECT 1`)) }),
      async close() {
        await events.close();
        await sql.end({ timeout: 5 });
        await embedded?.stop();
      },
    };
  }

  const url = config.DATABASE_URL!;
  const cassandra = cassandraSettings(config);
  if (migrate) {
    await migratePostgres(url, { embedded: false, log: say });
    await migrateCassandra(cassandra, MIGRATIONS_DIR.cassandra, say);
  }
  const sql = postgresClient(url, { max: config.DATABASE_POOL_MAX, statementTimeoutMs: POSTGRES_STATEMENT_TIMEOUT_MS });
  await options.afterMigrate?.(sql);
  const client = cassandraClient(cassandra, true, CASSANDRA_READ_TIMEOUT_MS);
  await client.connect();
  const progress = cassandraProgressStore(client);
  const events = await kafkaEventBus({
    brokers: config.KAFKA_BROKERS.split(',').map((b) => b.trim()),
    clientId: config.KAFKA_CLIENT_ID,
    partitions: config.KAFKA_TOPIC_PARTITIONS,
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
    minInsyncReplicas: config.KAFKA_MIN_INSYNC_REPLICAS,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
  });
  return {
    mode: 'real',
    accounts: postgresAccountStore(sql),
    sessions: postgresSessionStore(sql),
    catalog: cachedCatalog(postgresCatalogStore(sql), CATALOG_CACHE),
    preferences: postgresPreferenceStore(sql),
    home: postgresHomeStore(sql),
    search: postgresSearchStore(sql),
    contentKeys: postgresContentKeyStore(sql),
    experiments: postgresExperimentStore(sql),
    progress,
    events,
    readiness: async () => {
      const [postgres, cassandraCheck, kafka] = await Promise.all([
        check(async () => void (await sql`SELECT 1`)),
        check(() => progress.ping()),
        check(() => events.ping()),
      ]);
      return { postgres, cassandra: cassandraCheck, kafka };
    },
    async close() {
      await Promise.allSettled([events.close(), progress.close(), sql.end({ timeout: 5 })]);
    },
  };
}
