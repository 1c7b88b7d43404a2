/**
 * Cassandra connection and the CQL migration runner. The keyspace and its replication come from
 * configuration; `migrations/cassandra/NNNN_name.cql` files run inside it once each, recorded
 * with a checksum in `schema_migrations` so an edited, already-applied file is an error.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import cassandra from 'cassandra-driver';
import { CASSANDRA_MIGRATIONS_TABLE, CASSANDRA_TABLES } from '../stores/names.ts';

export interface CassandraSettings {
  contactPoints: string[];
  localDataCenter: string;
  keyspace: string;
  replication: Record<string, string | number>;
  consistency: string;
}

export function cassandraSettings(config: {
  CASSANDRA_CONTACT_POINTS: string;
  CASSANDRA_LOCAL_DC: string;
  CASSANDRA_KEYSPACE: string;
  CASSANDRA_REPLICATION: Record<string, string | number>;
  CASSANDRA_CONSISTENCY: string;
}): CassandraSettings {
  return {
    contactPoints: config.CASSANDRA_CONTACT_POINTS.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    localDataCenter: config.CASSANDRA_LOCAL_DC,
    keyspace: config.CASSANDRA_KEYSPACE,
    replication: config.CASSANDRA_REPLICATION,
    consistency: config.CASSANDRA_CONSISTENCY,
  };
}

/**
 * The CQL port the driver uses for the nodes it discovers: the driver reads peers' addresses from
 * `system.peers` without a port, so contact points on a non-default port (the loopback cluster's
 * 19042) would otherwise lead it to 9042 on every other node.
 */
export function nativePortOf(contactPoints: readonly string[]): number | undefined {
  const ports = new Set(contactPoints.map((point) => /:(\d+)$/.exec(point)?.[1]).filter((p) => p !== undefined));
  const [only] = ports;
  return ports.size === 1 && only !== undefined ? Number(only) : undefined;
}

function consistencyOf(name: string): number {
  const value = (cassandra.types.consistencies as unknown as Record<string, number>)[name];
  if (value === undefined) throw new Error(`Unknown Cassandra consistency "${name}"`);
  return value;
}

/**
 * A client bound to the keyspace, preparing every statement, with explicit consistency. Serving
 * clients pass a read timeout within the Cassandra breaker's budget; migrations keep a longer one.
 */
export function cassandraClient(
  settings: CassandraSettings,
  withKeyspace = true,
  readTimeoutMs = 12_000,
): cassandra.Client {
  const port = nativePortOf(settings.contactPoints);
  return new cassandra.Client({
    contactPoints: settings.contactPoints,
    localDataCenter: settings.localDataCenter,
    protocolOptions: {
      ...(port !== undefined ? { port } : {}),
      // After a schema change the driver waits for every node to agree (default 10 s): on a loaded
      // cluster a keyspace created on one node can take longer to reach the next statement's.
      maxSchemaAgreementWaitSeconds: 60,
    },
    ...(withKeyspace ? { keyspace: settings.keyspace } : {}),
    queryOptions: { consistency: consistencyOf(settings.consistency), prepare: true },
    socketOptions: { connectTimeout: 5000, readTimeout: readTimeoutMs },
    pooling: { heartBeatInterval: 10000 },
    // The driver's default waits up to 10 minutes between reconnection attempts; a node back
    // from a restart should be used again within seconds.
    policies: { reconnection: new cassandra.policies.reconnection.ExponentialReconnectionPolicy(500, 5000, false) },
    // Write timestamps (microseconds) are BigInts in our code.
    encoding: { useBigIntAsLong: true },
  });
}

function replicationCql(replication: Record<string, string | number>): string {
  const entries = Object.entries(replication).map(
    ([k, v]) => `'${k.replace(/'/g, "''")}': ${typeof v === 'number' ? v : `'${v.replace(/'/g, "''")}'`}`,
  );
  return `{${entries.join(', ')}}`;
}

