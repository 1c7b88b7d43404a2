import { Kafka, logLevel, type Admin, type Consumer, type Message, type Producer } from 'kafkajs';
import { TOPICS, type Topic } from './names.ts';
import type { EventBus, EventHandler, EventMessage } from './types.ts';

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  partitions: number;
  replicationFactor: number;
  /** `min.insync.replicas` of the topics created here (default: the broker's). */
  minInsyncReplicas?: number;
  /** Prepended to every topic name (isolates environments and test runs on one cluster). */
  topicPrefix?: string;
}

const EVENT_ID_HEADER = 'event-id';

function decode(
  topic: Topic,
  key: Buffer | null,
  value: Buffer | null,
  headers: Record<string, unknown> | undefined,
): EventMessage & { topic: Topic } {
  const header = headers?.[EVENT_ID_HEADER];
  return {
    topic,
    id: Buffer.isBuffer(header) ? header.toString('utf8') : String(header ?? ''),
    key: key?.toString('utf8') ?? '',
    value: value ? (JSON.parse(value.toString('utf8')) as Record<string, unknown>) : {},
  };
}

/**
 * Events through Kafka: an idempotent producer (acks=all, one request in flight, so retries
 * neither duplicate nor reorder within a partition) and consumer groups. Topics are created at
 * connect with the configured partitions, replication and `min.insync.replicas`.
 */
export async function kafkaEventBus(settings: KafkaSettings): Promise<EventBus> {
  const kafka = new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5000,
    requestTimeout: 15000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5000 },
  });
  const admin: Admin = kafka.admin();
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await admin.connect();
  await ensureTopics(admin, settings);
  await producer.connect();
  const consumers = new Set<Consumer>();
  const prefix = settings.topicPrefix ?? '';
  const physical = (topic: Topic) => `${prefix}${topic}`;
  const send = groupCommit(async (requests: PublishRequest[]) => {
    const byTopic = new Map<Topic, Message[]>();
    for (const { topic, messages } of requests) {
      const list = byTopic.get(topic) ?? [];
      for (const m of messages)
        list.push({ key: m.key, value: JSON.stringify(m.value), headers: { [EVENT_ID_HEADER]: m.id } });
      byTopic.set(topic, list);
    }
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic: physical(topic), messages: msgs })),
    });
  });

  return {
    async publish(topic, messages) {
      if (messages.length === 0) return;
      await send({ topic, messages });
    },
    async subscribe(groupId: string, topic: Topic, handler: EventHandler) {
      // Groups are prefixed like topics, so environments sharing a cluster never share offsets.
      const consumer = kafka.consumer({
        groupId: `${prefix}${groupId}`,
        sessionTimeout: 15000,
        heartbeatInterval: 3000,
      });
      consumers.add(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic: physical(topic), fromBeginning: true });
      await consumer.run({
        // An error thrown here is retried by kafkajs and the offset is not committed: at least once.
        eachMessage: async ({ message }) => {
          await handler(decode(topic, message.key, message.value, message.headers));
        },
      });
      return {
        async stop() {
          consumers.delete(consumer);
          await consumer.disconnect();
        },
      };
    },
    async ping() {
      await admin.describeCluster();
    },
    async close() {
      await Promise.allSettled([...consumers].map((c) => c.disconnect()));
      await producer.disconnect();
      await admin.disconnect();
    },
  };
}

interface PublishRequest {
  topic: Topic;
  messages: readonly EventMessage[];
}

/**
 * Group commit: an idempotent producer allows one request in flight, so publishes that arrive
 * while a send is under way wait and go together in the next send. Idle, a publish goes at once;
 * under load, one round trip carries many callers' events. Each caller resolves (or rejects)
 * with the send that carried its events.
 */
export function groupCommit<R>(flush: (batch: R[]) => Promise<void>, maxBatch = 1000): (request: R) => Promise<void> {
  let queue: { request: R; resolve: () => void; reject: (err: unknown) => void }[] = [];
  let sending = false;
  const pump = async () => {
    if (sending || queue.length === 0) return;
    sending = true;
    const batch = queue.slice(0, maxBatch);
    queue = queue.slice(batch.length);
    try {
      await flush(batch.map((b) => b.request));
      for (const b of batch) b.resolve();
    } catch (err) {
      for (const b of batch) b.reject(err);
    } finally {
      sending = false;
      void pump();
    }
  };
  return (request) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ request, resolve, reject });
      void pump();
    });
}

async function ensureTopics(admin: Admin, settings: KafkaSettings): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = Object.values(TOPICS)
    .map((t) => `${settings.topicPrefix ?? ''}${t}`)
    .filter((t) => !existing.has(t));
  if (missing.length === 0) return;
  await admin.createTopics({
    // kafkajs's own wait gives up when the broker it asks has not learned of the topic yet
    // (UNKNOWN_TOPIC_OR_PARTITION), which on several brokers is the normal first answer.
    waitForLeaders: false,
    topics: missing.map((topic) => ({
      topic,
      numPartitions: settings.partitions,
      replicationFactor: settings.replicationFactor,
      ...(settings.minInsyncReplicas !== undefined
        ? { configEntries: [{ name: 'min.insync.replicas', value: String(settings.minInsyncReplicas) }] }
        : {}),
    })),
  });
  await waitForLeaders(admin, missing);
}

/** Resolves once every partition of `topics` has a leader, as the brokers report it; bounded. */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      const led = found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (found.length === topics.length && led) return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline)
      throw new Error(`Kafka topics ${topics.join(', ')} have no leader after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
