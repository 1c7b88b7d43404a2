import { CASSANDRA_CQL_PORT, CASSANDRA_DC, cassandra } from './cassandra.ts';
import { StackError, errorMessage } from './errors.ts';
import { KAFKA_BROKER_PORT, kafka } from './kafka.ts';
import { LOOPBACK } from './net.ts';
import { localDatabaseUrl, postgres } from './postgres.ts';
import { SERVICE_NAMES } from './types.ts';
import type { Log, Service, ServiceName, ServiceStatus, StackEnv, UpOutcome } from './types.ts';

export type { ServiceName, StackEnv } from './types.ts';
export { SERVICE_NAMES, STACK_ENV_KEYS } from './types.ts';
export { clusterDown, clusterEnv, clusterStatus, clusterUp } from './cluster.ts';
export type { ClusterNode } from './cluster.ts';
export { StackError } from './errors.ts';

const services: Record<ServiceName, Service> = { postgres, cassandra, kafka };

const defaultLog: Log = (line) => console.log(line);

function select(names: readonly ServiceName[] | undefined): Service[] {
  const wanted = names && names.length > 0 ? names : SERVICE_NAMES;
  return SERVICE_NAMES.filter((n) => wanted.includes(n)).map((n) => services[n]);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Connection settings for the single-node stack's services (no I/O); `clusterEnv()` for the cluster. */
export function stackEnv(): StackEnv {
  return {
    DATABASE_URL: process.env['DATABASE_URL'] || localDatabaseUrl(),
    CASSANDRA_CONTACT_POINTS: `${LOOPBACK}:${CASSANDRA_CQL_PORT}`,
    CASSANDRA_LOCAL_DC: CASSANDRA_DC,
    CASSANDRA_REPLICATION: 'SimpleStrategy:1',
    CASSANDRA_CONSISTENCY: 'localQuorum',
    KAFKA_BROKERS: `${LOOPBACK}:${KAFKA_BROKER_PORT}`,
    KAFKA_REPLICATION_FACTOR: '1',
    KAFKA_MIN_INSYNC_REPLICAS: '1',
  };
}

/**
 * Starts the requested services (all by default) in parallel and resolves when each one
 * accepts clients. Idempotent: services already up are reused. Rejects with a StackError
 * naming every service that failed; the others are left running.
 */
export async function stackUp(names?: ServiceName[], log: Log = defaultLog): Promise<StackEnv> {
  const started = Date.now();
  const results = await Promise.allSettled(
    select(names).map(async (service) => {
      const t0 = Date.now();
      const outcome: UpOutcome = await service.up(log);
      return { name: service.name, outcome, ms: Date.now() - t0 };
    }),
  );
  const failures: string[] = [];
  const timings: string[] = [];
  for (const result of results) {
    if (result.status === 'fulfilled') {
      timings.push(`${result.value.name} ${result.value.outcome} in ${seconds(result.value.ms)}`);
    } else {
      failures.push(errorMessage(result.reason));
    }
  }
  // Services share checks (e.g. java); report each distinct failure once.
  if (failures.length > 0) throw new StackError([...new Set(failures)].join('\n\n'));
  log(`stack up in ${seconds(Date.now() - started)} (${timings.join(', ')})`);
  return stackEnv();
}

/** Stops the requested services (all by default); data is kept. Not running is fine. */
export async function stackDown(names?: ServiceName[], log: Log = defaultLog): Promise<void> {
  const results = await Promise.allSettled(select(names).map((service) => service.down(log)));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [errorMessage(r.reason)] : []));
  if (failures.length > 0) throw new StackError(failures.join('\n\n'));
}

export async function stackStatus(): Promise<Record<ServiceName, ServiceStatus>> {
  const entries = await Promise.all(
    SERVICE_NAMES.map(async (name) => {
      const status = await services[name]
        .status()
        .catch((err: unknown): ServiceStatus => ({ up: false, detail: errorMessage(err) }));
      return [name, status] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<ServiceName, ServiceStatus>;
}
