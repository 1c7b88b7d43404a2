import type { TestProject } from 'vitest/node';
import { makeTestKeys } from '../../origin/test/support/keys.ts';
import { createTestOrigin, listen } from '../../origin/test/support/origin.ts';
import { freshDatabase, freshKeyspace, requireStack } from '../../origin/test/support/stack.ts';

/** Starts a real origin (real PostgreSQL, Cassandra, Kafka) for the edge tests to call. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = await requireStack();
  const keys = await makeTestKeys();
  const db = await freshDatabase(stack.DATABASE_URL, 'edge');
  const ks = freshKeyspace(stack, 'edge');
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
  });
  const server = await listen(origin.app);
  project.provide('edge', {
    originUrl: server.url,
    publicJwks: JSON.stringify(keys.publicJwks),
    serviceSecret: keys.serviceSecret,
    signingJwk: JSON.stringify(keys.signingJwk),
    foreignSigningJwk: JSON.stringify(keys.foreignSigningJwk),
  });
  return async () => {
    await server.close();
    await origin.stop();
    await db.drop();
    await ks.drop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    edge: {
      originUrl: string;
      publicJwks: string;
      serviceSecret: string;
      signingJwk: string;
      foreignSigningJwk: string;
    };
  }
}
