/**
 * The loopback cluster: Cassandra 5.0 as three nodes and Kafka as three KRaft brokers (each a
 * combined broker+controller, a 3-voter quorum) on 127.0.0.1, 127.0.0.2 and 127.0.0.3. Its ports
 * differ from the single-node stack's, and its state lives in `<stack dir>/cluster/`, so both run
 * side by side; PostgreSQL is the single stack's one. The nodes are exposed one by one
 * (`ClusterNode`) so a chaos run can SIGKILL and restart them.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import cassandraDriver from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';

import { CASSANDRA_DC, JDK17_FLAGS } from './cassandra.ts';
import { StackError, errorMessage } from './errors.ts';
import { requireJava } from './java.ts';
import { clusterId } from './kafka.ts';
import { managedDown, managedStatus, managedUp, runningPid, waitPortsReleased } from './managed.ts';
import type { ManagedServer } from './managed.ts';
import { findJar, resolveClasspath } from './maven.ts';
import { portAnswers } from './net.ts';
import { ensureDir, paths, stackDir } from './paths.ts';
import { isAlive, lastLines, removeFile, run, sleep } from './proc.ts';
import { postgres, localDatabaseUrl } from './postgres.ts';
import { renderTemplate } from './template.ts';
import type { Log, StackEnv } from './types.ts';

export const CLUSTER_HOSTS = ['127.0.0.1', '127.0.0.2', '127.0.0.3'] as const;
export const CLUSTER_CQL_PORT = 19042;
const CLUSTER_STORAGE_PORT = 17000;
/** JMX listens on 127.0.0.1 only, so each node needs its own port: 17199, 17299, 17399. */
const clusterJmxPort = (index: number) => 17199 + 100 * index;
export const CLUSTER_KAFKA_PORT = 19092;
const CLUSTER_CONTROLLER_PORT = 19093;

/** Murmur3 ring split in three equal ranges: explicit tokens, so the ring never depends on chance. */
const TOKENS = ['-9223372036854775808', '-3074457345618258603', '3074457345618258602'] as const;

const CASSANDRA_MAIN = 'org.apache.cassandra.service.CassandraDaemon';
const KAFKA_MAIN = 'kafka.Kafka';

export type ClusterService = 'cassandra' | 'kafka';

export interface ClusterNode {
  /** 'cassandra-1'..'cassandra-3', 'kafka-1'..'kafka-3'. */
  name: string;
  service: ClusterService;
  host: string;
  /** The client port: CQL for Cassandra, the broker listener for Kafka. */
  port: number;
  /** SIGKILL; resolves once the process is gone and its ports are free. */
  kill(): Promise<void>;
  /** Resolves once the node is ready again (CQL answers / the broker is registered and unfenced). */
  start(): Promise<void>;
  isUp(): Promise<boolean>;
}

export const clusterDir = () => join(stackDir(), 'cluster');
const nodeDir = (name: string) => join(clusterDir(), name);

const defaultLog: Log = (line) => console.log(line);

/** Connection settings for the cluster (no I/O): every contact point and broker, RF 3, quorum. */
export function clusterEnv(): StackEnv {
  return {
    DATABASE_URL: process.env['DATABASE_URL'] || localDatabaseUrl(),
    CASSANDRA_CONTACT_POINTS: CLUSTER_HOSTS.map((h) => `${h}:${CLUSTER_CQL_PORT}`).join(','),
    CASSANDRA_LOCAL_DC: CASSANDRA_DC,
    CASSANDRA_REPLICATION: `NetworkTopologyStrategy:${CASSANDRA_DC}=3`,
    CASSANDRA_CONSISTENCY: 'localQuorum',
    KAFKA_BROKERS: CLUSTER_HOSTS.map((h) => `${h}:${CLUSTER_KAFKA_PORT}`).join(','),
    KAFKA_REPLICATION_FACTOR: '3',
    KAFKA_MIN_INSYNC_REPLICAS: '2',
  };
}

