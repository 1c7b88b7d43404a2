/** A real origin (real or embedded stores, seeded) for integration and end-to-end tests. */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { completionThresholds } from '../../../core/progress.ts';
import { importUserTokenSigner } from '../../../core/tokens.ts';
import { importKek } from '../../../core/protection/key-wrap.ts';
import { createApp } from '../../src/app.ts';
import type { CassandraSettings } from '../../src/db/cassandra.ts';
import { loadConfig, sessionSettings } from '../../src/config.ts';
import type { OriginDeps } from '../../src/http/context.ts';
import { silentLogger } from '../../src/log.ts';
import { seedDatabase } from '../../src/seed/write.ts';
import { createStores } from '../../src/stores/index.ts';
import { checkConformance } from './conformance.ts';
import { insertFixtureTitles, type FixtureTitles } from './fixtures.ts';
import { makeTestKeys, type TestKeys } from './keys.ts';
import { freshDatabase, freshKeyspace, freshTopicPrefix, requireStack } from './stack.ts';
import type { StackEnv } from '../../../scripts/stack/index.ts';

export const TEST_TOKEN_SETTINGS = { issuer: 'edgeflix', audience: 'edgeflix-api' };
/** Small catalog: enough rows for every query shape, quick to seed. */
const TEST_CATALOG_TITLES = 12;

export interface TestOrigin {
  deps: OriginDeps;
  app: ReturnType<typeof createApp>;
  stop(): Promise<void>;
}

async function createTestOrigin(options: {
  mode: 'real' | 'embedded';
  keys: TestKeys;
  databaseUrl?: string;
  cassandra?: { contactPoints: string; localDc: string; keyspace: string };
  kafkaBrokers?: string;
  /** Replication and consistency the stack asks for (RF 3 and two in-sync copies on the cluster). */
  replication?: Pick<
    StackEnv,
    'CASSANDRA_REPLICATION' | 'CASSANDRA_CONSISTENCY' | 'KAFKA_REPLICATION_FACTOR' | 'KAFKA_MIN_INSYNC_REPLICAS'
  >;
  serviceClockToleranceS?: number;
  /** Origin environment variables on top of the test's own (e.g. `ACCOUNT_TOKEN_TTL_SECONDS`). */
  config?: Record<string, string>;
  homeSharedTtlMs?: number;
  catalogTitles?: number;
}): Promise<TestOrigin> {
  const topics =
    options.mode === 'real' && options.kafkaBrokers ? freshTopicPrefix(options.kafkaBrokers, 'origin') : null;
  const config = loadConfig({
    STORE_MODE: options.mode,
    DATABASE_URL: options.databaseUrl,
    EMBEDDED_DATA_DIR: ':memory:',
    EMBEDDED_PG_PORT: '0',
    CASSANDRA_CONTACT_POINTS: options.cassandra?.contactPoints,
    CASSANDRA_LOCAL_DC: options.cassandra?.localDc,
    CASSANDRA_KEYSPACE: options.cassandra?.keyspace,
    KAFKA_BROKERS: options.kafkaBrokers,
    KAFKA_TOPIC_PREFIX: topics?.prefix,
    ...options.replication,
    AUTH_SIGNING_JWK: JSON.stringify(options.keys.signingJwk),
    SERVICE_TOKEN_SECRET: options.keys.serviceSecret,
    OPERATOR_API_KEY: options.keys.operatorKey,
    CONTENT_KEY_KEK: options.keys.contentKeyKek,
    ...options.config,
  });
  const stores = await createStores(config, silentLogger, {
    afterMigrate: async (sql) =>
      void (await seedDatabase(sql, { titles: options.catalogTitles ?? TEST_CATALOG_TITLES })),
  });
  const deps: OriginDeps = {
    stores,
    log: silentLogger,
    signer: await importUserTokenSigner(options.keys.signingJwk),
    tokenSettings: TEST_TOKEN_SETTINGS,
    serviceSecret: options.keys.serviceSecret,
    ...(options.serviceClockToleranceS !== undefined ? { serviceClockToleranceS: options.serviceClockToleranceS } : {}),
    ...(options.homeSharedTtlMs !== undefined ? { homeSharedTtlMs: options.homeSharedTtlMs } : {}),
    operatorApiKey: options.keys.operatorKey,
    contentKeyKek: await importKek(options.keys.contentKeyKek),
    completion: completionThresholds(config),
    sessions: sessionSettings(config),
  };
  return {
    deps,
    app: checkConformance(createApp(deps)),
    async stop() {
      await stores.close();
      await topics?.drop();
    },
  };
}

/** Serves an app on 127.0.0.1 at a free port. */
export async function listen(app: TestOrigin['app']): Promise<{ url: string; close(): Promise<void> }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        // Keep-alive connections (workerd, browsers) would hold close() open until they idle out.
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            if ('closeAllConnections' in server) server.closeAllConnections();
          }),
      });
    });
  });
}

/** A real-stack origin in a throwaway database, keyspace and topic prefix (seeded catalog only). */
export interface RealStackOrigin {
  origin: TestOrigin;
  keys: TestKeys;
  databaseUrl: string;
  /** The throwaway keyspace's settings, for raw driver access. */
  keyspace: CassandraSettings;
  /** Stops the origin and drops what it created. */
  stop(): Promise<void>;
}

/** The same, with the fixture titles the origin tests name (`insertFixtureTitles`). */
export interface RealTestOrigin extends RealStackOrigin {
  titles: FixtureTitles;
}

/** Options of a test origin: a shorter shared-rows interval (homepage), a bigger seeded catalog. */
export interface TestOriginOptions {
  serviceClockToleranceS?: number;
  /** Origin environment variables on top of the test's own (e.g. `ACCOUNT_TOKEN_TTL_SECONDS`). */
  config?: Record<string, string>;
  homeSharedTtlMs?: number;
  catalogTitles?: number;
}

export async function realTestOrigin(label: string, options: TestOriginOptions = {}): Promise<RealTestOrigin> {
  const real = await realStackOrigin(label, options);
  return { ...real, titles: await insertFixtureTitles(real.databaseUrl) };
}

/** For suites that pick titles from the seeded catalog itself (the edge suite, the browser test). */
export async function realStackOrigin(label: string, options: TestOriginOptions = {}): Promise<RealStackOrigin> {
  const stack = await requireStack();
  const keys = await makeTestKeys();
  const db = await freshDatabase(stack.DATABASE_URL, label);
  const ks = freshKeyspace(stack, label);
  const origin = await createTestOrigin({
    mode: 'real',
    keys,
    databaseUrl: db.url,
    cassandra: {
      contactPoints: stack.CASSANDRA_CONTACT_POINTS,
      localDc: stack.CASSANDRA_LOCAL_DC,
      keyspace: ks.keyspace,
    },
    kafkaBrokers: stack.KAFKA_BROKERS,
    replication: {
      CASSANDRA_REPLICATION: stack.CASSANDRA_REPLICATION,
      CASSANDRA_CONSISTENCY: stack.CASSANDRA_CONSISTENCY,
      KAFKA_REPLICATION_FACTOR: stack.KAFKA_REPLICATION_FACTOR,
      KAFKA_MIN_INSYNC_REPLICAS: stack.KAFKA_MIN_INSYNC_REPLICAS,
    },
    ...options,
  });
  return {
    origin,
    keys,
    databaseUrl: db.url,
    keyspace: ks,
    async stop() {
      await origin.stop();
      await db.drop();
      await ks.drop();
    },
  };
}
