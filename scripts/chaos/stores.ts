/**
 * What a chaos run reads back from the stores, straight from them: viewing_progress and
 * watch_history partitions (Cassandra), the viewing-events topic and the origin consumer group's
 * lag (Kafka).
 */
import type cassandra from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';
import { CASSANDRA_TABLES, CONSUMER_GROUPS, TOPICS } from '../../origin/src/stores/names.ts';
import { keyOf, type Key, type StoredState, type ViewingEvent } from './verdict.ts';

/** Runs `fn` over `items` with at most `limit` at once. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

/** Every stored state of these profiles, by key. */
export async function readProgress(
  client: cassandra.Client,
  profileIds: readonly string[],
): Promise<Map<Key, StoredState>> {
  const out = new Map<Key, StoredState>();
  await pool(profileIds, 16, async (profileId) => {
    const rs = await client.execute(
      `SELECT title_id, position_seconds, completed, device_id, last_watched_at, tie FROM ${CASSANDRA_TABLES.viewingProgress} WHERE profile_id = ?`,
      [profileId],
      { prepare: true },
    );
    for (const row of rs.rows) {
      out.set(keyOf(profileId, String(row['title_id'])), {
        eventTime: (row['last_watched_at'] as Date).getTime(),
        tie: Number(row['tie'] ?? 0),
        positionSeconds: Number(row['position_seconds']),
        deviceId: String(row['device_id']),
        completed: Boolean(row['completed']),
      });
    }
  });
  return out;
}

/** watch_history rows per key of these profiles. */
export async function readHistory(client: cassandra.Client, profileIds: readonly string[]): Promise<Map<Key, number>> {
  const out = new Map<Key, number>();
  await pool(profileIds, 16, async (profileId) => {
    const rs = await client.execute(
      `SELECT title_id FROM ${CASSANDRA_TABLES.watchHistory} WHERE profile_id = ?`,
      [profileId],
      { prepare: true, fetchSize: 5000 },
    );
    for (const row of rs.rows) {
      const key = keyOf(profileId, String(row['title_id']));
      out.set(key, (out.get(key) ?? 0) + 1);
    }
  });
  return out;
}

function kafka(brokers: string): Kafka {
  return new Kafka({ clientId: 'edgeflix-chaos', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

/** The topic's end offsets, and the origin completion consumer's committed offsets on it. */
export async function consumerLag(brokers: string, prefix: string): Promise<number> {
  const admin = kafka(brokers).admin();
  await admin.connect();
  try {
    const topic = `${prefix}${TOPICS.viewingEvents}`;
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({
      groupId: `${prefix}${CONSUMER_GROUPS.completions}`,
      topics: [topic],
    });
    let lag = 0;
    for (const end of ends) {
      const at = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      lag += Number(end.high) - Math.max(0, Number(at));
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}

/** Every record of viewing-events, from the beginning to the end offsets as they are now. */
export async function readEvents(brokers: string, prefix: string, timeoutMs: number): Promise<ViewingEvent[]> {
  const client = kafka(brokers);
  const topic = `${prefix}${TOPICS.viewingEvents}`;
  const admin = client.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  await admin.disconnect();
  const remaining = new Map([...ends].filter(([, high]) => high > 0));
  const events: ViewingEvent[] = [];
  if (remaining.size === 0) return events;
  const consumer = client.consumer({ groupId: `chaos-verify-${Date.now()}-${Math.random().toString(36).slice(2)}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`viewing-events not read to its end within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    void consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const high = remaining.get(partition);
        if (high === undefined || Number(message.offset) >= high) return;
        const value = JSON.parse(message.value?.toString() ?? '{}') as Record<string, unknown>;
        events.push({
          eventId: String(value['eventId']),
          profileId: String(value['profileId']),
          titleId: String(value['titleId']),
          eventTime: Number(value['eventTime']),
          tie: Number(value['tie']),
          completed: value['completed'] === true,
        });
        if (Number(message.offset) >= high - 1) remaining.delete(partition);
        if (remaining.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  try {
    await done;
  } finally {
    await consumer.disconnect();
  }
  return events;
}