function cassandraServer(index: number): ManagedServer {
  const name = `cassandra-${index + 1}`;
  const host = CLUSTER_HOSTS[index]!;
  const home = nodeDir(name);
  const yamlFile = join(home, 'conf', 'cassandra.yaml');
  const yamlUrl = pathToFileURL(yamlFile).href;
  const jmxPort = clusterJmxPort(index);
  return {
    name: `cluster/${name}`,
    host,
    ports: [
      { port: CLUSTER_CQL_PORT, label: 'CQL' },
      { port: CLUSTER_STORAGE_PORT, label: 'storage' },
      { port: jmxPort, label: 'JMX', host: '127.0.0.1' },
    ],
    markers: [CASSANDRA_MAIN, yamlUrl],
    readyMarker: 'Starting listening for CQL clients',
    what: 'CQL',
    timeoutMs: 240_000,
    async prepare(log) {
      const java = await requireJava(log);
      const jars = await resolveClasspath('cassandra', log, 'first run downloads ~150 MB into ~/.m2');
      const jamm = findJar(jars, 'jamm');
      if (!jamm) throw new StackError('cassandra: jamm jar missing from the resolved classpath (needed as -javaagent)');
      const dataDir = ensureDir(join(home, 'data'));
      const logDir = ensureDir(join(paths.logDir(), 'cluster'));
      const tmp = ensureDir(join(home, 'tmp'));
      renderTemplate('cluster-cassandra.yaml', yamlFile, {
        TOKEN: TOKENS[index]!,
        SEEDS: CLUSTER_HOSTS.map((h) => `${h}:${CLUSTER_STORAGE_PORT}`).join(','),
        HOST: host,
        DATA_DIR: dataDir,
        CQL_PORT: CLUSTER_CQL_PORT,
        STORAGE_PORT: CLUSTER_STORAGE_PORT,
      });
      const logback = join(home, 'conf', 'logback.xml');
      renderTemplate('logback.xml', logback, {});
      const args = [
        // Xms below Xmx, as in the single stack: as root, mlockall would pin a full Xms at once.
        '-Xms256m',
        '-Xmx768m',
        '-Xss256k',
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=300',
        '-XX:+PerfDisableSharedMem',
        '-XX:-HeapDumpOnOutOfMemoryError',
        '-XX:+ExitOnOutOfMemoryError',
        '-XX:MaxDirectMemorySize=256m',
        // Few JIT threads: three JVMs share two cores.
        '-XX:CICompilerCount=2',
        ...JDK17_FLAGS,
        `-javaagent:${jamm}`,
        '-Djava.net.preferIPv4Stack=true',
        '-Dchronicle.analytics.disable=true',
        `-Djava.io.tmpdir=${tmp}`,
        `-Djna.tmpdir=${tmp}`,
        `-Dcassandra.config=${yamlUrl}`,
        `-Dcassandra.storagedir=${dataDir}`,
        `-Dcassandra.logdir=${logDir}`,
        `-Dlogback.configurationFile=${logback}`,
        '-Dcassandra-foreground=yes',
        `-Dcassandra.jmx.local.port=${jmxPort}`,
        // Loopback peers answer at once: no need to wait the default 30 s for gossip or the ring.
        '-Dcassandra.skip_wait_for_gossip_to_settle=0',
        '-Dcassandra.ring_delay_ms=3000',
        // No -Dcassandra.unsafesystem: these nodes are SIGKILLed by `npm run chaos`, and a node that
        // lost its schema on a kill refuses the keyspace (`Keyspace ... does not exist`) on restart.
        '-cp',
        jars.join(':'),
        CASSANDRA_MAIN,
      ];
      return { command: java.bin, args, cwd: home };
    },
  };
}

/** The KRaft cluster id, made once and shared by the three brokers' storage. */
function kafkaClusterId(): string {
  const file = join(clusterDir(), 'kafka-cluster-id');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const id = clusterId();
  ensureDir(clusterDir());
  writeFileSync(file, `${id}\n`);
  return id;
}

