/**
 * Throwaway databases and keyspaces on the real stack, so test runs never share state with
 * `npm start` or with each other.
 */
import net from 'node:net';
import postgres from 'postgres';
import cassandra from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';
import { STACK_ENV_KEYS, clusterEnv, stackEnv, type StackEnv } from '../../../scripts/stack/index.ts';
import { loadStoreConfig } from '../../src/config.ts';
import { nativePortOf, type CassandraSettings } from '../../src/db/cassandra.ts';

async function reachable(hostPort: string): Promise<boolean> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const socket = net.connect({ host: host ?? '127.0.0.1', port: Number(port) });
    socket.setTimeout(2000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

/** `EDGEFLIX_CLUSTER=1`: the tests use the loopback cluster (docs/cluster.md) instead of the single-node stack. */
export const onCluster = (): boolean =>
  Boolean(process.env['EDGEFLIX_CLUSTER']) && process.env['EDGEFLIX_CLUSTER'] !== '0';

/** The real stack's settings; fails (never skips) when a service is not answering. */
export async function requireStack(): Promise<StackEnv> {
  const cluster = onCluster();
  const env = { ...(cluster ? clusterEnv() : stackEnv()), ...pick(process.env) };
  const pg = new URL(env.DATABASE_URL);
  const list = (text: string) => text.split(',').map((s) => s.trim());
  const checks: [string, string][] = [
    ['PostgreSQL', `${pg.hostname}:${pg.port || '5432'}`],
    // Every node on the cluster: a test run on two nodes would prove nothing about three.
    ...list(env.CASSANDRA_CONTACT_POINTS).map((p): [string, string] => ['Cassandra', p]),
    ...list(env.KAFKA_BROKERS).map((b): [string, string] => ['Kafka', b]),
  ];
  const down = [];
  for (const [name, hostPort] of checks) if (!(await reachable(hostPort))) down.push(`${name} (${hostPort})`);
  if (down.length > 0) {
    const up = cluster ? 'npm run stack:up -- --cluster' : 'npm run stack:up';
    throw new Error(
      `The real stack is not up: ${down.join(', ')} not answering. Run "${up}" (npm test does it for you).`,
    );
  }
  return env;
}

function pick(env: NodeJS.ProcessEnv): Partial<StackEnv> {
  const out: Partial<StackEnv> = {};
  for (const key of STACK_ENV_KEYS) {
    const value = env[key];
    if (value) out[key] = value;
  }
  return out;
}

const suffix = () => `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;

/** Creates an empty database next to the stack's one; `drop()` removes it. */
export async function freshDatabase(baseUrl: string, label: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `edgeflix_test_${label}_${suffix()}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const again = postgres(baseUrl, { max: 1, onnotice: () => {} });
      await again.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await again.end();
    },
  };
}

/** Settings for a keyspace of its own (created by the migration runner); `drop()` removes it. */
export function freshKeyspace(env: StackEnv, label: string): CassandraSettings & { drop(): Promise<void> } {
  const settings: CassandraSettings = {
    contactPoints: env.CASSANDRA_CONTACT_POINTS.split(','),
    localDataCenter: env.CASSANDRA_LOCAL_DC,
    keyspace: `edgeflix_test_${label}_${suffix()}`,
    replication: loadStoreConfig({ CASSANDRA_REPLICATION: env.CASSANDRA_REPLICATION }).CASSANDRA_REPLICATION,
    consistency: env.CASSANDRA_CONSISTENCY,
  };
  const port = nativePortOf(settings.contactPoints);
  return {
    ...settings,
    async drop() {
      const client = new cassandra.Client({
        contactPoints: settings.contactPoints,
        localDataCenter: settings.localDataCenter,
        ...(port !== undefined ? { protocolOptions: { port } } : {}),
        // A schema change waits for every node to agree; on three loaded nodes that can pass 12 s.
        socketOptions: { readTimeout: 60_000 },
      });
      try {
        await client.execute(`DROP KEYSPACE IF EXISTS ${settings.keyspace}`);
      } finally {
        await client.shutdown();
      }
    },
  };
}

/** A topic prefix of its own, so a test's consumers never read another run's events; `drop()` deletes its topics. */
export function freshTopicPrefix(brokers: string, label: string): { prefix: string; drop(): Promise<void> } {
  const prefix = `test.${label}.${suffix()}.`;
  return {
    prefix,
    async drop() {
      const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
        if (topics.length > 0) await admin.deleteTopics({ topics });
      } finally {
        await admin.disconnect();
      }
    },
  };
}
