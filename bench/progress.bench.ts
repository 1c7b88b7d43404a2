/**
 * The progress pipeline's origin side on the real stack:
 * - flush: rows/s through POST /internal/v1/progress/flush on the app as deployed (credential,
 *   validation, catalog lookup, then the group commit: concurrent flushes share one Kafka send,
 *   each profile one Cassandra write) vs raw prepared concurrent inserts of the same rows with the
 *   same driver; also how many flushes one Kafka send carried;
 * - flush batch: rows/s through POST /internal/v1/progress/flush-batch as the flush relay sends it
 *   (one title per profile, 500 profiles per request as a relay in front of a saturated origin
 *   sends them, and 100; the relay's 4 requests in flight) vs raw prepared concurrent inserts of
 *   the same rows (issue 14's goal, at 500: at least 0.5);
 * - events: our idempotent producer (EventBus.publish) vs Kafka's own ProducerPerformance tool
 *   with the same record size, acks=all and idempotence;
 * - the origin process's peak RSS while flushing.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import cassandra from 'cassandra-driver';
import postgres from 'postgres';
import { FLUSH_BATCH_PATH, MAX_BATCH_PARTS, type ProgressEntry } from '../core/progress.ts';
import { createApp } from '../origin/src/app.ts';
import { cassandraClient } from '../origin/src/db/cassandra.ts';
import { TOPICS } from '../origin/src/stores/names.ts';
import { asEdge } from '../origin/test/support/as-edge.ts';
import { realTestOrigin } from '../origin/test/support/origin.ts';
import { requireStack } from '../origin/test/support/stack.ts';
import { paths } from '../scripts/stack/paths.ts';
import { BATCH_LIMITS } from '../workers/flush-relay/src/relay.ts';
import { compare, measure, type BenchRow } from './harness.ts';

const FLUSH_SIZES = [1, 20];
const FLUSH_BATCH_GOAL = 0.5;
const EVENTS_PER_PUBLISH = 100;
const RECORD_BYTES = 300;

export default async function run(log: (line: string) => void): Promise<BenchRow[]> {
  const stack = await requireStack();
  const real = await realTestOrigin('bench_progress');
  const { origin, keys } = real;
  const pg = postgres(real.databaseUrl, { max: 1, onnotice: () => {} });
  const playable = (await pg<{ id: string }[]>`SELECT id FROM titles WHERE type <> 'series' ORDER BY id LIMIT 100`).map(
    (r) => r.id,
  );
  await pg.end();
  const raw = cassandraClient(real.keyspace);
  // The app as deployed: the test origin's app also checks every answer against the OpenAPI
  // document, which costs more than the route itself.
  const deployed = { ...origin, app: createApp(origin.deps) };
  // Kafka sends under the flush route, to report how many flushes one send carried.
  let sends = 0;
  const { events } = origin.deps.stores;
  const publish = events.publish.bind(events);
  events.publish = (topic, messages) => {
    sends += 1;
    return publish(topic, messages);
  };
  const rows: BenchRow[] = [];
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  try {
    const insert =
      'INSERT INTO viewing_progress (profile_id, title_id, series_id, content_type, position_seconds, duration_seconds, completed, device_id, last_watched_at, tie) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
    /** The raw insert's parameters for one flushed entry (a movie, as the flushes name). */
    const insertParams = (profileId: string, e: ProgressEntry) => [
      profileId,
      e.titleId,
      null,
      'movie',
      e.positionSeconds,
      e.durationSeconds,
      false,
      e.deviceId,
      new Date(e.eventTime),
      0,
    ];
    // One flush = one profile's buffered titles: one while watching (the usual case), or many
    // after a device was offline.
    for (const perFlush of FLUSH_SIZES) {
      const flushEntries = (): ProgressEntry[] => {
        const now = Date.now();
        return playable.slice(0, perFlush).map((titleId, i) => ({
          titleId,
          positionSeconds: 100 + i,
          durationSeconds: 6000,
          eventTime: now - i,
          tie: 0,
          deviceId: 'bench',
        }));
      };
      log(`progress: origin flush (${perFlush} per profile) vs raw Cassandra inserts`);
      let flushes = 0;
      sends = 0;
      const row = await compare(
        `progress flush, ${perFlush} title(s) per profile`,
        {
          name: 'POST /internal/v1/progress/flush (group commit: Cassandra per profile + one Kafka send)',
          op: async () => {
            flushes += 1;
            const res = await asEdge(deployed, keys.serviceSecret, {
              method: 'POST',
              path: '/internal/v1/progress/flush',
              body: { batchId: randomUUID(), entries: flushEntries() },
              sub: randomUUID(),
              pid: randomUUID(),
              mat: 50,
            });
            if (res.status !== 200) throw new Error(`flush answered ${res.status}`);
          },
        },
        {
          name: 'cassandra-driver executeConcurrent of the same rows',
          op: () => {
            const profileId = randomUUID();
            return cassandra.concurrent.executeConcurrent(
              raw,
              insert,
              flushEntries().map((e) => insertParams(profileId, e)),
              { concurrencyLevel: Math.min(32, perFlush) },
            );
          },
        },
        { concurrency: perFlush === 1 ? 64 : 8, unitsPerOp: perFlush, unit: 'row' },
      );
      const perSend = flushes / Math.max(1, sends);
      log(`progress: ${flushes} flushes in ${sends} Kafka sends (${perSend.toFixed(1)} flushes per commit)`);
      rows.push({ ...row, quality: { flushesPerCommit: Number(perSend.toFixed(1)) } });
    }

    // One title per profile, as most flushes are, but as the flush relay (workers/flush-relay)
    // sends them: many profiles' flushes in one request with one credential, at most
    // `BATCH_LIMITS.maxInFlight` requests in flight. A relay whose origin is saturated (which is
    // what a throughput run measures) finds its queue full whenever a request comes back, so it
    // sends whole batches of `MAX_BATCH_PARTS`: that is the goal's row. A relay that keeps up
    // sends smaller ones, hence the row at 100.
    for (const partsPerBatch of [MAX_BATCH_PARTS, 100]) {
      const batchRows = (): { profileId: string; entry: ProgressEntry }[] => {
        const now = Date.now();
        return Array.from({ length: partsPerBatch }, (_, i) => ({
          profileId: randomUUID(),
          entry: {
            titleId: playable[i % playable.length]!,
            positionSeconds: 100 + i,
            durationSeconds: 6000,
            eventTime: now - i,
            tie: 0,
            deviceId: 'bench',
          },
        }));
      };
      const goal = partsPerBatch === MAX_BATCH_PARTS ? FLUSH_BATCH_GOAL : undefined;
      log(`progress: origin flush-batch (${partsPerBatch} profiles × 1 title per request) vs raw Cassandra inserts`);
      let batches = 0;
      sends = 0;
      const batchRow = await compare(
        `progress flush batch, 1 title per profile, ${partsPerBatch} profiles per request`,
        {
          name: 'POST /internal/v1/progress/flush-batch (as the flush relay sends it; group commit: replica-set batches + one Kafka send)',
          op: async () => {
            batches += 1;
            const parts = batchRows().map(({ profileId, entry }) => ({
              batchId: randomUUID(),
              accountId: randomUUID(),
              profileId,
              entries: [entry],
            }));
            const res = await asEdge(deployed, keys.serviceSecret, {
              method: 'POST',
              path: FLUSH_BATCH_PATH,
              body: { parts },
            });
            if (res.status !== 200) throw new Error(`flush-batch answered ${res.status}`);
            const { results } = (await res.json()) as { results: { error?: string }[] };
            if (results.some((r) => r.error !== undefined)) throw new Error('a part of the flush batch failed');
          },
        },
        {
          name: 'cassandra-driver executeConcurrent of the same rows',
          op: () =>
            cassandra.concurrent.executeConcurrent(
              raw,
              insert,
              batchRows().map(({ profileId, entry }) => insertParams(profileId, entry)),
              { concurrencyLevel: 32 },
            ),
        },
        // Alternating slices, so the drift of a shared machine weighs on both sides alike.
        { concurrency: BATCH_LIMITS.maxInFlight, unitsPerOp: partsPerBatch, unit: 'row', durationMs: 8000, rounds: 4 },
      );
      const partsPerSend = (batches * partsPerBatch) / Math.max(1, sends);
      log(
        `progress: flush batch of ${partsPerBatch}: ${batchRow.ratio} of raw inserts${goal !== undefined ? ` (goal ${goal})` : ''}; ${(batches * partsPerBatch).toLocaleString('en')} profiles' flushes in ${sends} Kafka sends (${partsPerSend.toFixed(1)} per commit)`,
      );
      rows.push({
        ...batchRow,
        quality: {
          ...(goal !== undefined ? { goal } : {}),
          profilesPerRequest: partsPerBatch,
          flushesPerCommit: Number(partsPerSend.toFixed(1)),
        },
      });
    }

    log('progress: EventBus.publish vs Kafka ProducerPerformance');
    const payload = 'x'.repeat(RECORD_BYTES - 80);
    const ours = await measure(
      () =>
        origin.deps.stores.events.publish(
          TOPICS.viewingEvents,
          Array.from({ length: EVENTS_PER_PUBLISH }, () => ({
            id: randomUUID(),
            key: randomUUID(),
            value: { payload },
          })),
        ),
      { concurrency: 4, durationMs: 5000 },
    );
    const ceiling = await producerPerformance(stack.KAFKA_BROKERS, 200_000);
    const oursPerSec = ours.opsPerSec * EVENTS_PER_PUBLISH;
    rows.push({
      bench: `Kafka publish, ~${RECORD_BYTES} B events, acks=all, idempotent`,
      unit: 'event',
      ours: `EventBus.publish (kafkajs), ${EVENTS_PER_PUBLISH} per send, 4 in flight`,
      ceiling: 'kafka-tools ProducerPerformance (Java client)',
      oursResult: { ...ours, opsPerSec: oursPerSec, count: ours.count * EVENTS_PER_PUBLISH },
      ceilingResult: {
        opsPerSec: Math.round(ceiling.recordsPerSec),
        p50Ms: ceiling.p50Ms,
        p99Ms: ceiling.p99Ms,
        count: 200_000,
      },
      ratio: Number((oursPerSec / ceiling.recordsPerSec).toFixed(3)),
    });
  } finally {
    clearInterval(sampler);
    await raw.shutdown();
    await real.stop();
  }
  log(
    `progress: peak RSS of the origin process during the flush and publish runs: ${Math.round(peakRss / 2 ** 20)} MiB`,
  );
  for (const row of rows) (row as BenchRow & { peakRssMiB?: number }).peakRssMiB = Math.round(peakRss / 2 ** 20);
  return rows;
}

async function producerPerformance(
  brokers: string,
  records: number,
): Promise<{ recordsPerSec: number; p50Ms: number; p99Ms: number }> {
  const classpath = (await readFile(path.join(paths.classpathDir(), 'kafka.classpath'), 'utf8')).trim();
  const { stdout } = await promisify(execFile)(
    'java',
    [
      '-Xmx512m',
      '-cp',
      classpath,
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      'bench-producer-performance',
      '--num-records',
      String(records),
      '--record-size',
      String(RECORD_BYTES),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${brokers}`,
      'acks=all',
      'enable.idempotence=true',
    ],
    { timeout: 180_000, maxBuffer: 16 * 2 ** 20 },
  );
  const last = stdout.trim().split('\n').pop() ?? '';
  const match = /([\d.]+) records\/sec.*?(\d+) ms 50th, \d+ ms 95th, (\d+) ms 99th/.exec(last);
  if (!match) throw new Error(`ProducerPerformance printed no summary: ${last}`);
  return { recordsPerSec: Number(match[1]), p50Ms: Number(match[2]), p99Ms: Number(match[3]) };
}