function kafkaServer(index: number): ManagedServer {
  const name = `kafka-${index + 1}`;
  const host = CLUSTER_HOSTS[index]!;
  const home = nodeDir(name);
  const propsFile = join(home, 'conf', 'server.properties');
  const dataDir = join(home, 'data');
  return {
    name: `cluster/${name}`,
    host,
    ports: [
      { port: CLUSTER_KAFKA_PORT, label: 'broker' },
      { port: CLUSTER_CONTROLLER_PORT, label: 'controller' },
    ],
    markers: [`${KAFKA_MAIN} ${propsFile}`],
    // Printed once the broker has registered with the quorum and been unfenced.
    readyMarker: 'Kafka Server started',
    what: 'broker',
    timeoutMs: 180_000,
    async prepare(log) {
      const java = await requireJava(log);
      const jars = await resolveClasspath('kafka', log, 'first run downloads ~60 MB into ~/.m2');
      const classpath = jars.join(':');
      const tmp = ensureDir(join(home, 'tmp'));
      const logDir = ensureDir(join(paths.logDir(), 'cluster'));
      ensureDir(dataDir);
      renderTemplate('cluster-server.properties', propsFile, {
        NODE_ID: index + 1,
        VOTERS: CLUSTER_HOSTS.map((h, i) => `${i + 1}@${h}:${CLUSTER_CONTROLLER_PORT}`).join(','),
        HOST: host,
        BROKER_PORT: CLUSTER_KAFKA_PORT,
        CONTROLLER_PORT: CLUSTER_CONTROLLER_PORT,
        LOG_DIRS: dataDir,
      });
      const log4j = join(home, 'conf', 'log4j.properties');
      renderTemplate('log4j.properties', log4j, {});
      if (!existsSync(join(dataDir, 'meta.properties'))) {
        log(`${name}: formatting KRaft storage (first start)`);
        const result = await run(java.bin, [
          '-Xmx256m',
          `-Dlog4j.configuration=file:${log4j}`,
          '-cp',
          classpath,
          'kafka.tools.StorageTool',
          'format',
          '-t',
          kafkaClusterId(),
          '-c',
          propsFile,
        ]);
        if (result.code !== 0) {
          throw new StackError(
            `${name}: storage format failed (exit ${String(result.code)}). Output:\n${lastLines(result.output, 30)}`,
          );
        }
      }
      const args = [
        '-Xms256m',
        '-Xmx384m',
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-XX:InitiatingHeapOccupancyPercent=35',
        '-XX:+ExplicitGCInvokesConcurrent',
        '-XX:+PerfDisableSharedMem',
        '-XX:+ExitOnOutOfMemoryError',
        '-XX:CICompilerCount=2',
        '-Djava.awt.headless=true',
        '-Djava.net.preferIPv4Stack=true',
        `-Djava.io.tmpdir=${tmp}`,
        `-Dkafka.logs.dir=${logDir}`,
        `-Dlog4j.configuration=file:${log4j}`,
        '-cp',
        classpath,
        KAFKA_MAIN,
        propsFile,
      ];
      return { command: java.bin, args, cwd: home };
    },
  };
}

const cassandraServers = CLUSTER_HOSTS.map((_, i) => cassandraServer(i));
const kafkaServers = CLUSTER_HOSTS.map((_, i) => kafkaServer(i));

async function sigkill(server: ManagedServer): Promise<void> {
  const pid = runningPid(server);
  if (pid !== undefined) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    const deadline = Date.now() + 30_000;
    while (isAlive(pid)) {
      if (Date.now() > deadline) throw new StackError(`${server.name}: pid ${pid} still alive 30 s after SIGKILL`);
      await sleep(100);
    }
  }
  removeFile(paths.pidFile(server.name));
  await waitPortsReleased(server);
}

