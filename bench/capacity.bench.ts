/**
 * Per-core figures for docs/capacity.md, all measured in one run on whatever stack is up (the
 * single node, or the three-node cluster at RF 3): each component is driven hard for a few
 * seconds while the CPU time of the process that does the work is read from /proc, so the figure
 * is units per CPU-second of that component alone, not of the load generator beside it.
 *
 * - edge ingest: `POST /v1/progress` through `wrangler dev` (workerd; the Durable Object's storage
 *   write is in the same process), per CPU-second of the wrangler + workerd process tree;
 * - origin flush: rows through `POST /internal/v1/progress/flush-batch` as the flush relay sends
 *   them (100 profiles' one-title flushes a request; in process), per CPU-second of this process,
 *   which also mints the edge's credentials (so the figure is conservative); beside it the same
 *   per profile through `POST /internal/v1/progress/flush`, as buffers flushed before the relay;
 * - Cassandra: prepared inserts of progress rows at the configured consistency, replica writes
 *   (rows x RF) per CPU-second of all Cassandra nodes;
 * - Kafka: ~300 B viewing events through our producer, bytes in (x replication) per CPU-second of
 *   all brokers.
 *
 * Each row still pairs ours with a ceiling: the origin flush against the raw inserts, the edge
 * heartbeat against `GET /healthz` on the same worker.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import cassandra from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';
import postgres from 'postgres';
import { cassandraClient } from '../origin/src/db/cassandra.ts';
import { TOPICS } from '../origin/src/stores/names.ts';
import { asEdge } from '../origin/test/support/as-edge.ts';
import { listen, realTestOrigin } from '../origin/test/support/origin.ts';
import { requireStack } from '../origin/test/support/stack.ts';
import { freePort, startEdge } from '../scripts/edge-process.ts';
import { plan, type PerCore } from './capacity-model.ts';
import { cpuDuring, ownCpuDuring, pidListeningOn } from './cpu.ts';
import { measure, RATE_LIMITS_OFF, type BenchRow, type Measurement } from './harness.ts';
import { edgeSecrets, profileTokens } from './support.ts';

const RUN_MS = 6000;
const EVENT_BYTES = 300;
const EVENTS_PER_SEND = 100;
/** Profiles (one title each) per flush-batch request, as a busy flush relay sends them. */
const PARTS_PER_BATCH = 100;

function hostPort(entry: string, defaultPort: number): { host: string; port: number } {
  const [host, port] = entry.trim().split(':');
  return { host: host || '127.0.0.1', port: Number(port || defaultPort) };
}

function pidsOf(list: string, defaultPort: number, what: string): number[] {
  return list.split(',').map((entry) => {
    const { host, port } = hostPort(entry, defaultPort);
    const pid = pidListeningOn(host, port);
    if (pid === undefined) throw new Error(`no process of ours listens for ${what} on ${host}:${port}`);
    return pid;
  });
}

function row(
  bench: string,
  unit: string,
  ours: string,
  oursResult: Measurement,
  ceiling: string,
  ceilingResult: Measurement,
  quality: Record<string, number>,
): BenchRow {
  return {
    bench,
    unit,
    ours,
    ceiling,
    oursResult,
    ceilingResult,
    ratio: Number((oursResult.opsPerSec / Math.max(1, ceilingResult.opsPerSec)).toFixed(3)),
    quality,
  };
}

const perCpuSecond = (units: number, cpuSeconds: number) => Math.round(units / Math.max(0.01, cpuSeconds));

