/**
 * Builds each store implementation for the contract suites: the real stack (PostgreSQL,
 * Cassandra, Kafka, each in a throwaway database/keyspace) and the embedded PGlite default.
 */
import { inject } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/log.ts';
import { seedDatabase } from '../../src/seed/write.ts';
import { createStores } from '../../src/stores/index.ts';
import type { Stores } from '../../src/stores/types.ts';
import { makeTestKeys } from '../support/keys.ts';
import { freshDatabase, freshKeyspace, freshTopicPrefix } from '../support/stack.ts';

export type Implementation = 'real' | 'embedded';
export const IMPLEMENTATIONS: Implementation[] = ['real', 'embedded'];

export async function storesFor(
  impl: Implementation,
  label: string,
): Promise<{ stores: Stores; dispose(): Promise<void> }> {
  const keys = await makeTestKeys();
  const base = {
    AUTH_SIGNING_JWK: JSON.stringify(keys.signingJwk),
    SERVICE_TOKEN_SECRET: keys.serviceSecret,
    OPERATOR_API_KEY: keys.operatorKey,
    CONTENT_KEY_KEK: keys.contentKeyKek,
  };
  const seed = {
    afterMigrate: async (sql: Parameters<typeof seedDatabase>[0]) => void (await seedDatabase(sql, { titles: 4 })),
  };
  if (impl === 'embedded') {
    const stores = await createStores(
      loadConfig({ ...base, STORE_MODE: 'embedded', EMBEDDED_DATA_DIR: ':memory:', EMBEDDED_PG_PORT: '0' }),
      silentLogger,
      seed,
    );
    return { stores, dispose: () => stores.close() };
  }
  const stack = inject('stack');
  const db = await freshDatabase(stack.DATABASE_URL, label);
  const ks = freshKeyspace(stack, label);
  const topics = freshTopicPrefix(stack.KAFKA_BROKERS, label);
  const stores = await createStores(
    loadConfig({
      ...base,
      STORE_MODE: 'real',
      DATABASE_URL: db.url,
      CASSANDRA_CONTACT_POINTS: stack.CASSANDRA_CONTACT_POINTS,
      CASSANDRA_LOCAL_DC: stack.CASSANDRA_LOCAL_DC,
      CASSANDRA_KEYSPACE: ks.keyspace,
      KAFKA_BROKERS: stack.KAFKA_BROKERS,
      KAFKA_TOPIC_PREFIX: topics.prefix,
      CASSANDRA_REPLICATION: stack.CASSANDRA_REPLICATION,
      CASSANDRA_CONSISTENCY: stack.CASSANDRA_CONSISTENCY,
      KAFKA_REPLICATION_FACTOR: stack.KAFKA_REPLICATION_FACTOR,
      KAFKA_MIN_INSYNC_REPLICAS: stack.KAFKA_MIN_INSYNC_REPLICAS,
    }),
    silentLogger,
    seed,
  );
  return {
    stores,
    async dispose() {
      await stores.close();
      await db.drop();
      await ks.drop();
      await topics.drop();
    },
  };
}