function node(server: ManagedServer, service: ClusterService, log: Log): ClusterNode {
  const host = server.host!;
  const port = server.ports[0]!.port;
  return {
    name: server.name.replace(/^cluster\//, ''),
    service,
    host,
    port,
    kill: () => sigkill(server),
    start: async () => void (await managedUp(server, log)),
    isUp: async () => runningPid(server) !== undefined && (await portAnswers(port, host)),
  };
}

/** Every node of the cluster, Cassandra first; `log` receives their start-up progress lines. */
export function clusterNodes(log: Log = defaultLog): ClusterNode[] {
  return [...cassandraServers.map((s) => node(s, 'cassandra', log)), ...kafkaServers.map((s) => node(s, 'kafka', log))];
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Starts what is not running and resolves once every node accepts clients. Idempotent.
 * Cassandra nodes start one after another (each joins the ring the previous ones formed); the
 * Kafka brokers start together, since none is ready before a majority of the quorum is up.
 * PostgreSQL is the single stack's, started if needed.
 */
export async function clusterUp(log: Log = defaultLog): Promise<{ env: StackEnv; nodes: ClusterNode[] }> {
  const started = Date.now();
  const timings: string[] = [];
  const timed = async (label: string, fn: () => Promise<unknown>) => {
    const t0 = Date.now();
    const outcome = await fn();
    timings.push(`${label} ${typeof outcome === 'string' ? `${outcome} ` : ''}in ${seconds(Date.now() - t0)}`);
  };
  const results = await Promise.allSettled([
    timed('postgres', () => postgres.up(log)),
    (async () => {
      for (const server of cassandraServers) await timed(server.name, () => managedUp(server, log));
    })(),
    Promise.all(kafkaServers.map((server) => timed(server.name, () => managedUp(server, log)))),
  ]);
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [errorMessage(r.reason)] : []));
  if (failures.length > 0) throw new StackError([...new Set(failures)].join('\n\n'));
  log(`cluster up in ${seconds(Date.now() - started)} (${timings.join(', ')})`);
  return { env: clusterEnv(), nodes: clusterNodes(log) };
}

/** Stops every cluster node (data is kept). Never touches the single-node stack or PostgreSQL. */
export async function clusterDown(log: Log = defaultLog): Promise<void> {
  const results = await Promise.allSettled(
    [...kafkaServers, ...cassandraServers].map((server) => managedDown(server, log)),
  );
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [errorMessage(r.reason)] : []));
  if (failures.length > 0) throw new StackError(failures.join('\n\n'));
}

export interface ClusterNodeStatus {
  name: string;
  up: boolean;
  detail: string;
}

/** Each node's process and port, plus the Cassandra ring and the Kafka brokers as the cluster sees them. */
export async function clusterStatus(): Promise<{ nodes: ClusterNodeStatus[]; ring: string[]; brokers: string[] }> {
  const nodes = await Promise.all(
    [...cassandraServers, ...kafkaServers].map(async (server) => {
      const s = await managedStatus(server);
      return { name: server.name.replace(/^cluster\//, ''), ...s };
    }),
  );
  const [ring, brokers] = await Promise.all([ringView(), brokerView()]);
  return { nodes, ring, brokers };
}

/** Each live node's view of the gossip ring (Cassandra 5's `system_views.gossip_info`). */
async function ringView(): Promise<string[]> {
  const lines: string[] = [];
  for (const host of CLUSTER_HOSTS) {
    if (!(await portAnswers(CLUSTER_CQL_PORT, host))) continue;
    const contact = `${host}:${CLUSTER_CQL_PORT}`;
    const client = new cassandraDriver.Client({
      contactPoints: [contact],
      localDataCenter: CASSANDRA_DC,
      protocolOptions: { port: CLUSTER_CQL_PORT },
      policies: {
        loadBalancing: new cassandraDriver.policies.loadBalancing.AllowListPolicy(
          new cassandraDriver.policies.loadBalancing.RoundRobinPolicy(),
          [contact],
        ),
      },
      socketOptions: { connectTimeout: 3000, readTimeout: 5000 },
    });
    try {
      const rows = await client.execute('SELECT address, status_with_port FROM system_views.gossip_info');
      const seen = rows.rows
        .map((r) => `${String(r['address'])} ${String(r['status_with_port'] ?? '?').split(',')[0]}`)
        .sort()
        .join(', ');
      lines.push(`${host} sees: ${seen}`);
    } catch (err) {
      lines.push(`${host}: ${errorMessage(err)}`);
    } finally {
      await client.shutdown().catch(() => undefined);
    }
  }
  return lines;
}

async function brokerView(): Promise<string[]> {
  const up: string[] = [];
  for (const host of CLUSTER_HOSTS) if (await portAnswers(CLUSTER_KAFKA_PORT, host)) up.push(host);
  if (up.length === 0) return [];
  const admin = new Kafka({
    brokers: up.map((h) => `${h}:${CLUSTER_KAFKA_PORT}`),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 5000,
    retry: { retries: 1 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    const ids = cluster.brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`).join(', ');
    return [`registered brokers: ${ids} (controller ${cluster.controller ?? '?'})`];
  } catch (err) {
    return [`brokers: ${errorMessage(err)}`];
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
