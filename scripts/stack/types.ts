export type ServiceName = 'postgres' | 'cassandra' | 'kafka';

export const SERVICE_NAMES: readonly ServiceName[] = ['postgres', 'cassandra', 'kafka'];

/**
 * What the origin needs to use the stack: where each service is, and the replication and
 * consistency it must use there (single node: RF 1; the loopback cluster: RF 3 at LOCAL_QUORUM).
 */
export interface StackEnv {
  DATABASE_URL: string;
  CASSANDRA_CONTACT_POINTS: string;
  CASSANDRA_LOCAL_DC: string;
  /** Keyspace replication as the origin's CASSANDRA_REPLICATION spells it. */
  CASSANDRA_REPLICATION: string;
  CASSANDRA_CONSISTENCY: string;
  KAFKA_BROKERS: string;
  KAFKA_REPLICATION_FACTOR: string;
  KAFKA_MIN_INSYNC_REPLICAS: string;
}

export const STACK_ENV_KEYS = [
  'DATABASE_URL',
  'CASSANDRA_CONTACT_POINTS',
  'CASSANDRA_LOCAL_DC',
  'CASSANDRA_REPLICATION',
  'CASSANDRA_CONSISTENCY',
  'KAFKA_BROKERS',
  'KAFKA_REPLICATION_FACTOR',
  'KAFKA_MIN_INSYNC_REPLICAS',
] as const satisfies readonly (keyof StackEnv)[];

export type Log = (line: string) => void;

export interface ServiceStatus {
  up: boolean;
  detail: string;
}

/** How `up` ended for one service; shown in the per-service timing summary. */
export type UpOutcome = 'started' | 'already up' | 'external';

export interface Service {
  readonly name: ServiceName;
  up(log: Log): Promise<UpOutcome>;
  down(log: Log): Promise<void>;
  status(): Promise<ServiceStatus>;
}
