import type postgres from 'postgres';
import type { Topic } from './names.ts';
import type { EventBus, EventHandler } from './types.ts';

const POLL_MS = 200;
const BATCH = 100;

interface EventRow {
  offset: string;
  key: string;
  event_id: string;
  payload: Record<string, unknown>;
}

/**
 * Events in PGlite: an append-only table per topic plus committed offsets per consumer group.
 * Same contract as Kafka: durable on publish, at-least-once per group, in order per key.
 */
export function embeddedEventBus(sql: postgres.Sql, onError: (err: unknown) => void = () => {}): EventBus {
  const loops = new Set<{ stopped: boolean; done: Promise<void> }>();

  return {
    async publish(topic, messages) {
      if (messages.length === 0) return;
      const rows = messages.map((m) => ({
        topic,
        key: m.key,
        event_id: m.id,
        payload: sql.json(m.value as postgres.JSONValue),
      }));
      await sql`INSERT INTO embedded.events ${sql(rows)} ON CONFLICT (topic, event_id) DO NOTHING`;
    },
    async subscribe(groupId: string, topic: Topic, handler: EventHandler) {
      await sql`
        INSERT INTO embedded.consumer_offsets (group_id, topic, next_offset) VALUES (${groupId}, ${topic}, 0)
        ON CONFLICT DO NOTHING`;
      const loop = { stopped: false, done: Promise.resolve() };
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      loop.done = (async () => {
        while (!loop.stopped) {
          let delivered = 0;
          try {
            const [position] = await sql<{ next_offset: string }[]>`
              SELECT next_offset FROM embedded.consumer_offsets WHERE group_id = ${groupId} AND topic = ${topic}`;
            const rows = await sql<EventRow[]>`
              SELECT "offset", key, event_id, payload FROM embedded.events
              WHERE topic = ${topic} AND "offset" >= ${position?.next_offset ?? '0'}
              ORDER BY "offset" LIMIT ${BATCH}`;
            for (const row of rows) {
              if (loop.stopped) break;
              await handler({ topic, id: row.event_id, key: row.key, value: row.payload });
              await sql`
                UPDATE embedded.consumer_offsets SET next_offset = ${String(BigInt(row.offset) + 1n)}
                WHERE group_id = ${groupId} AND topic = ${topic}`;
              delivered += 1;
            }
          } catch (err) {
            // The failed event is redelivered on the next poll (its offset was not committed).
            onError(err);
            await sleep(POLL_MS * 5);
          }
          if (delivered === 0 && !loop.stopped) await sleep(POLL_MS);
        }
      })();
      loops.add(loop);
      return {
        async stop() {
          loop.stopped = true;
          loops.delete(loop);
          await loop.done;
        },
      };
    },
    async ping() {
      await sql`SELECT 1`;
    },
    async close() {
      for (const loop of loops) loop.stopped = true;
      await Promise.all([...loops].map((l) => l.done));
      loops.clear();
    },
  };
}
