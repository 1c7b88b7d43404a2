export type ServiceName = 'postgres' | 'cassandra' | 'kafka';

export const SERVICE_NAMES: readonly ServiceName[] = ['postgres', 'cassandra', 'kafka'];

export interface StackEnv {
  DATABASE_URL: string;
  CASSANDRA_CONTACT_POINTS: string;
  CASSANDRA_LOCAL_DC: string;
  KAFKA_BROKERS: string;
}

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