export default async function run(log: (line: string) => void): Promise<BenchRow[]> {
  const stack = await requireStack();
  const real = await realTestOrigin('bench_capacity');
  const { origin, keys } = real;
  const rf = Number(
    real.keyspace.replication['replication_factor'] ?? real.keyspace.replication[stack.CASSANDRA_LOCAL_DC] ?? 1,
  );
  const cassandraPids = pidsOf(stack.CASSANDRA_CONTACT_POINTS, 9042, 'CQL');
  const kafkaPids = pidsOf(stack.KAFKA_BROKERS, 9092, 'Kafka');
  log(
    `capacity: ${cassandraPids.length} Cassandra node(s) at RF ${rf} (${real.keyspace.consistency}), ${kafkaPids.length} Kafka broker(s)`,
  );
  const pg = postgres(real.databaseUrl, { max: 1, onnotice: () => {} });
  const titles = (await pg<{ id: string }[]>`SELECT id FROM titles WHERE type <> 'series' ORDER BY id LIMIT 50`).map(
    (r) => r.id,
  );
  await pg.end();
  const raw = cassandraClient(real.keyspace);
  const kafka = new Kafka({
    clientId: 'bench-capacity',
    brokers: stack.KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const server = await listen(origin.app);
  const persist = await mkdtemp(path.join(tmpdir(), 'edgeflix-bench-capacity-'));
  const edge = await startEdge({
    port: await freePort(),
    originUrl: server.url,
    secrets: edgeSecrets(keys),
    vars: { ...RATE_LIMITS_OFF, PROGRESS_FLUSH_INTERVAL_MS: '600000' },
    persistTo: persist,
    stdio: process.env['BENCH_EDGE_LOGS'] ? 'inherit' : 'ignore',
  });
  const rows: BenchRow[] = [];
  const perCore: Partial<PerCore> = {};
  try {
    // Edge: heartbeats into 200 profiles' buffers, the flush held back so only ingest is measured.
    const profiles = await profileTokens(keys, 200);
    let n = 0;
    const heartbeat = () => {
      const p = profiles[n++ % profiles.length]!;
      return fetch(`${edge.url}/v1/progress`, {
        method: 'POST',
        headers: { authorization: `Bearer ${p.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          titleId: titles[n % titles.length],
          positionSeconds: 10 + (n % 5000),
          durationSeconds: 6000,
          eventTime: Date.now(),
          deviceId: 'bench-tv',
        }),
      }).then(async (res) => {
        if (res.status !== 202) throw new Error(`heartbeat answered ${res.status}: ${await res.text()}`);
      });
    };
    const healthz = () => fetch(`${edge.url}/healthz`).then((r) => r.arrayBuffer());
    log('capacity: edge heartbeat ingest, CPU of wrangler + workerd');
    const edgePid = edge.child.pid!;
    const edgeOurs = await cpuDuring([edgePid], () =>
      measure(heartbeat, {
        concurrency: Number(process.env['BENCH_CONCURRENCY'] ?? 32),
        durationMs: RUN_MS,
        warmupMs: 1000,
      }),
    );
    const edgeCeiling = await cpuDuring([edgePid], () =>
      measure(healthz, { concurrency: 32, durationMs: RUN_MS, warmupMs: 500 }),
    );
    perCore.edgeHeartbeats = perCpuSecond(edgeOurs.result.count, edgeOurs.cpuSeconds);
    rows.push(
      row(
        'capacity: edge heartbeats per CPU-second (wrangler dev)',
        'heartbeat',
        'POST /v1/progress (token, validation, title lookup, Durable Object write)',
        edgeOurs.result,
        'GET /healthz on the same worker',
        edgeCeiling.result,
        {
          'per CPU-second': perCore.edgeHeartbeats,
          'ceiling per CPU-second': perCpuSecond(edgeCeiling.result.count, edgeCeiling.cpuSeconds),
          'edge CPU-seconds': Number(edgeOurs.cpuSeconds.toFixed(2)),
        },
      ),
    );

    // Origin flush and Cassandra: the same rows through the route and raw.
    const insert =
      'INSERT INTO viewing_progress (profile_id, title_id, series_id, content_type, position_seconds, duration_seconds, completed, device_id, last_watched_at, tie) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
    let m = 0;
    const flush = async () => {
      const res = await asEdge(origin, keys.serviceSecret, {
        method: 'POST',
        path: '/internal/v1/progress/flush',
        body: {
          batchId: randomUUID(),
          entries: [
            {
              titleId: titles[m++ % titles.length]!,
              positionSeconds: 100,
              durationSeconds: 6000,
              eventTime: Date.now(),
              tie: 0,
              deviceId: 'bench',
            },
          ],
        },
        sub: randomUUID(),
        pid: randomUUID(),
        mat: 50,
      });
      if (res.status !== 200) throw new Error(`flush answered ${res.status}`);
    };
    const rawInserts = () =>
      cassandra.concurrent.executeConcurrent(
        raw,
        insert,
        Array.from({ length: 20 }, (_, i) => [
          randomUUID(),
          titles[i % titles.length]!,
          null,
          'movie',
          100,
          6000,
          false,
          'bench',
          new Date(),
          0,
        ]),
        { concurrencyLevel: 20 },
      );
    // As the flush relay sends them (workers/flush-relay): many profiles' flushes in one request.
    const flushBatch = async () => {
      const now = Date.now();
      const res = await asEdge(origin, keys.serviceSecret, {
        method: 'POST',
        path: '/internal/v1/progress/flush-batch',
        body: {
          parts: Array.from({ length: PARTS_PER_BATCH }, (_, i) => ({
            batchId: randomUUID(),
            accountId: randomUUID(),
            profileId: randomUUID(),
            entries: [
              {
                titleId: titles[m++ % titles.length]!,
                positionSeconds: 100,
                durationSeconds: 6000,
                eventTime: now - i,
                tie: 0,
                deviceId: 'bench',
              },
            ],
          })),
        },
      });
      if (res.status !== 200) throw new Error(`flush-batch answered ${res.status}`);
      const { results } = (await res.json()) as { results: { error?: string }[] };
      if (results.some((r) => r.error !== undefined)) throw new Error('a part of the flush batch failed');
    };
    log('capacity: origin flush rows (flush-batch), CPU of this process and of Cassandra');
    const batchCpu = await cpuDuring(cassandraPids, () =>
      ownCpuDuring(() => measure(flushBatch, { concurrency: 4, durationMs: RUN_MS, warmupMs: 1000 })),
    );
    log('capacity: origin flush rows (one request per profile), CPU of this process and of Cassandra');
    const flushCpu = await cpuDuring(cassandraPids, () =>
      ownCpuDuring(() => measure(flush, { concurrency: 64, durationMs: RUN_MS, warmupMs: 1000 })),
    );
    log('capacity: raw prepared inserts, CPU of Cassandra');
    const rawCpu = await cpuDuring(cassandraPids, () =>
      measure(rawInserts, { concurrency: 8, durationMs: RUN_MS, warmupMs: 1000 }),
    );
    const rawRows = rawCpu.result.count * 20;
    const batchRows = batchCpu.result.result.count * PARTS_PER_BATCH;
    perCore.originRows = perCpuSecond(batchRows, batchCpu.result.cpuSeconds);
    perCore.cassandraReplicaWrites = perCpuSecond(rawRows * rf, rawCpu.cpuSeconds);
    const rowsMeasurement = (mm: Measurement, units: number): Measurement => ({
      ...mm,
      opsPerSec: mm.opsPerSec * units,
      count: mm.count * units,
    });
    rows.push(
      row(
        'capacity: origin flush rows per CPU-second (flush relay batches)',
        'row',
        `POST /internal/v1/progress/flush-batch, ${PARTS_PER_BATCH} profiles × 1 title, 4 in flight`,
        rowsMeasurement(batchCpu.result.result, PARTS_PER_BATCH),
        'cassandra-driver executeConcurrent of the same rows',
        rowsMeasurement(rawCpu.result, 20),
        {
          'origin rows per CPU-second': perCore.originRows,
          'Cassandra CPU-seconds per 1000 flushed rows': Number(
            ((batchCpu.cpuSeconds / Math.max(1, batchRows)) * 1000).toFixed(3),
          ),
        },
      ),
    );
    rows.push(
      row(
        'capacity: origin flush rows per CPU-second (one request per profile)',
        'row',
        'POST /internal/v1/progress/flush, 1 title per profile, 64 in flight',
        flushCpu.result.result,
        'cassandra-driver executeConcurrent of the same rows',
        rowsMeasurement(rawCpu.result, 20),
        {
          'origin rows per CPU-second': perCpuSecond(flushCpu.result.result.count, flushCpu.result.cpuSeconds),
          'Cassandra CPU-seconds per 1000 flushed rows': Number(
            ((flushCpu.cpuSeconds / Math.max(1, flushCpu.result.result.count)) * 1000).toFixed(3),
          ),
        },
      ),
    );
    rows.push(
      row(
        `capacity: Cassandra replica writes per node CPU-second (RF ${rf}, ${cassandraPids.length} node(s))`,
        'row',
        `prepared inserts at ${real.keyspace.consistency}`,
        rowsMeasurement(rawCpu.result, 20),
        `the same rows: ${rawRows} rows, ${rawRows * rf} replica writes`,
        rowsMeasurement(rawCpu.result, 20),
        {
          'replica writes per CPU-second': perCore.cassandraReplicaWrites,
          'rows per second, whole cluster': Math.round(rawRows / (RUN_MS / 1000)),
          'Cassandra CPU-seconds': Number(rawCpu.cpuSeconds.toFixed(2)),
        },
      ),
    );

    // Kafka: our producer's bytes in, per broker CPU-second, replication counted.
    const payload = 'x'.repeat(EVENT_BYTES - 80);
    log(`capacity: Kafka publish (${TOPICS.viewingEvents}), CPU of the brokers`);
    const kafkaCpu = await cpuDuring(kafkaPids, () =>
      measure(
        () =>
          origin.deps.stores.events.publish(
            TOPICS.viewingEvents,
            Array.from({ length: EVENTS_PER_SEND }, () => ({
              id: randomUUID(),
              key: randomUUID(),
              value: { payload },
            })),
          ),
        { concurrency: 4, durationMs: RUN_MS, warmupMs: 1000 },
      ),
    );
    // The test origin's topics carry a fresh prefix; every topic on this stack has the same RF.
    const topic = (await admin.listTopics()).find((t) => t.endsWith(TOPICS.viewingEvents)) ?? TOPICS.viewingEvents;
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const kafkaRf = metadata.topics[0]?.partitions[0]?.replicas.length ?? 1;
    const bytesIn = kafkaCpu.result.count * EVENTS_PER_SEND * EVENT_BYTES * kafkaRf;
    perCore.kafkaBytes = perCpuSecond(bytesIn, kafkaCpu.cpuSeconds);
    const events = rowsMeasurement(kafkaCpu.result, EVENTS_PER_SEND);
    rows.push(
      row(
        `capacity: Kafka bytes in per broker CPU-second (RF ${kafkaRf}, ${kafkaPids.length} broker(s))`,
        'event',
        `EventBus.publish, ${EVENTS_PER_SEND} x ~${EVENT_BYTES} B per send, 4 in flight`,
        events,
        'the same events',
        events,
        {
          'MB in per CPU-second': Number((perCore.kafkaBytes / 1e6).toFixed(2)),
          'MB/s in, whole cluster': Number((bytesIn / 1e6 / (RUN_MS / 1000)).toFixed(2)),
          'Kafka CPU-seconds': Number(kafkaCpu.cpuSeconds.toFixed(2)),
        },
      ),
    );

    const figures = perCore as PerCore;
    for (const heartbeatsPerRow of [6, 20, 60]) {
      const result = plan(
        figures,
        {
          viewers: 50e6,
          heartbeatSeconds: 10,
          heartbeatsPerRow,
          cassandraReplication: 3,
          kafkaReplication: 3,
          eventBytes: EVENT_BYTES,
        },
        { coresPerMachine: 16, targetUtilisation: 0.5 },
      );
      log(
        `capacity: 50 M viewers, ${heartbeatsPerRow} heartbeats per row: ` +
          result.needs
            .map((need) => `${need.component} ${Math.ceil(need.cores)} cores / ${need.machines} machines`)
            .join(', ') +
          `; saturates first: ${result.saturatesFirst}`,
      );
    }
    log(`capacity: per CPU-second ${JSON.stringify(figures)}`);
  } finally {
    await edge.stop();
    await rm(persist, { recursive: true, force: true });
    await server.close();
    await admin.disconnect();
    await raw.shutdown();
    await real.stop();
  }
  return rows;
}
