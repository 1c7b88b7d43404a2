/**
 * From per-core figures measured on one machine to the machines a given audience needs. Pure
 * arithmetic, so docs/capacity.md can show its working and a test can hold it to the obvious
 * properties (more viewers never need fewer machines, a longer flush never needs more storage).
 */

/** Throughput one CPU core of each component sustains, measured (units per CPU-second). */
export interface PerCore {
  /** heartbeats accepted by the edge, Durable Object storage write included */
  edgeHeartbeats: number;
  /** progress rows the origin flushes (validation, Cassandra write, Kafka publish) */
  originRows: number;
  /** replica writes a Cassandra node applies (a row at RF 3 is three of them) */
  cassandraReplicaWrites: number;
  /** bytes a Kafka broker takes in, replication included */
  kafkaBytes: number;
}

export interface Audience {
  viewers: number;
  /** seconds between a player's heartbeats */
  heartbeatSeconds: number;
  /** heartbeats per Cassandra row: what the buffer's flush interval and batching buy */
  heartbeatsPerRow: number;
  cassandraReplication: number;
  kafkaReplication: number;
  /** bytes of one viewing-events record on the wire */
  eventBytes: number;
}

export interface Fleet {
  /** cores per machine, and the share of them a component may use at peak (headroom) */
  coresPerMachine: number;
  targetUtilisation: number;
}

export interface ComponentNeed {
  component: keyof PerCore;
  /** units per second the audience produces at this component */
  load: number;
  cores: number;
  machines: number;
}

export interface Plan {
  heartbeatsPerSecond: number;
  rowsPerSecond: number;
  needs: ComponentNeed[];
  /** the component that needs the most machines: the first to saturate as the audience grows */
  saturatesFirst: keyof PerCore;
}

export function plan(perCore: PerCore, audience: Audience, fleet: Fleet): Plan {
  if (audience.heartbeatsPerRow < 1) throw new RangeError('a row holds at least one heartbeat');
  const heartbeatsPerSecond = audience.viewers / audience.heartbeatSeconds;
  const rowsPerSecond = heartbeatsPerSecond / audience.heartbeatsPerRow;
  const loads: Record<keyof PerCore, number> = {
    edgeHeartbeats: heartbeatsPerSecond,
    originRows: rowsPerSecond,
    cassandraReplicaWrites: rowsPerSecond * audience.cassandraReplication,
    kafkaBytes: rowsPerSecond * audience.eventBytes * audience.kafkaReplication,
  };
  const needs = (Object.keys(loads) as (keyof PerCore)[]).map((component) => {
    const cores = loads[component] / (perCore[component] * fleet.targetUtilisation);
    return { component, load: loads[component], cores, machines: Math.ceil(cores / fleet.coresPerMachine) };
  });
  const saturatesFirst = needs.reduce((a, b) => (b.cores > a.cores ? b : a)).component;
  return { heartbeatsPerSecond, rowsPerSecond, needs, saturatesFirst };
}