/** Splits a CQL file into statements (comments dropped, `;` ends a statement). */
export function splitCql(text: string): string[] {
  const withoutComments = text
    .split('\n')
    .map((line) => line.replace(/--.*$/, '').replace(/\/\/.*$/, ''))
    .join('\n');
  return withoutComments
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

const MIGRATION_TIMEOUT_MS = 60_000;

/**
 * Copies the hidden items of `continue_watching_hidden` into the static `hidden` map of each
 * profile's `viewing_progress` partition (0003), each with its own write time and remaining TTL,
 * so it stays hidden exactly as long, and a later hide still wins. Writing the same cells again
 * changes nothing, so a copy cut short is simply run again.
 */
async function copyHiddenItems(client: cassandra.Client): Promise<void> {
  const { viewingProgress, continueWatchingHidden } = CASSANDRA_TABLES;
  const select = `SELECT profile_id, item_id, hidden_at, TTL(hidden_at) AS ttl, WRITETIME(hidden_at) AS written FROM ${continueWatchingHidden}`;
  const update = `UPDATE ${viewingProgress} USING TTL ? AND TIMESTAMP ? SET hidden[?] = ? WHERE profile_id = ?`;
  let pageState: string | undefined;
  do {
    const rs = await client.execute(select, [], { prepare: true, fetchSize: 500, ...(pageState ? { pageState } : {}) });
    await Promise.all(
      rs.rows.map((r) =>
        client.execute(update, [Number(r['ttl'] ?? 0), r['written'], r['item_id'], r['hidden_at'], r['profile_id']], {
          prepare: true,
        }),
      ),
    );
    pageState = rs.pageState ?? undefined;
  } while (pageState);
}

/** What a migration does besides its statements, after them and before it is recorded. */
const DATA_STEPS: Record<string, (client: cassandra.Client) => Promise<void>> = {
  '0004_copy_hidden_items.cql': copyHiddenItems,
};

/** Creates the keyspace if missing and applies pending CQL migrations; idempotent. */
export async function migrateCassandra(
  settings: CassandraSettings,
  dir: string,
  log: (line: string) => void = () => {},
): Promise<MigrationResult> {
  // Schema changes wait for every replica to agree on the schema: slower than a read on a cluster.
  const admin = cassandraClient(settings, false, MIGRATION_TIMEOUT_MS);
  try {
    await admin.connect();
    await admin.execute(
      `CREATE KEYSPACE IF NOT EXISTS ${settings.keyspace} WITH replication = ${replicationCql(settings.replication)} AND durable_writes = true`,
    );
  } finally {
    await admin.shutdown();
  }
  // Statements in the files name tables without a keyspace: this client is bound to it.
  const client = cassandraClient(settings, true, MIGRATION_TIMEOUT_MS);
  const quorum = { prepare: true, consistency: cassandra.types.consistencies.localQuorum };
  try {
    await client.connect();
    await client.execute(
      `CREATE TABLE IF NOT EXISTS ${CASSANDRA_MIGRATIONS_TABLE} (version text PRIMARY KEY, checksum text, applied_at timestamp)`,
    );
    const appliedRows = await client.execute(`SELECT version, checksum FROM ${CASSANDRA_MIGRATIONS_TABLE}`, [], quorum);
    const applied = new Map(appliedRows.rows.map((r) => [String(r['version']), String(r['checksum'])]));
    const files = (await readdir(dir)).filter((f) => /^\d{4}_[\w-]+\.cql$/.test(f)).sort();
    const result: MigrationResult = { applied: [], skipped: [] };
    for (const file of files) {
      const text = await readFile(path.join(dir, file), 'utf8');
      const checksum = createHash('sha256').update(text).digest('hex');
      const recorded = applied.get(file);
      if (recorded !== undefined) {
        if (recorded !== checksum) {
          throw new Error(`Cassandra migration ${file} was changed after it was applied; add a new migration instead`);
        }
        result.skipped.push(file);
        continue;
      }
      log(`cassandra: applying ${file}`);
      for (const statement of splitCql(text)) await client.execute(statement);
      await DATA_STEPS[file]?.(client);
      await client.execute(
        `INSERT INTO ${CASSANDRA_MIGRATIONS_TABLE} (version, checksum, applied_at) VALUES (?, ?, ?)`,
        [file, checksum, new Date()],
        quorum,
      );
      result.applied.push(file);
    }
    return result;
  } finally {
    await client.shutdown();
  }
}
